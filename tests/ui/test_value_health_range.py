"""Model health's range in words (`ui.value.health_range_text`): what the range holds and
where the actual total fell, inside, below or above it."""

import datetime as dt

import pandas as pd
import pytest

from core.clv import PREDICTION_DRAWS, SIMULATED_CUSTOMERS, Backtest
from ui import value as vu


def _check(actual: list[int], low: float, high: float) -> Backtest:
    ids = [f"c{k}" for k in range(len(actual))]
    return Backtest(
        calibration_end=dt.date(2026, 1, 1),
        holdout_days=90,
        bgnbd=None,
        customers=pd.DataFrame({"customer_id": ids, "actual": actual}),
        by_frequency=pd.DataFrame(),
        tracking=pd.DataFrame(),
        predicted_interval={"expected_purchases": 10.0, "p5": low, "p50": 10.0, "p95": high},
    )


@pytest.mark.parametrize(
    ("actual", "verdict"),
    [
        ([4, 4, 3], "The actual total, 11, lies inside the range."),
        ([1, 2, 4], "The actual total, 7, lies inside the range."),  # the edge is inside
        ([1, 2, 3], "The actual total, 6, lies below the range"),
        ([9, 9, 9], "The actual total, 27, lies above the range"),
    ],
)
def test_the_verdict_says_where_the_actual_total_fell(actual, verdict):
    text = vu.health_range_text(_check(actual, 7.0, 14.0), "en")
    assert verdict in text
    assert text.startswith("The range under the predicted purchases is a 90% prediction")
    assert f"({PREDICTION_DRAWS} simulated futures of all 3 customers)" in text


def test_a_large_base_is_said_to_be_sampled_and_scaled():
    many = SIMULATED_CUSTOMERS + 1
    text = vu.health_range_text(_check([0] * many, 0.0, 5.0), "en")
    assert (
        f"({PREDICTION_DRAWS} simulated futures of {SIMULATED_CUSTOMERS:,} customers drawn at "
        f"random, scaled to all {many:,})"
    ) in text
    assert text.endswith("The actual total, 0, lies inside the range.")


def test_without_a_range_it_says_why():
    check = _check([1, 2, 3], 0.0, 0.0)
    check = Backtest(**{**check.__dict__, "predicted_interval": None})
    assert vu.health_range(check, "en") is None
    assert vu.health_range_text(check, "en").startswith("No range is shown")
    assert vu.health_range(_check([1], 7.0, 14.0), "en") == "between 7 and 14"
