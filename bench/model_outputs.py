"""The models of `core build`: `value.add_model_outputs` (BTYD summary, fits and predictions,
the churn classifier for the standard horizons) and `value.store_page_inputs` (what the
Value and Churn risk pages read) on a bench database, timed as the build runs them.

`run(db_path)` copies the database (the bench files stay as they are), then in a fresh
Python process each round: opens a transaction, makes customer_features again from
`core/sql/customer_features.sql` at the built as-of date (as `core.build.build` does before
the models), times the two steps (wall and CPU, measured inside the child from the call to
its return) and rolls everything back, so every round starts from the same tables. With
`base` (another checkout, e.g. a `git worktree` of an older commit) the rounds alternate
between `base` and this code (A B A B) on the same copy, and the ratios compare the best
rounds: on a shared machine the CPU time is the steadier figure.

Usable alone: `python -m bench.model_outputs --db PATH [--base CHECKOUT]` (prints JSON). At
1M customers a round takes several GB and both cores: run it alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from bench.child import ROOT, run_script

STEPS = """
import json, sys, time
from core import db, sql, value
con = db.connect(sys.argv[1])
con.execute("set enable_progress_bar = false")  # its bar would share stdout with the figures
as_of = db.built_as_of(con)
con.begin()
con.execute("create or replace table customer_features as "
            + sql.load("customer_features", con), {"as_of": as_of})
figures = {}
start, cpu = time.perf_counter(), time.process_time()
outputs = value.add_model_outputs(con, as_of)
figures["add_model_outputs_seconds"] = time.perf_counter() - start
figures["add_model_outputs_cpu_seconds"] = time.process_time() - cpu
start, cpu = time.perf_counter(), time.process_time()
value.store_page_inputs(con, as_of, outputs)
figures["store_page_inputs_seconds"] = time.perf_counter() - start
figures["store_page_inputs_cpu_seconds"] = time.process_time() - cpu
con.rollback()
con.close()
print(json.dumps(figures))
"""


def _round(code: Path, db_path: Path) -> dict:
    lines = run_script(STEPS, str(db_path), code=code)
    figures = json.loads(next(line for line in reversed(lines) if line.startswith("{")))
    figures["seconds"] = figures["add_model_outputs_seconds"] + figures["store_page_inputs_seconds"]
    figures["cpu_seconds"] = (
        figures["add_model_outputs_cpu_seconds"] + figures["store_page_inputs_cpu_seconds"]
    )
    figures["load_average"] = os.getloadavg()[0]
    return figures


def run(db_path: str | Path, rounds: int = 2, code: Path = ROOT, base: Path | None = None) -> dict:
    """The best round of `rounds` of this code (`code`) and, with `base`, of that checkout,
    alternated, with every round's figures and the ratios base / code of the best wall and
    CPU times (see the module docstring)."""
    db_path = Path(db_path)
    sides = {"code": Path(code)} if base is None else {"base": Path(base), "code": Path(code)}
    with tempfile.TemporaryDirectory(prefix="model-outputs-") as tmp:
        copy = Path(tmp) / db_path.name
        shutil.copyfile(db_path, copy)
        runs: dict[str, list[dict]] = {side: [] for side in sides}
        for _ in range(rounds):
            for side, checkout in sides.items():
                runs[side].append(_round(checkout, copy))
    result = {"database": str(db_path), "rounds": runs}
    for side, figures in runs.items():
        result[f"{side}_seconds"] = min(f["seconds"] for f in figures)
        result[f"{side}_cpu_seconds"] = min(f["cpu_seconds"] for f in figures)
    if base is not None:
        result["ratio_seconds"] = result["base_seconds"] / result["code_seconds"]
        result["ratio_cpu_seconds"] = result["base_cpu_seconds"] / result["code_cpu_seconds"]
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a built bench database (copied first)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--base", type=Path, help="an older checkout to alternate with")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.db, args.rounds, base=args.base), indent=2))


if __name__ == "__main__":
    main()
