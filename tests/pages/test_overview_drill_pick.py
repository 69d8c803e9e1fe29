"""The Overview through app.py: a clicked star's list is kept in the session (the way back
from Customer 360 finds it) until Close, which forgets it for good."""

from __future__ import annotations

from tests.pages.conftest import app_on  # noqa: F401 (the fixture)
from ui import overview as ov

FIVE = {
    "selection": {"points": [{"customdata": [5]}], "point_indices": [4], "box": [], "lasso": []}
}


def _headings(at) -> list[str]:
    return [m.value for m in at.main.markdown if m.value.startswith("**")]


def test_a_star_list_stays_open_across_reruns_until_closed(app_on, demo_db):  # noqa: F811
    at = app_on(demo_db)
    at.session_state[ov.chart_key(ov.MIX)] = FIVE  # a click on the 5-star bar
    at.run()
    assert _headings(at)[:1] and _headings(at)[0].startswith("**5★ customers: ")
    assert at.session_state[ov.PICKS[ov.MIX]] == 5
    at.run()
    assert _headings(at)[0].startswith("**5★ customers: ")
    at.button(key="overview_mix_close").click().run()
    assert not at.exception
    assert not any(h.startswith("**5★ customers: ") for h in _headings(at))
    assert ov.PICKS[ov.MIX] not in at.session_state
    at.run()
    assert not any(h.startswith("**5★ customers: ") for h in _headings(at))
