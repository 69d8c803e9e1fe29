"""The build's page-results share on a built bench database: its time, step by step.

`run(db_path)` copies the database (the bench file stays as it is), then in a fresh Python
process does the build's last steps on the copy as `core.build.build` does them: every
customer's stage made once (`lifecycle.staged`), `lifecycle.add_stages`, and
`precompute.store_page_results` with the seconds of each kept result; it also gives the
size of the kept values and the time `loyalty.loyalty_models` takes to open on them.
The copy must have been built (`python -m core build --db PATH`) by the same code.

Usable alone: `python -m bench.page_results --db PATH` (prints JSON). At 1M customers run
it alone (under the shared lock).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from bench.child import run_script

STEPS = """
import json, sys, time
from core import db, lifecycle, loyalty, precompute
con = db.connect(sys.argv[1])
as_of = db.built_as_of(con)
started = time.perf_counter()
with lifecycle.staged(con, as_of, lifecycle.DEFAULT_RULES):
    staged = time.perf_counter() - started
    step = time.perf_counter()
    lifecycle.add_stages(con, as_of)
    add_stages = time.perf_counter() - step
    results = precompute.store_page_results(con, as_of)
total = time.perf_counter() - started
kept_bytes = con.execute(
    "select sum(octet_length(b)) from (select unnest(blobs) as b from page_results)"
).fetchone()[0]
step = time.perf_counter()
try:
    loyalty.loyalty_models(con)
except loyalty.ModelNotFitted:
    pass
loyalty_open = time.perf_counter() - step
print(json.dumps({
    "total_seconds": total, "stages_seconds": staged, "add_stages_seconds": add_stages,
    "results_seconds": results, "kept_bytes": kept_bytes,
    "loyalty_open_seconds": loyalty_open,
}))
"""


def run(db_path: str | Path) -> dict:
    """The seconds of the build's stage and page-results steps on a copy of `db_path`."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "bench.duckdb"
        shutil.copyfile(db_path, copy)
        copy.chmod(0o644)
        return json.loads(run_script(STEPS, str(copy))[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a bench database built by this code")
    print(json.dumps(run(parser.parse_args().db), indent=2))


if __name__ == "__main__":
    main()
