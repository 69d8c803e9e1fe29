"""The one choice helper: a segmented control that always returns one of its options."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _choice(options: list[str], default: str | None) -> AppTest:
    """An app that writes what `choice` returned."""

    def script(options: list[str], default: str | None) -> None:
        import streamlit as st

        from ui.widgets import choice

        chosen = choice("Measure", options, default, key="measure")
        st.text(f"chosen: {chosen}")

    return AppTest.from_function(script, args=(options, default)).run()


def test_it_opens_on_the_default_and_follows_a_click():
    at = _choice(["customers", "revenue"], "revenue")
    assert at.text[0].value == "chosen: revenue"
    at.segmented_control(key="measure").set_value("customers").run()
    assert at.text[0].value == "chosen: customers"


def test_the_chosen_option_cannot_be_deselected():
    """Streamlit deselects the chosen option of a segmented control on a click unless it is
    required: the helper's control is, so a click keeps the choice."""
    at = _choice(["customers", "revenue"], "customers")
    assert at.segmented_control(key="measure").proto.required


def test_a_missing_value_falls_back_to_a_valid_option():
    at = _choice(["customers", "revenue"], "customers")
    at.segmented_control(key="measure").set_value(None).run()
    assert not at.exception
    assert at.text[0].value == "chosen: customers"


def test_a_default_that_is_not_an_option_opens_on_the_first():
    at = _choice(["30", "60"], "90")
    assert at.text[0].value == "chosen: 30"


def test_no_options_no_choice():
    at = _choice([], "customers")
    assert not at.exception
    assert at.text[0].value == "chosen: None"
