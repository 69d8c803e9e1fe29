"""The Stars page's headline numbers, from a distribution you can add up by hand."""

import numpy as np
import pandas as pd
import pytest

from core.stars import DEFAULT_RULES
from ui import stars as sr


def _distribution(customers, revenue) -> pd.DataFrame:
    customers = np.array(customers)
    return pd.DataFrame(
        {
            "stars": [1, 2, 3, 4, 5],
            "customers": customers,
            "share": customers / max(customers.sum(), 1),
            "revenue_12m": revenue,
        }
    )


def test_the_headline_adds_up_the_high_value_stars():
    dist = _distribution([10, 20, 30, 25, 15], [100.0, 200.0, 300.0, 600.0, 800.0])
    top = sr.headline(dist, DEFAULT_RULES)  # 4 and 5 stars are high value
    assert (top.rated, top.five_stars) == (100, 15)
    assert top.high_value_share == pytest.approx(0.40)
    assert top.high_value_revenue_share == pytest.approx(1400 / 2000)
    only_five = DEFAULT_RULES.replace(high_value_stars=(5,), medium_value_stars=(3, 4))
    assert sr.headline(dist, only_five).high_value_share == pytest.approx(0.15)


def test_no_revenue_and_no_one_rated_give_no_share():
    top = sr.headline(_distribution([0, 0, 0, 0, 0], [0.0] * 5), DEFAULT_RULES)
    assert (top.rated, top.five_stars, top.high_value_share) == (0, 0, 0.0)
    assert top.high_value_revenue_share is None
