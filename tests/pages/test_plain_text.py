"""Text typed into a page or read from the data is shown as text, never as Markdown."""

from __future__ import annotations

import re

LINK = "[Verify](https://evil.example)"


def _stars(app_on, path):
    at = app_on(path)
    return at.switch_page("pages/stars.py").run()


def test_a_typed_customer_id_is_not_a_link(app_on, demo_db):
    at = _stars(app_on, demo_db)
    at.text_input(key="stars_move").set_value(LINK).run()
    assert not at.exception
    text = next(m.value for m in at.markdown if "Verify" in m.value)
    assert text.startswith(r"No customer with ID \[Verify\]\(https\:")
    assert "](" not in text and "://" not in text  # nothing Markdown would read as a link


def test_the_next_star_is_worded_as_the_rule_compares(app_on, demo_db):
    at = _stars(app_on, demo_db)
    text = next(m.value for m in at.markdown if "The smallest single step" in m.value)
    start, end, points = re.search(
        r"from (\d+\.\d+) to (\d+\.\d+) \(\+(\d+\.\d+) points\)", text
    ).groups()
    assert float(end) > float(start)
    assert abs(float(end) - float(start) - float(points)) < 1e-9
