"""A bench script run in a fresh Python process, so that what it times starts cold (no
module, cache or connection of the caller) and its peak memory is its own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# DuckDB's progress bar, which it prints to stdout for a query of more than 2 s ("100% ▕██▏")
PROGRESS = re.compile(r"^\d{1,3}% ▕")


def run_script(script: str, *args: str, code: Path = ROOT) -> list[str]:
    """Run `script` (`python -c`) with `args` in checkout `code` (another worktree, to
    compare with an older version in the same run); the lines it printed (without DuckDB's
    progress bar). RuntimeError with the end of its stderr when it fails."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=code,
        env={**os.environ, "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"bench child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return [
        line
        for line in (raw.rsplit("\r", 1)[-1].strip() for raw in done.stdout.splitlines())
        if line and not PROGRESS.match(line)
    ]
