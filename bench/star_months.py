"""The month-end ratings on a built bench database: their build step, a rule-set save and
the flows the Stars page reads.

`run(db_path)` copies the database (the bench files stay as they are), then in one fresh
Python process of checkout `code` (another worktree compares an older version in the same
run):
- `add_ratings_seconds` (and `add_ratings_cpu_seconds`, the process's CPU time over both
  cores): the build step `core.stars.add_ratings` in a transaction, as `core build` runs
  it, on customer_features as the build has it before that step (the ratings and
  relationship inputs taken off first): the ratings into customer_features and the month
  ends into customer_monthly;
- `inputs_seconds`: the month-end inputs' SQL (`core.monthly.month_end_inputs`) alone;
- `build_seconds`: `core.stars.build_customer_monthly` (that SQL, the roll over the month
  ends, their rating and the table written);
- `save_seconds`: two star rule-set saves (`core.stars.save_rule_set`: the rules made
  active and the ratings re-rated), other weights and thresholds each time;
- `flows_seconds`: `core.stars.star_flows` between the month end a year before the last
  and the last, by stars then by segment, three times each (the Stars page caches each
  answer per data version, so the first of each is what a reader waits for).
Times are wall clock inside the child, from each call to its return.

Usable alone: `python -m bench.star_months --db PATH` (prints JSON). At 1M customers run
it alone (it takes a few GB and both cores).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from bench.child import ROOT, run_script

CHILD = """
import inspect, json, resource, sys, time
from core import db, monthly, stars
con = db.connect(sys.argv[1])
as_of = db.built_as_of(con)
out = {}
taken = [*stars.RELATIONSHIP_INPUTS, *stars.RATING_COLUMNS, "lifecycle_stage"]
taken = [c for c in taken if c in db.columns(con, "customer_features")]
con.execute(
    "create or replace table customer_features as "
    f"select * exclude ({', '.join(taken)}) from customer_features"
)
con.execute("checkpoint")
cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
start = time.perf_counter()
with db.transaction(con):
    stars.add_ratings(con, as_of)
out["add_ratings_seconds"] = time.perf_counter() - start
out["add_ratings_cpu_seconds"] = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu
start = time.perf_counter()
monthly.month_end_inputs(con, stars.month_ends(as_of))
out["inputs_seconds"] = time.perf_counter() - start
rules = stars.active_rules(con).rules
takes_rules = "rules" in inspect.signature(stars.build_customer_monthly).parameters
start = time.perf_counter()
stars.build_customer_monthly(con, as_of, *([rules] if takes_rules else []))
out["build_seconds"] = time.perf_counter() - start
out["rows"] = con.execute("select count(*) from customer_monthly").fetchall()[0][0]
saves = []
for rule_set in (
    stars.DEFAULT_RULES.replace(weights=(40, 20, 30, 10), top_shares=(0.1, 0.3, 0.5, 0.7)),
    stars.DEFAULT_RULES.replace(mode="score", score_thresholds=(75, 60, 45, 25)),
):
    start = time.perf_counter()
    stars.save_rule_set(con, rule_set, "bench", saved_by="bench")
    saves.append(time.perf_counter() - start)
out["save_seconds"] = saves
ends = stars.monthly_ends(con)
flows = {}
for by in ("stars", "segment"):
    times = []
    for _ in range(3):
        start = time.perf_counter()
        answer = stars.star_flows(con, ends[-13], ends[-1], by)
        times.append(time.perf_counter() - start)
    flows[by] = times
    out[f"flows_{by}"] = answer.to_dict(orient="records")
out["flows_seconds"] = flows
stars.activate_rule_set(con, stars.DEFAULT_NAME, 0)
con.close()
print(json.dumps(out, default=str))
"""


def run(db_path: str | Path, code: Path = ROOT) -> dict:
    """The figures of the module docstring for a built database `db_path`, measured on a
    copy with checkout `code`."""
    db_path = Path(db_path)
    with tempfile.TemporaryDirectory(prefix="star-months-") as tmp:
        copy = Path(tmp) / db_path.name
        shutil.copyfile(db_path, copy)
        figures = json.loads(run_script(CHILD, str(copy), code=code)[-1])
    return {"database": str(db_path), **figures, "load_average": os.getloadavg()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a built bench database (copied first)")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to run")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.db, args.code), indent=2))


if __name__ == "__main__":
    main()
