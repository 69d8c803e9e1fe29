"""Customer value through app.py: a clicked bar's customers (the page keeps the click in
the session, which is how AppTest, unable to click a plotly chart, gives it one) and the
shared filters, against the core's values restricted by hand."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core import db, value
from tests.ui.test_export_lists import made  # noqa: F401 (a fixture)
from ui import format as fmt
from ui.i18n import load_catalog

PAGE = "pages/value.py"


def _values(path):
    con = db.connect(path)
    try:
        as_of = db.built_as_of(con)
        models = value.fit_value_models(con, as_of)
        settings = value.value_defaults(con, as_of).settings()
        values = value.customer_values(con, models, settings)
        regions = con.execute("select customer_id, region from customers order by customer_id").df()
    finally:
        con.close()
    return values.merge(regions, on="customer_id", how="left")


# Model health's own bold title, always on the page: not a list's heading
MODEL_CHOICE = {f"**{load_catalog(lang)['model_choice.title']}**" for lang in ("en", "zh")}


def _heading(at) -> str:
    """The open list's heading ("" when no list is open)."""
    bold = (m.value for m in at.main.markdown if m.value.startswith("**"))
    return next((v for v in bold if v not in MODEL_CHOICE), "")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_clicked_star_bar_lists_its_customers_until_closed(app_on, demo_db, lang):
    at = app_on(demo_db, lang=lang).switch_page(PAGE).run()
    assert not at.exception and _heading(at) == ""
    values = _values(demo_db)
    five = values[values["stars"] == 5].sort_values("predicted_clv", ascending=False)
    at.session_state["value_drill_group"] = "5"
    at.run()
    assert not at.exception
    count = fmt.count(len(five), lang)
    words = {"en": f"**5★ customers: {count}**", "zh": f"**5★客户：{count}**"}[lang]
    assert _heading(at) == words
    listed = next(d.value for d in at.dataframe if "formula_clv" in d.value and len(d.value) != 20)
    assert list(listed["customer_id"]) == list(five["customer_id"].head(200))
    assert at.button(key="value_group_chart_close")
    at.button(key="value_group_chart_close").click().run()
    assert not at.exception and _heading(at) == ""
    assert "value_drill_group" not in at.session_state


def test_a_clicked_band_lists_the_customers_its_bar_counts(app_on, uk_shop_db):
    at = app_on(uk_shop_db).switch_page(PAGE).run()
    values = _values(uk_shop_db)
    hist = value.distribution(values, "predicted_clv")
    band = int(np.argmax(hist["customers"].to_numpy() > 0))
    at.session_state["value_drill_band"] = band
    at.run()
    assert not at.exception
    expected = int(hist["customers"].iloc[band])
    assert _heading(at).startswith("**Customers with a predicted CLV of £")
    assert _heading(at).endswith(f": {fmt.count(expected, 'en')}**")


def _region(path) -> str:
    con = db.connect(path)
    try:
        return con.execute(
            "select region from customers where region is not null "
            "group by 1 order by count(*) desc limit 1"
        ).fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_region_filter_counts_and_lists_its_customers_only(app_on, demo_db, lang):
    region = _region(demo_db)
    at = app_on(demo_db, lang=lang)
    at.multiselect(key=f"filter_regions_{lang}").set_value([region]).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    values = _values(demo_db)
    chosen = values[values["region"] == region]
    total = fmt.money(chosen["predicted_clv"].sum(), lang, "CNY")
    tiles = [m.value for m in at.metric]
    assert tiles[0] == total
    assert tiles[0] != fmt.money(values["predicted_clv"].sum(), lang, "CNY")
    words = {"en": "not refitted on the chosen ones", "zh": "不会只用所选客户重新拟合"}[lang]
    assert any(words in c.value for c in at.caption)
    top = at.dataframe[1].value  # the top customers: the chosen ones only
    assert set(top["customer_id"]) <= set(chosen["customer_id"])
    assert list(top["customer_id"]) == list(chosen.nlargest(20, "predicted_clv")["customer_id"])
    at.session_state["value_drill_group"] = "5"
    at.run()
    five = (chosen["stars"] == 5).sum()
    assert _heading(at).endswith(f"{fmt.count(five, lang)}**")


def test_the_model_parameters_download_as_shown(app_on, demo_db, made):  # noqa: F811
    at = app_on(demo_db).switch_page(PAGE).run()
    assert not at.exception
    parameter = load_catalog("en")["value.param_name"]  # the parameters table, not the models'
    call = next(c for c in made if [col.header for col in c["columns"][:2]] == ["Model", parameter])
    shown = next(d.value for d in at.dataframe if parameter in d.value.columns)
    csv = pd.read_csv(io.BytesIO(call["csv"]()), dtype=str, keep_default_na=False)
    assert call["rows"] == len(shown) == 7  # the purchase model's four; p, q, v
    assert csv.values.tolist() == shown.astype(str).values.tolist()
    assert dict(call["about"].rows)["List"] == "Model parameters"
