"""Overview figures on a hand-made shop whose numbers can be worked out by hand."""

import datetime as dt

import pytest

from core import db
from core.overview import data_span, monthly_revenue, overview_kpis

AS_OF = dt.date(2025, 6, 30)  # current period: 2024-07-01 .. 2025-06-30


@pytest.fixture
def shop(tmp_path):
    con = db.connect(tmp_path / "shop.duckdb")
    con.execute(
        """
        insert into customers (customer_id, signed_up_at) values
            ('a', '2023-01-10'), ('b', '2024-03-01'), ('c', '2024-08-15'),
            ('d', '2025-06-30 18:00'), ('e', '2025-07-01')
        """
    )
    con.execute(
        """
        insert into transactions (transaction_id, customer_id, ordered_at, amount, cost) values
            ('1', 'a', '2023-08-01 10:00', 100, 50),   -- previous period
            ('2', 'b', '2024-03-02 09:00', 200, 100),  -- previous period
            ('3', 'b', '2024-06-30 23:59', 50, 20),    -- previous period (last second)
            ('4', 'a', '2024-07-01 00:00', 300, 100),  -- current period (first second)
            ('5', 'a', '2024-07-01 15:00', 100, 40),   -- same day as 4: one purchase day
            ('6', 'a', '2025-01-05 12:00', 100, 40),   -- a's second purchase day
            ('7', 'c', '2024-09-01 12:00', 80, 30),
            ('8', 'c', '2024-10-01 12:00', -20, -8),   -- refund: revenue, not an order
            ('9', 'd', '2025-06-30 20:00', 40, 10),    -- the as-of day counts
            ('10', 'e', '2025-07-01 08:00', 999, 1)    -- after the as-of date
        """
    )
    return con


def test_kpis_by_hand(shop):
    k = overview_kpis(shop, AS_OF)
    assert k.customers == 4  # e signed up after the as-of date
    assert k.customers_previous == 2  # a, b by 2024-06-30
    assert k.active_customers == 3  # a, c, d
    assert k.active_customers_previous == 2  # a, b
    assert k.revenue == pytest.approx(300 + 100 + 100 + 80 - 20 + 40)
    assert k.revenue_previous == pytest.approx(350)
    assert k.orders == 5  # 4, 5, 6, 7, 9 (the refund is not an order)
    assert k.orders_previous == 3
    assert k.avg_order_value == pytest.approx(600 / 5)
    assert k.repeat_customers == 1  # a bought on two days; 4 and 5 were one day
    assert k.repeat_rate == pytest.approx(1 / 3)
    assert k.repeat_rate_previous == pytest.approx(1 / 2)  # b bought on two days


def test_kpis_on_an_empty_database(tmp_path):
    k = overview_kpis(db.connect(tmp_path / "e.duckdb"), AS_OF)
    assert (k.customers, k.active_customers, k.orders, k.revenue) == (0, 0, 0, 0)
    assert k.avg_order_value is None and k.repeat_rate is None


def test_monthly_revenue_has_every_month_from_the_first_with_data(shop):
    m = monthly_revenue(shop, AS_OF, months=24)
    assert len(m) == 23  # the 24 months start in 2023-07; the data in 2023-08
    assert m["month"].iloc[0].date() == dt.date(2023, 8, 1)
    assert m["month"].iloc[-1].date() == dt.date(2025, 6, 1)
    by_month = dict(zip(m["month"].dt.strftime("%Y-%m"), m["revenue"], strict=True))
    assert by_month["2024-07"] == 400
    assert by_month["2024-10"] == -20
    assert by_month["2025-06"] == 40
    assert by_month["2024-11"] == 0  # a month without sales is zero, not missing
    assert m["revenue"].sum() == pytest.approx(100 + 200 + 50 + 600)
    assert not m["is_partial"].iloc[-1]  # 30 June is the month's last day


def test_partial_month_is_flagged(shop):
    m = monthly_revenue(shop, dt.date(2025, 6, 15), months=3)
    assert list(m["is_partial"]) == [False, False, True]


def test_a_change_needs_data_covering_the_previous_12_months(shop):
    k = overview_kpis(shop, AS_OF)  # previous period from 2023-07-01; data from 2023-08-01
    assert k.previous_start == dt.date(2023, 7, 1)
    assert k.first_ordered_on == dt.date(2023, 8, 1)
    assert not k.has_previous
    shop.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) "
        "values ('0', 'a', '2023-07-01 09:00', 10)"
    )
    assert overview_kpis(shop, AS_OF).has_previous  # on the first day: covered
    assert not overview_kpis(shop, dt.date(2025, 6, 29)).has_previous  # one day short


def test_kpis_without_transactions_have_no_previous_period(tmp_path):
    k = overview_kpis(db.connect(tmp_path / "e.duckdb"), AS_OF)
    assert k.first_ordered_on is None and not k.has_previous


def test_monthly_revenue_before_the_first_sale_is_the_as_of_month(shop):
    m = monthly_revenue(shop, dt.date(2023, 5, 20), months=36)
    assert [d.date() for d in m["month"]] == [dt.date(2023, 5, 1)]
    assert m["revenue"].sum() == 0


def test_data_span_reaches_feedback_after_the_last_order(shop):
    shop.execute(
        "insert into feedback (feedback_id, customer_id, submitted_at, kind, csat) "
        "values ('f1', 'a', '2025-07-20 10:00', 'survey', 4)"
    )
    span = data_span(shop)
    assert span.last("transactions") == dt.date(2025, 7, 1)
    assert span.last("feedback") == dt.date(2025, 7, 20)
    assert span.last("interactions") is None
    assert (span.first_day, span.last_day) == (dt.date(2023, 8, 1), dt.date(2025, 7, 20))


def test_lines_sharing_an_order_id_are_one_order(tmp_path):
    con = db.connect(tmp_path / "lines.duckdb")
    con.execute("insert into customers (customer_id, signed_up_at) values ('a', '2024-01-01')")
    con.execute(
        """
        insert into transactions (transaction_id, order_id, customer_id, ordered_at, amount)
        values
            ('l1', 'INV1', 'a', '2025-03-01 10:00', 30),
            ('l2', 'INV1', 'a', '2025-03-01 10:00', 20),
            ('l3', 'INV2', 'a', '2025-04-02 11:00', 25),
            ('l4', 'C9',   'a', '2025-04-09 09:00', -10)  -- a refund invoice: not an order
        """
    )
    k = overview_kpis(con, AS_OF)
    assert k.orders == 2
    assert k.revenue == pytest.approx(65)
    assert k.avg_order_value == pytest.approx(32.5)
    m = monthly_revenue(con, AS_OF, months=4)
    by_month = dict(zip(m["month"].dt.strftime("%Y-%m"), m["orders"], strict=True))
    assert by_month == {"2025-03": 1, "2025-04": 1, "2025-05": 0, "2025-06": 0}
