"""Every page at scale through app.py (AppTest): its first (cold) run with empty caches,
its warm reruns, and each control a user moves on it (the as-of month end everywhere;
cluster count, stage rules, choices, the loyalty programme; the value horizon, discount,
margin and years retained, the model-health check; the churn horizon and risk threshold;
the offers' minimum support and confidence; a search on Customer 360, opened on CUSTOMER).

A control change is timed cold (its first time: what a user waits for) and warm (the same
change again after moving back, from the caches). The database must have been built by
`core build` (the pages read what it keeps). `python -m bench.pages <db>` prints them;
bench/browser_pages.py times the same pages in Chromium on the real server.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from core import db

HERE = Path(__file__).resolve().parent
CUSTOMER = "C0000001"  # the customer Customer 360 opens on (a demo's first customer)


def _month_end_before(day: dt.date) -> dt.date:
    return day.replace(day=1) - dt.timedelta(days=1)


def _controls(built: dt.date) -> dict[str, list[tuple[str, Callable, Callable]]]:
    """Per page: (control, move it, move it back) on an AppTest."""
    month_end = _month_end_before(built)

    def as_of(day):
        return lambda at: at.date_input(key="sidebar_as_of").set_value(day)

    def value(kind, key, new):
        return lambda at: getattr(at, kind)(key=key).set_value(new)

    def submit(at):
        at.button[0].click()  # the loyalty form's submit button, the page's first button

    def toward(kind, key, new, back):
        return (value(kind, key, new), value(kind, key, back))

    def toward_by(kind, key, step, cap=100):
        """Move a slider `step` up from where the page put it (at most `cap`), and back."""
        start = {}

        def move(at):
            start.setdefault(key, getattr(at, kind)(key=key).value)
            getattr(at, kind)(key=key).set_value(min(start[key] + step, cap))

        return move, lambda at: getattr(at, kind)(key=key).set_value(start[key])

    return {
        "overview": [("as_of_month_end", as_of(month_end), as_of(built))],
        "stars": [("as_of_month_end", as_of(month_end), as_of(built))],
        "segments": [
            (
                "grid_measure",
                value("button_group", "segments_measure", "revenue"),
                value("button_group", "segments_measure", "customers"),
            ),
            (
                "k_given",
                value("toggle", "segments_k_auto", False),
                value("toggle", "segments_k_auto", True),
            ),
            (
                "key_accounts_top",
                value("slider", "segments_top", 10),
                value("slider", "segments_top", 20),
            ),
            ("as_of_month_end", as_of(month_end), as_of(built)),
        ],
        "value": [
            ("horizon_24_months", *toward("select_slider", "value_horizon", 24, 12)),
            ("discount_20_pct", *toward("slider", "value_discount", 20, 10)),
            ("margin_plus_10", *toward_by("slider", "value_margin", 10)),
            ("years_retained_plus_1", *toward_by("slider", "value_years", 1.0)),
            ("model_health_check", *toward("toggle", "value_health_run", True, False)),
            ("as_of_month_end", as_of(month_end), as_of(built)),
        ],
        "lifecycle": [
            (
                "rule_new_days",
                value("number_input", "lifecycle_rule_new_days", 60),
                value("number_input", "lifecycle_rule_new_days", 90),
            ),
            ("as_of_month_end", as_of(month_end), as_of(built)),
        ],
        "churn": [
            *[
                (f"horizon_{days}_days", *toward("segmented_control", "churn_horizon", days, 90))
                for days in (30, 60, 180)
            ],
            ("min_risk_50", *toward("slider", "churn_min_risk", 50, 70)),
            ("as_of_month_end", as_of(month_end), as_of(built)),
        ],
        "satisfaction": [
            (
                "split",
                value("button_group", "satisfaction_split", "stars"),
                value("button_group", "satisfaction_split", "all"),
            ),
            (
                "sla_hours",
                value("number_input", "satisfaction_sla", 24),
                value("number_input", "satisfaction_sla", 48),
            ),
            ("as_of_month_end", as_of(month_end), as_of(built)),
        ],
        "products": [
            ("min_support_2_pct", *toward("select_slider", "products_support", 0.02, 0.01)),
            ("min_confidence_30", *toward("slider", "products_confidence", 30, 20)),
            ("as_of_month_end", as_of(month_end), as_of(built)),
        ],
        "customer": [  # opened on CUSTOMER (the address's ?customer=)
            ("search_name", *toward("text_input", "customer_search", "song", "")),
        ],
        "loyalty": [
            (
                "preset",
                value("button_group", "loyalty_preset", "tiers_referral"),
                value("button_group", "loyalty_preset", "points_tiers"),
            ),
            (
                "programme_submit",
                lambda at: (
                    value("number_input", "loyalty_points_tiers_fixed_cost", 5_000)(at),
                    submit(at),
                ),
                lambda at: (
                    value("number_input", "loyalty_points_tiers_fixed_cost", 0)(at),
                    submit(at),
                ),
            ),
        ],
    }


def _timed_run(at) -> float:
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    assert not at.exception, at.exception
    return round(seconds, 3)


def run(db_path: str | Path, repeats: int = 3, controls: bool = True) -> dict:
    """Cold and warm seconds of each page and of each control change on it (`controls`
    False: the pages only)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.apptest import without_legacy_pages_mode

    os.environ[db.ENV_VAR] = str(db_path)
    con = db.connect(db_path, read_only=True)
    built = db.built_as_of(con)
    con.close()
    figures: dict[str, dict] = {}
    with without_legacy_pages_mode():
        at = AppTest.from_file(str(HERE.parent / "app.py"), default_timeout=900)
        figures["first_run_with_imports_seconds"] = _timed_run(at)
        for page, moves in _controls(built).items():
            st.cache_data.clear()
            st.cache_resource.clear()
            if page == "customer":
                at.query_params["customer"] = CUSTOMER
            at.switch_page(f"pages/{page}.py")
            page_figures = {"cold_seconds": _timed_run(at)}
            page_figures["warm_seconds_median"] = statistics.median(
                _timed_run(at) for _ in range(repeats)
            )
            for name, move, back in moves if controls else ():
                move(at)
                cold = _timed_run(at)
                back(at)
                _timed_run(at)
                move(at)
                warm = _timed_run(at)
                back(at)
                _timed_run(at)
                page_figures[name] = {"cold_seconds": cold, "warm_seconds": warm}
            figures[page] = page_figures
            print(page, page_figures, flush=True)
    return figures


if __name__ == "__main__":
    print(run(sys.argv[1]))
