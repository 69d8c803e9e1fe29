"""Customer 360 on a built bench database: the search box and one customer's portrait.

`run(db_path)` opens the database read-only (nothing is written, no copy) in one fresh
Python process and times, wall clock from each call to its return:
- `search`: `core.customer360.search` for each of SEARCHES (an exact id, a Chinese name, a
  phone typed with dashes, part of an e-mail, one letter), five times each: `first` and
  the median of the other four (`warm`);
- `once_per_version`: what a page computes once per data version and keeps (the star
  thresholds, `star_marks`; the churn drivers' reference sample, `driver_reference`; the
  association rules the offers come from, `core.offers.association_rules`);
- `portrait`: `core.customer360.portrait` for customers of every star and a prospect, with
  those kept: `first` (the first portrait of the process) and the median of three warm
  calls per customer (`warm`, the slowest customer's), as the page does it; and the
  customer's offers from the kept rules (`offers`, median of three); `page_warm_worst`:
  the slowest customer's portrait and offers together.

Usable alone: `python -m bench.customer360 --db PATH` (prints JSON). At 1M customers run
it under the shared lock: `flock /tmp/bench/1m.lock python -m bench.customer360 --db ...`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.child import run_script

SEARCHES = ("C0000123", "宋玲", "153-4494", "song.ling2", "x")

CHILD = """
import json, statistics, sys, time
from core import customer360 as c3, db, offers, stars
con = db.connect(sys.argv[1], read_only=True)
out = {"search": {}, "portrait": {}}
def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result
for text in json.loads(sys.argv[2]):
    times = [timed(c3.search, con, text)[0] for _ in range(5)]
    out["search"][text] = {"first": times[0], "warm": statistics.median(times[1:])}
rules = stars.active_rules(con).rules
marks_s, marks = timed(c3.star_marks, con, rules)
reference_s, reference = timed(c3.driver_reference, con, db.built_as_of(con))
rules_s, found = timed(offers.association_rules, con, db.built_as_of(con))
out["once_per_version"] = {
    "star_marks": marks_s, "driver_reference": reference_s, "offer_rules": rules_s
}
ids = [row[0] for row in con.execute(
    "select min(customer_id) from customer_features group by stars order by stars nulls first"
).fetchall()]
first = None
for customer in ids:
    times = []
    for _ in range(4):
        seconds, card = timed(c3.portrait, con, customer, marks=marks, reference=reference)
        times.append(seconds)
    first = times[0] if first is None else first
    offered = [
        timed(offers.customer_offers, con, customer, card.as_of, found=found)[0] for _ in range(3)
    ]
    out["portrait"][customer] = {
        "stars": card.stars,
        "warm": statistics.median(times[1:]),
        "offers": statistics.median(offered),
    }
out["portrait_first"] = first
out["portrait_warm_worst"] = max(v["warm"] for v in out["portrait"].values())
out["page_warm_worst"] = max(v["warm"] + v["offers"] for v in out["portrait"].values())
out["search_warm_worst"] = max(v["warm"] for v in out["search"].values())
print(json.dumps(out))
"""


def run(db_path: str | Path) -> dict:
    """Search and portrait seconds on `db_path` (read-only), as the module docstring says."""
    return json.loads(run_script(CHILD, str(db_path), json.dumps(SEARCHES))[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a bench database built by this code")
    print(json.dumps(run(parser.parse_args().db), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
