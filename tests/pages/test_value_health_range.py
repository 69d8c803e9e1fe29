"""Model health's range of predicted purchases through app.py: the range under the
predicted total is the prediction interval of the backtest, and a caption says what it
holds and where the actual total fell, in both languages."""

import datetime as dt

import pytest

from core import db
from core.clv import backtest
from tests.conftest import DEMO_END
from ui import format as fmt

PAGE = "pages/value.py"
WORDS = {
    "en": ("between {low} and {high}", "90% prediction interval", "lies {where} the range"),
    "zh": ("区间：{low} 至 {high}", "90% 预测区间", "{where}"),
}
WHERE = {
    "en": {"inside": "inside", "below": "below", "above": "above"},
    "zh": {"inside": "落在区间内", "below": "低于区间下限", "above": "高于区间上限"},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_health_check_shows_the_prediction_interval_and_says_what_it_holds(
    app_on, demo_db, lang
):
    con = db.connect(demo_db)
    check = backtest(con, DEMO_END - dt.timedelta(days=90), 90)
    con.close()
    at = app_on(demo_db, lang=lang).switch_page(PAGE).run()
    at.toggle(key="value_health_run").set_value(True).run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    iv = check.predicted_interval
    between, holds, verdict = WORDS[lang]
    low, high = fmt.count(iv["p5"], lang), fmt.count(iv["p95"], lang)
    assert between.format(low=low, high=high) in captions
    actual = check.actual_total
    where = "below" if actual < iv["p5"] else "above" if actual > iv["p95"] else "inside"
    note = next(c for c in captions if holds in c)
    assert verdict.format(where=WHERE[lang][where]) in note
    assert fmt.count(actual, lang) in note
