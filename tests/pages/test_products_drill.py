"""What to offer next through app.py: the customers behind a clicked item bar (the page keeps
the click in the session, which is how AppTest, unable to click a plotly chart, gives it
one), the rules tables' downloads and the shared filters, against the raw transactions
restricted by hand."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core import db, offers
from tests.ui.test_export_lists import made  # noqa: F401 (a fixture)
from ui import format as fmt

PAGE = "pages/products.py"


def _bought(path, column: str) -> tuple[pd.DataFrame, object]:
    """Every purchase line (refunds out) with the customer's region and stars, by hand."""
    con = db.connect(path)
    try:
        as_of = db.built_as_of(con)
        lines = con.execute(
            f"select t.customer_id, t.{column} as item, c.region, f.stars "  # fixed names
            "from transactions t join customers c using (customer_id) "
            "left join customer_features f using (customer_id) "
            "where t.amount >= 0 and t.ordered_at::date <= ?",
            [as_of],
        ).df()
    finally:
        con.close()
    return lines, as_of


def _heading(at) -> str:
    return next((m.value for m in at.main.markdown if m.value.startswith("**")), "")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_clicked_category_lists_its_buyers_until_closed(app_on, demo_db, lang):
    lines, _ = _bought(demo_db, "product_category")
    top = lines.groupby("item")["customer_id"].nunique().sort_values().index[-1]
    at = app_on(demo_db, lang=lang)
    at.session_state["products_drill_item"] = ["category", top]  # before the page: see Segments
    at.switch_page(PAGE).run()
    assert not at.exception
    count = lines[lines["item"] == top]["customer_id"].nunique()
    heading = _heading(at)
    assert heading.endswith(f"{fmt.count(count, lang)}**")
    assert heading.startswith({"en": "**Customers who bought ", "zh": "**买过"}[lang])
    if lang == "zh":
        return
    at.button(key="products_items_chart_close").click().run()
    assert not at.exception and _heading(at) == ""


def test_a_star_filter_lists_the_chosen_but_mines_every_basket(app_on, uk_shop_db, made):  # noqa: F811
    """Under a star filter the rules (tiles, download) are those of every basket, while the
    items counted and an item's buyers are the chosen customers'."""
    lines, as_of = _bought(uk_shop_db, "product_id")
    at = app_on(uk_shop_db)
    at.multiselect(key="filter_stars_en").set_value([4, 5]).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    ids = np.sort(lines[lines["stars"] >= 4]["customer_id"].unique()).astype(object)
    settings = offers.OfferSettings(level="product")
    con = db.connect(uk_shop_db)
    try:
        every = offers.association_rules(con, as_of, settings)
        items = offers.bought_items(con, as_of, settings, ids)
    finally:
        con.close()
    assert items["customers"].sum() < every.items["customers"].sum()  # fewer buyers counted
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Rules"] == fmt.count(len(every.rules), "en")
    assert tiles["Orders (baskets)"] == fmt.count(every.baskets, "en")
    assert tiles["Items bought"] == fmt.count(len(items), "en")
    assert any("mined on every customer's baskets" in c.value for c in at.caption)
    rules = next(c for c in made if c["columns"][0].key == "antecedent")
    table = pd.read_csv(io.BytesIO(rules["csv"]()))
    assert len(table) == len(every.rules) and list(table["Lift"]) == pytest.approx(
        list(every.rules["lift"]), abs=0.01
    )
    assert "4 ★, 5 ★" in dict(rules["about"].rows)["Filters"]
    top = items["item"].iloc[0]
    at.session_state["products_drill_item"] = ["product", top]
    at.run()
    chosen = lines[(lines["item"] == top) & lines["customer_id"].isin(ids)]
    assert _heading(at).endswith(f": {fmt.count(chosen['customer_id'].nunique(), 'en')}**")
