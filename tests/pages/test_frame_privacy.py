"""Masking personal data on Customer 360 (ui/privacy.py through ui/customer.py): the portrait's
name, phone and e-mail and the search's matches are masked when the switch is on (or in
presentation mode), and search still finds a customer by a phone or e-mail typed in full."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from tests.apptest import without_legacy_pages_mode
from tests.pages.conftest import APP
from ui import privacy

PAGE = "pages/customer.py"


@pytest.fixture(scope="module")
def person(demo_db):
    """A demo customer with a name, a phone and an e-mail: (id, name, phone, email)."""
    con = db.connect(demo_db)
    row = con.execute(
        "select customer_id, name, phone, email from customers "
        "where name is not null and phone is not null and email is not null "
        "order by customer_id limit 1"
    ).fetchone()
    con.close()
    return row


@pytest.fixture
def customer_page(monkeypatch, demo_db):
    """`customer_page(**params)` -> Customer 360 opened at `?params` on the demo data."""
    st.cache_data.clear()
    st.cache_resource.clear()

    def start(**params):
        monkeypatch.setenv(db.ENV_VAR, str(demo_db))
        at = AppTest.from_file(APP, default_timeout=600)
        for key, value in params.items():
            at.query_params[key] = value
        return at.run().switch_page(PAGE).run()

    with without_legacy_pages_mode():
        yield start
    st.cache_data.clear()
    st.cache_resource.clear()


def _read(text: str) -> str:
    """Text as a reader reads it: without Markdown's escapes and the joiner that keeps an
    e-mail from becoming a link."""
    return text.replace("\\", "").replace("\u2060", "")


def _shown(at) -> str:
    kinds = ("header", "caption", "markdown", "selectbox")
    parts = [str(e.value) for kind in kinds for e in getattr(at, kind)]
    parts += [option for box in at.selectbox for option in box.options]
    return _read("\n".join(parts))


def test_without_masking_the_portrait_shows_the_person(customer_page, person):
    customer_id, name, phone, email = person
    at = customer_page(customer=customer_id)
    assert not at.exception
    assert _read(at.header[0].value) == name
    assert phone in _shown(at) and email in _shown(at)


@pytest.mark.parametrize("switch", ["mask", "present"])
def test_masking_hides_name_phone_and_email_on_the_portrait(customer_page, person, switch):
    customer_id, name, phone, email = person
    at = customer_page(customer=customer_id, **{switch: "1"})
    assert not at.exception
    assert _read(at.header[0].value) == privacy.mask_name(name)
    shown = _shown(at)
    assert name not in shown and phone not in shown and email not in shown
    assert privacy.mask_phone(phone) in shown and privacy.mask_email(email) in shown


@pytest.mark.parametrize("kind", ["phone", "email"])
def test_search_still_finds_a_customer_by_what_is_typed_but_shows_it_masked(
    customer_page, person, kind
):
    customer_id, name, phone, email = person
    typed = phone if kind == "phone" else email
    at = customer_page(mask="1")
    at = at.text_input(key="customer_search").input(typed).run()
    assert not at.exception
    matches = at.selectbox(key="customer_pick")
    assert customer_id in matches.options or any(customer_id in o for o in matches.options)
    options = _read("\n".join(matches.options))
    assert phone not in options and email not in options and name not in options
    assert _read(at.header[0].value) == privacy.mask_name(name)  # the best match opened, masked
