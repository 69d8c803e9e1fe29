"""Review of issue 17: insights honest on thin data.

core/insights.py says an insight is made only when the figure is meaningful, "a group of
fewer than MIN_CUSTOMERS customers ... makes no sentence"; every rule but `growth` checks
it. A shop with 2 active customers a year ago and 5 now gets "Revenue over the 12 months
is ..., +150% against the 12 months before; active customers +150%." on the Overview.
"""

import datetime as dt

import pytest

from core import insights, overview


def _kpis(**values) -> overview.Kpis:
    zero = {f.name: 0 for f in overview.Kpis.__dataclass_fields__.values() if f.name != "as_of"}
    zero.update(previous_start=None, first_ordered_on=None, has_previous=False)
    return overview.Kpis(as_of=dt.date(2025, 1, 1), **{**zero, **values})


@pytest.mark.xfail(
    strict=True,
    reason="insights.growth has no MIN_CUSTOMERS floor: a handful of customers makes a "
    "growth sentence",
)
def test_a_handful_of_active_customers_makes_no_growth_sentence():
    kpis = _kpis(
        customers=5,
        customers_previous=2,
        active_customers=5,
        active_customers_previous=2,
        revenue=500.0,
        revenue_previous=200.0,
        orders=5,
        orders_previous=2,
        has_previous=True,
        previous_start=dt.date(2023, 1, 2),
        first_ordered_on=dt.date(2023, 1, 1),
    )
    assert kpis.active_customers < insights.MIN_CUSTOMERS
    assert insights.insights(overview.Story(kpis)) == []
