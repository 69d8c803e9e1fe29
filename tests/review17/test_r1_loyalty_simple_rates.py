"""Review 17 (R1): with the shared filters, Loyalty's simple mode works its rates per tier
(purchases a month, spend a purchase, monthly retention) out of the chosen customers' history
alone (core.loyalty.offered_to), while the filters' contract and the verdict's caption
("the customer model is the one fitted on every customer") say a filter only chooses whom
the programme is offered to. On the marketplace (simple mode), customers who signed up from
June 2018 turn the high tier's monthly retention from 0.86 into the pooled 0.03."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from core import db, loyalty
from core.filters import Filters, chosen_ids

RATES = ["tier", "purchases_per_month", "spend_per_purchase", "monthly_retention"]


def test_simple_mode_keeps_the_whole_bases_rates_under_a_filter(market_db):
    con = db.connect(market_db)
    as_of = db.built_as_of(con)
    whole = loyalty.simple_history(con, as_of)
    ids = chosen_ids(con, Filters(joined_from=dt.date(2018, 6, 1)))
    offered = loyalty.offered_to(whole, ids)
    con.close()
    assert 0 < len(offered.customers) < len(whole.customers)  # offered to fewer
    pd.testing.assert_frame_equal(
        offered.rates()[RATES].reset_index(drop=True), whole.rates()[RATES].reset_index(drop=True)
    )
