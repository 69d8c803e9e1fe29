"""What to offer next on a built bench database: the seconds of each step, read-only.

`run(db_path)` opens the database read-only in a fresh Python process (the offers make
temp tables only) and times, as of the build's date, with the default OfferSettings at the
category level: the basket decision, mining the rules, the rules within segments, the
offers for every buyer (the target list), one customer's offers given the rules (what
Customer 360 shows; the first, the median and the largest of REPEATS customers), and the
backtest (rules and offers as of the cut-off, both hit rates). It also gives the counts
(rules, baskets, offers) and the backtest's figures, so a run shows what it measured.

Usable alone: `python -m bench.offers --db PATH` (prints JSON). At 1M customers run it
alone (under the shared lock).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.child import run_script

REPEATS = 5

STEPS = """
import json, statistics, sys, time
from core import db, offers
con = db.connect(sys.argv[1], read_only=True)
repeats = int(sys.argv[2])
as_of = db.built_as_of(con)
settings = offers.OfferSettings()
seconds = {}

def timed(name, work):
    started = time.perf_counter()
    out = work()
    seconds[name] = time.perf_counter() - started
    return out

basket = timed("basket_kind", lambda: offers.basket_kind(con, as_of, settings.level))
found = timed("rules", lambda: offers.association_rules(con, as_of, settings))
by_segment = timed("rule_segments", lambda: offers.rule_segments(con, as_of, settings, found))
target = timed("target_list", lambda: offers.offers(con, as_of, settings, found))
one = []
for customer in target["customer_id"].drop_duplicates().sample(repeats, random_state=0):
    started = time.perf_counter()
    offers.customer_offers(con, customer, as_of, settings, found)
    one.append(time.perf_counter() - started)
seconds["one_customer_first"] = one[0]
seconds["one_customer_median"] = statistics.median(one)
seconds["one_customer_max"] = max(one)
test = timed("backtest", lambda: offers.backtest(con, as_of, settings))
print(json.dumps({
    "seconds": seconds,
    "basket": basket,
    "baskets": found.baskets,
    "rules": len(found.rules),
    "rule_segment_rows": len(by_segment),
    "target_rows": len(target),
    "target_customers": int(target["customer_id"].nunique()),
    "backtest": {
        "cut_off": str(test.cut_off), "customers": test.customers,
        "hit_rate": test.hit_rate, "baseline_hit_rate": test.baseline_hit_rate,
        "first_hit_rate": test.first_hit_rate,
        "baseline_first_hit_rate": test.baseline_first_hit_rate,
    },
}))
"""


def run(db_path: str | Path, repeats: int = REPEATS) -> dict:
    """The seconds of each offers step on `db_path` (read-only) and what they produced."""
    return json.loads(run_script(STEPS, str(db_path), str(repeats))[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a bench database built by this code")
    print(json.dumps(run(parser.parse_args().db), indent=2))


if __name__ == "__main__":
    main()
