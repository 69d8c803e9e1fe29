"""The loyalty summary (an HTML download) writes money in the database's currency."""

from core.loyalty import Programme
from ui import loyalty as lu


def test_the_assumptions_are_in_the_databases_currency():
    rows = dict(lu.assumptions(Programme.recommended(), "en", "GBP"))
    money = [value for label, value in rows.items() if "£" in value]
    assert len(money) >= 2  # referral reward, fixed cost (and the point's value)
    assert not any("¥" in value for value in rows.values())
    assert lu.earn_rate_label("en", "GBP") == "Points per £1 spent"
    assert lu.money_field("loyalty.fixed_cost", "en", "GBP") == "Fixed cost per year (£)"
    assert lu.money_field("loyalty.fixed_cost", "en", None) == "Fixed cost per year"


def test_the_summary_carries_the_figures_as_shown():
    html = lu.summary_html(
        "Title", "sub", [("Net impact", "£1.2K", "between")], "Assumptions", [("a", "b")], []
    )
    assert "£1.2K" in html
