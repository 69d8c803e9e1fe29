"""`core build` on a bench database: its time, its peak memory and a star rule-set save.

`run(db_path)` copies the database (the bench files stay as they are), then in a fresh
Python process each time:
- rebuilds the derived tables (`core.build.build`, as `python -m core build` does), twice,
  and keeps the best time; the peak resident memory of the whole process doing it is the
  kernel's `ru_maxrss` of that process, so DuckDB's memory counts;
- saves a star rule set twice (other weights and thresholds each time): the save makes it
  the active set and re-rates customer_features in the same transaction
  (`core.stars.save_rule_set`; the month ends are rated when read); the first save is the
  one a marketer waits
  for after the build, the second one follows it in the same process (warm); then the
  built-in default is made active again.
Each time is measured inside the child, from the call to its return (interpreter start,
imports and the connection stay out); the child's CPU time is kept beside it, as on a
shared machine it is the steadier figure.

Usable alone: `python -m bench.build_profile --db PATH` (prints JSON). At 1M customers a
build takes several GB and both cores: run it alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from bench.child import ROOT, run_script

BUILD = """
import json, sys, time
from core import db
from core.build import build
con = db.connect(sys.argv[1])
start, cpu = time.perf_counter(), time.process_time()
result = build(con)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
rows = con.execute("select count(*) from customer_monthly").fetchall()[0][0]
con.close()
print()  # ends a DuckDB progress bar's line: the figures on a line of their own
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "customers": result.customer_features,
                  "customer_monthly_rows": rows}))
"""

PEAK = """
import resource
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)  # kilobytes on Linux
"""

SAVE = """
import json, sys, time
from core import db, stars
con = db.connect(sys.argv[1])
rules = [
    stars.DEFAULT_RULES.replace(weights=(40, 20, 30, 10), top_shares=(0.1, 0.3, 0.5, 0.7)),
    stars.DEFAULT_RULES.replace(mode="score", score_thresholds=(75, 60, 45, 25)),
]
saves = []
for i, rule_set in enumerate(rules):
    start, cpu = time.perf_counter(), time.process_time()
    stars.save_rule_set(con, rule_set, "bench", saved_by="bench")
    saves.append({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu})
stars.activate_rule_set(con, stars.DEFAULT_NAME, 0)  # the built-in default again
con.close()
print()  # ends a DuckDB progress bar's line
print(json.dumps(saves))
"""


def run(db_path: str | Path, builds: int = 2, code: Path = ROOT) -> dict:
    """The build's best time of `builds`, each build's time and peak memory, and two rule
    set saves on the built copy (see the module docstring). `code`: the checkout whose
    `core` runs (another worktree, to compare with an older version in the same run)."""
    db_path = Path(db_path)
    with tempfile.TemporaryDirectory(prefix="build-profile-") as tmp:
        copy = Path(tmp) / db_path.name
        shutil.copyfile(db_path, copy)
        runs = []
        for _ in range(builds):
            figures, peak = _child(code, BUILD, str(copy))
            runs.append({**figures, "peak_rss_bytes": peak})
        saves, save_peak = _child(code, SAVE, str(copy))
    best = min(runs, key=lambda r: r["seconds"])
    return {
        "database": str(db_path),
        "customers": best["customers"],
        "customer_monthly_rows": best["customer_monthly_rows"],
        "build_seconds": best["seconds"],
        "build_cpu_seconds": best["cpu_seconds"],
        "build_peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
        "builds": runs,
        "rule_set_saves": saves,
        "rule_set_save_seconds": [s["seconds"] for s in saves],
        "rule_set_save_peak_rss_bytes": save_peak,
        "load_average": os.getloadavg(),
    }


def _child(code: Path, script: str, *args: str) -> tuple[dict | list, int]:
    """Run `script` in a fresh Python in checkout `code`: (its JSON output, the peak
    resident memory of that process in bytes: its own `ru_maxrss`, read by it as it ends,
    the kernel's figure for the whole process, DuckDB's memory included)."""
    lines = run_script(script + PEAK, *args, code=code)
    return json.loads(lines[-2]), int(lines[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a built bench database (copied first)")
    parser.add_argument("--builds", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.db, args.builds), indent=2))


if __name__ == "__main__":
    main()
