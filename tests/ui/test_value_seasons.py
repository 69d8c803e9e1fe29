"""Model health's seasons in words (`ui.value.health_seasons_text`): the learnt index's
busiest and quietest months with the flat forecast beside the seasonal one, or why there
are no seasons, in both languages."""

import datetime as dt

import numpy as np
import pandas as pd

from core.clv import Backtest
from core.seasons import SeasonalIndex
from ui import i18n
from ui import value as vu


def _check(index: SeasonalIndex | None) -> Backtest:
    customers = pd.DataFrame({"customer_id": ["a", "b"], "actual": [6, 4], "predicted": [5.0, 4.5]})
    if index is not None and index.learnt:
        customers["predicted_flat"] = [4.0, 4.0]
    return Backtest(
        calibration_end=dt.date(2026, 8, 22),
        holdout_days=90,
        bgnbd=None,
        customers=customers,
        by_frequency=pd.DataFrame(),
        tracking=pd.DataFrame(),
        predicted_interval=None,
        seasonal_index=index,
    )


def _index(reason: str = "") -> SeasonalIndex:
    factors = np.ones(12)
    factors[10], factors[1] = 1.25, 0.72
    months = pd.DataFrame({"month": np.arange(1, 13), "index": factors})
    return SeasonalIndex(dt.date(2026, 8, 22), months, reason, 18 if reason else 30, 20)


def test_a_learnt_index_names_its_months_and_the_flat_forecast(monkeypatch):
    check = _check(_index())
    text = vu.health_seasons_text(check, "en")
    assert "busiest November, ×1.25; quietest February, ×0.72" in text
    assert text.endswith("Without seasons the model would have predicted 8 (-20.0%).")
    monkeypatch.setattr(i18n, "current_language", lambda: "zh")
    text = vu.health_seasons_text(check, "zh")
    assert "最旺 11月，×1.25；最淡 2月，×0.72" in text and "8（-20.0%）" in text


def test_an_index_that_could_not_be_learnt_says_how_much_history_it_needs():
    text = vu.health_seasons_text(_check(_index("too few months")), "en")
    assert "holds 18 full months, and the seasons need 20" in text


def test_without_a_seasonal_check_the_old_note_stays():
    text = vu.health_seasons_text(_check(None), "en")
    assert text.startswith("The model has no calendar")
