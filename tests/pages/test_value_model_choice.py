"""Model health's model choice through app.py: the comparison the build stored (models,
bias, MAE against predicting none, top-10% capture, which is used), why in words in both
languages, the decile chart; a shop where the models cannot be compared says why; and the
purchase-model control saves the setting and rebuilds with it."""

import json
import shutil

import pytest

from core import db, settings, value
from core.model_choice import AUTOMATIC
from ui import data

PAGE = "pages/value.py"
USED = {"en": "✓", "zh": "✓"}
NAMES = {"bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD", "mbgnbd": "MBG/NBD"}
WHY = {
    "en": "{model} predicted the held-out days best overall: its total was {error} off",
    "zh": "{model} 在留出期上的综合预测最好：总量与实际相差 {error}",
}
NOT_COMPARED = {"en": "the models could not be compared", "zh": "无法比较各模型"}


def _choice(path):
    con = db.connect(path)
    made = value.stored_choice(con)
    con.close()
    return made


def _frames(at):
    return [df.value for df in at.dataframe]


def _comparison_table(at, lang):
    column = {"en": "Revenue of its top 10%", "zh": "排名前 10% 客户的收入占比"}[lang]
    return next(f for f in _frames(at) if column in f.columns)


@pytest.mark.parametrize(
    ("shop_db", "lang"), [("demo_db", "en"), ("demo_db", "zh"), ("uk_shop_db", "en")]
)
def test_model_health_shows_the_comparison_and_why(app_on, request, shop_db, lang):
    path = request.getfixturevalue(shop_db)
    made = _choice(path)
    assert made.setting == AUTOMATIC and made.comparison is not None
    at = app_on(path, lang=lang).switch_page(PAGE).run()
    assert not at.exception
    table = _comparison_table(at, lang)
    assert len(table) == len(made.comparison.table) == 3
    used = table[table.iloc[:, -1] == USED[lang]]
    assert used.iloc[:, 0].tolist() == [NAMES[made.model]]
    bias = {"en": "Bias of the total", "zh": "总量偏差"}[lang]
    expected = [f"{v:+.1f}%" for v in made.comparison.table["total_error_pct"]]
    assert table[bias].tolist() == expected
    why = made.comparison.why.values
    sentence = WHY[lang].format(model=NAMES[made.model], error=f"{why['total_error_pct']:+.1f}%")
    assert any(sentence in m.value for m in at.markdown)
    charts = at.get("plotly_chart")
    title = {"en": "predicted and actual, by tenth of customers", "zh": "按客户十分位"}[lang]
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in charts]
    assert any(title in text for text in titles), titles
    assert at.selectbox(key="value_purchase_model").value == AUTOMATIC
    # the totals at the top of the page say which model predicted them
    named = {"en": "purchases predicted by {model} (", "zh": "购买次数由 {model} 模型预测"}[lang]
    assert any(named.format(model=NAMES[made.model]) in c.value for c in at.caption)


def test_a_shop_too_small_for_the_models_says_why(app_on, small_db):
    """80 customers: no model can be fitted, so none is compared either; the page says why
    in words (the stored choice keeps the same reason) and shows no comparison."""
    made = _choice(small_db)
    assert made.comparison is None and made.reason.code == "few_customers"
    at = app_on(small_db, lang="en").switch_page(PAGE).run()
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "80" in warning and "Traceback" not in warning
    assert not any("Revenue of its top 10%" in f.columns for f in _frames(at))


def test_choosing_a_model_saves_it_and_rebuilds_with_it(app_on, uk_shop_db, tmp_path):
    path = tmp_path / "uk.duckdb"
    shutil.copy(uk_shop_db, path)
    at = app_on(path, lang="en").switch_page(PAGE).run()
    assert at.button(key="value_rebuild").disabled  # nothing to save yet
    at.selectbox(key="value_purchase_model").set_value("mbgnbd").run()
    at.button(key="value_rebuild").click().run()
    assert not at.exception
    con = data.cursor()  # the app's own connection to the file (it holds it open)
    made = value.stored_choice(con)
    assert (made.setting, made.model) == ("mbgnbd", "mbgnbd")
    assert settings.get(con, "purchase_model") == "mbgnbd"
    assert type(value.stored_fits(con, db.built_as_of(con))[0]).__name__ == "MBGNBDModel"
    table = _comparison_table(at, "en")
    assert table[table.iloc[:, -1] == USED["en"]].iloc[:, 0].tolist() == ["MBG/NBD"]
    assert any("The build uses MBG/NBD, as set below" in m.value for m in at.markdown)
