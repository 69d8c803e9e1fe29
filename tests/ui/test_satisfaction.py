"""What the Satisfaction page reads off its trend and complaints tables."""

import pandas as pd

from ui import i18n
from ui import satisfaction as sat


def _trend() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group_key": ["app", "app", "wechat", "wechat"],
            "nps_answers": [0, 0, 0, 0],
            "csat_answers": [40, 3, 25, 0],
            "nps_thin": [True, True, True, True],
            "csat_thin": [False, True, False, True],
        }
    )


def test_answers_and_thin_points_follow_the_measure():
    trend = _trend()
    assert not sat.has_answers(trend, "nps")
    assert sat.has_answers(trend, "csat") and sat.has_answers(trend, "satisfied_share")
    assert sat.thin_points(trend, "nps") == 4
    assert sat.thin_points(trend, "csat") == sat.thin_points(trend, "satisfied_share") == 2
    assert sat.group_keys(trend) == ["app", "wechat"]
    assert not sat.has_answers(trend.iloc[:0], "csat")


def test_complaints_are_counted_once_and_categories_labelled(monkeypatch):
    monkeypatch.setattr(i18n, "current_language", lambda: "zh")
    complaints = pd.DataFrame(
        {
            "category": ["delivery", "late_gift", None, "delivery", "late_gift", None],
            "is_total": [False, False, True, False, False, True],
            "complaints": [2, 1, 3, 0, 4, 4],
        }
    )
    assert sat.complaint_total(complaints) == 7
    assert sat.category_labels(complaints) == {"delivery": "物流", "late_gift": "late_gift"}
