"""What to offer next under the shared filters: the rules are every basket's, so a chosen
customer's offers are those they get without a filter; what the chosen bought is counted in
their own baskets only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import db, offers


def test_the_chosen_are_offered_what_everyone_is_and_their_items_are_their_own(uk_shop_db):
    con = db.connect(uk_shop_db, read_only=True)
    try:
        as_of = db.built_as_of(con)
        settings = offers.OfferSettings(level="product")
        found = offers.association_rules(con, as_of, settings)
        everyone = offers.offers(con, as_of, settings, found)
        ids = np.sort(everyone["customer_id"].unique())[::3].astype(object)
        chosen = offers.offers(con, as_of, settings, customers=ids)  # rules mined by default
        items = offers.bought_items(con, as_of, settings, ids)
        pd.testing.assert_frame_equal(offers.bought_items(con, as_of, settings), found.items)
        narrowed = offers.association_rules(con, as_of, settings, ids)
    finally:
        con.close()
    expected = everyone[everyone["customer_id"].isin(ids)]
    key = ["customer_id", "rank"]
    pd.testing.assert_frame_equal(
        chosen.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(items, narrowed.items)
    assert items["customers"].sum() < found.items["customers"].sum()
