"""The build's staging and page-results share on a built bench database, step by step.

`run(db_path)` copies the database (the bench file stays as it is), then in a fresh Python
process does, on the copy and inside one transaction as `core.build.build` does them:
- `build_staging` (the staging tables), the `customer_features` create (into a scratch
  table, so the built one stays for the later steps), every customer's stage made once
  (`lifecycle.staged`) and `lifecycle.add_stages`: the build's first part;
- `precompute.store_page_results`, each kept result on its own;
each with its wall time and its CPU time (all threads of the process: on a shared
machine the steadier figure), the peak resident memory of the process, the size of the
kept values and the time `loyalty.loyalty_models` takes to open on them.
The copy must have been built (`python -m core build --db PATH`) by the same code.

`compare(db_path, base_code)` runs it for this checkout and for another one (`git worktree
add /tmp/base <commit>`) alternately, A B A B, so that both see the same machine.

Usable alone: `python -m bench.page_results --db PATH [--base CHECKOUT]` (prints JSON). At
1M customers run it alone (under the shared lock).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from bench.child import ROOT, run_script

STEPS = """
import json, resource, sys, time
from core import build, db, lifecycle, loyalty, precompute, sql
con = db.connect(sys.argv[1])
con.execute("set enable_progress_bar = false")  # stdout carries the figures
as_of = db.built_as_of(con)
steps = {}

class timed:
    def __init__(self, name):
        self.name = name
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
    def __exit__(self, *exc):
        steps[self.name] = {"seconds": time.perf_counter() - self.wall,
                            "cpu_seconds": time.process_time() - self.cpu}

results = {}
with db.transaction(con):
    with timed("build_staging"):
        build.build_staging(con)
    with timed("customer_features"):
        query = sql.load("customer_features", con)
        if hasattr(build, "create_table"):
            build.create_table(con, "bench_features", query, {"as_of": as_of})
        else:  # a checkout from before it
            con.execute("create table bench_features as " + query, {"as_of": as_of})
    con.execute("drop table bench_features")
    with timed("stages"):
        block = lifecycle.staged(con, as_of, lifecycle.DEFAULT_RULES)
        block.__enter__()
    with timed("add_stages"):
        lifecycle.add_stages(con, as_of)
    with timed("store_page_results"):
        kept = precompute.store_page_results(con, as_of)
    for fn in precompute.page_results():
        started, cpu = time.perf_counter(), time.process_time()
        fn.live(con, as_of) if fn.dated else fn.live(con)
        results[fn.result_name.rsplit(".", 1)[-1]] = {
            "seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu}
    block.__exit__(None, None, None)
kept_bytes = con.execute(
    "select sum(octet_length(b)) from (select unnest(blobs) as b from page_results)"
).fetchone()[0]
started = time.perf_counter()
try:
    loyalty.loyalty_models(con)
except loyalty.ModelNotFitted:
    pass
loyalty_open = time.perf_counter() - started
print(json.dumps({
    "steps": steps, "results": results, "kept": sorted(kept), "kept_bytes": kept_bytes,
    "loyalty_open_seconds": loyalty_open,
    "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
"""


def run(db_path: str | Path, code: Path = ROOT) -> dict:
    """The seconds (wall and CPU) of the build's staging, customer_features, stage and
    page-results steps, and of each page result, on a copy of `db_path`, with the `core`
    of checkout `code`."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "bench.duckdb"
        shutil.copyfile(db_path, copy)
        copy.chmod(0o644)
        return json.loads(run_script(STEPS, str(copy), code=code)[-1])


def compare(db_path: str | Path, base_code: Path, rounds: int = 2) -> dict:
    """`run` for checkout `base_code` and for this one, alternately (base first), `rounds`
    times each: {"base": [...], "new": [...]}."""
    found: dict[str, list[dict]] = {"base": [], "new": []}
    for _ in range(rounds):
        found["base"].append(run(db_path, Path(base_code)))
        found["new"].append(run(db_path))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a bench database built by this code")
    parser.add_argument("--base", help="another checkout to compare with, A B A B")
    args = parser.parse_args()
    found = compare(args.db, Path(args.base)) if args.base else run(args.db)
    print(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
