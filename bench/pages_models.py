"""The Customer value and Churn risk pages through app.py: first open (cold caches) and a
rerun (warm), and each control a user moves there, the first time (cold) and again after
moving it back (warm): the value horizon, discount rate, margin and years retained, the
churn horizon and risk threshold, and the as-of date moved to the month end before the
build's (the models are then fitted or trained on the page, with words of progress).

`run(db_path)` returns the figures in seconds; the lead wires it into bench/run.py. The
database must have been built by `core build` (the pages read what it stored).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from core import db

APP = str(Path(__file__).resolve().parent.parent / "app.py")
VALUE, CHURN = "pages/value.py", "pages/churn.py"


def _timed_run(at) -> float:
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    assert not at.exception, at.exception
    return round(seconds, 3)


def _month_end_before(day: dt.date) -> dt.date:
    return day.replace(day=1) - dt.timedelta(days=1)


def _control(at, widget, key: str, value, back) -> dict:
    """Move a control to `value` (cold), back to `back`, and to `value` again (warm)."""
    element = getattr(at, widget)(key=key)
    element.set_value(value)
    cold = _timed_run(at)
    getattr(at, widget)(key=key).set_value(back)
    at.run()
    getattr(at, widget)(key=key).set_value(value)
    return {"cold_seconds": cold, "warm_seconds": _timed_run(at)}


def _open(page: str) -> tuple[object, dict]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=900)
    at.switch_page(page)
    cold = _timed_run(at)
    return at, {"open_cold_seconds": cold, "open_warm_seconds": _timed_run(at)}


def run(db_path) -> dict:
    """Cold and warm seconds of the two pages and of each of their controls on `db_path`."""
    from tests.apptest import without_legacy_pages_mode

    os.environ[db.ENV_VAR] = str(db_path)
    con = db.connect(db_path, read_only=True)
    built = db.built_as_of(con)
    con.close()
    month_end = _month_end_before(built)
    figures: dict = {"as_of": str(built), "other_month_end": str(month_end)}
    with without_legacy_pages_mode():
        at, value = _open(VALUE)
        value["horizon_24_months"] = _control(at, "select_slider", "value_horizon", 24, 12)
        value["discount_20_pct"] = _control(at, "slider", "value_discount", 20, 10)
        margin = at.slider(key="value_margin").value
        value["margin"] = _control(at, "slider", "value_margin", min(margin + 10, 100), margin)
        years = at.slider(key="value_years").value
        value["years_retained"] = _control(at, "slider", "value_years", years + 1.0, years)
        value["as_of_month_end"] = _control(at, "date_input", "sidebar_as_of", month_end, built)
        figures["value"] = value
        print("value", value, flush=True)

        at, churn = _open(CHURN)
        for days in (30, 60, 180):
            moved = _control(at, "segmented_control", "churn_horizon", days, 90)
            churn[f"horizon_{days}_days"] = moved
        churn["min_risk_50"] = _control(at, "slider", "churn_min_risk", 50, 70)
        churn["as_of_month_end"] = _control(at, "date_input", "sidebar_as_of", month_end, built)
        figures["churn"] = churn
        print("churn", churn, flush=True)
    return figures


if __name__ == "__main__":
    import sys

    print(run(sys.argv[1]))
