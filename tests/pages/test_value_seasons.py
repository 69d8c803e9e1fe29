"""Model health on the Customer value page says, in both languages, that its forecast follows
the shop's seasons and what the flat forecast would have said."""

import datetime as dt

import pytest

from core import db
from core.clv import backtest
from tests.conftest import DEMO_END
from ui import format as fmt

PAGE = "pages/value.py"


@pytest.mark.parametrize(
    ("lang", "words"),
    [(None, "Without seasons the model would have predicted"), ("zh", "若不考虑季节")],
)
def test_model_health_shows_the_flat_forecast_beside_the_seasonal_one(app_on, demo_db, lang, words):
    con = db.connect(demo_db)
    check = backtest(con, DEMO_END - dt.timedelta(days=90), 90)
    con.close()
    assert check.is_seasonal  # the demo's three years teach the seasons
    at = app_on(demo_db, lang=lang).switch_page(PAGE).run()
    at.toggle(key="value_health_run").set_value(True).run()
    assert not at.exception
    captions = [c.value for c in at.caption if words in c.value]
    assert len(captions) == 1
    flat = fmt.count(check.predicted_flat_total, lang or "en")
    error = f"{check.flat_error_pct:+.1f}%"
    assert (f"{flat}（{error}）" if lang else f"{flat} ({error})") in captions[0]
