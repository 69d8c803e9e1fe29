"""Customer 360 as one moves to and from it: a referral link after a search, a referral picked
in the table, the way back to the list (its choices and language kept, across referral
hops), a refund-only customer's words and the header line. Started as the review of issue 16."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from core.build import build
from tests.apptest import without_legacy_pages_mode
from tests.pages.conftest import APP
from ui.customer import referrals_key

PAGE = "pages/customer.py"


@pytest.fixture(scope="module")
def referring_shop(tmp_path_factory):
    """Four buyers, ids with a quote, a percent sign and Chinese (a'1 referred two of them),
    and r5, whose only line is a refund."""
    path = tmp_path_factory.mktemp("r16") / "referring.duckdb"
    con = db.connect(path)
    con.execute(
        "insert into customers (customer_id, name, signed_up_at, referred_by) values "
        "('a''1', 'O''Brien', '2024-01-01', null), ('b%2', 'Cotton', '2024-01-01', 'a''1'), "
        "('张三', '张三', '2024-01-01', 'a''1'), ('c_4', 'Dee', '2024-01-01', 'b%2'), "
        "('r5', 'Refund', '2024-01-01', null)"
    )
    rows = [
        (f"t{i}-{d}", c, dt.datetime(2024, 1, 2) + dt.timedelta(days=d), 10.0 + i, f"k{i % 3}")
        for i, c in enumerate(["a'1", "b%2", "张三", "c_4"])
        for d in range(0, 200, 20 + 7 * i)
    ]
    rows.append(("t-r5", "r5", dt.datetime(2024, 3, 1), -20.0, "k1"))  # a refund only
    frame = pd.DataFrame(
        rows, columns=["transaction_id", "customer_id", "ordered_at", "amount", "product_category"]
    )
    con.register("frame", frame)
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount, "
        "product_category) select * from frame"
    )
    build(con)
    con.close()
    return path


@pytest.fixture
def app(monkeypatch, referring_shop):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv(db.ENV_VAR, str(referring_shop))
    with without_legacy_pages_mode():
        yield AppTest.from_file(APP, default_timeout=600).run()
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_referral_opened_after_a_search_shows_the_referred_customer(app):
    at = app.switch_page(PAGE).run()
    at.text_input(key="customer_search").input("O'B").run()
    assert not at.exception
    assert "Brien" in at.header[0].value
    at.query_params["customer"] = "b%2"  # what the referral link's ?customer= does
    at.query_params["from"] = "customer"
    at.run()
    assert not at.exception
    assert at.header[0].value == "Cotton"


def _text(at) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_a_refund_only_customer_is_not_called_one_who_has_not_bought(app):
    app.query_params["customer"] = "r5"
    at = app.switch_page(PAGE).run()
    assert not at.exception
    text = _text(at)
    assert "Refunds only" in text  # the stage, as the other pages name it
    assert "0 orders and 1 refunds" in text
    assert "has not bought yet" not in text and "no purchase by the as-of date" not in text


def test_the_way_back_returns_to_the_list_the_customer_was_picked_from(app):
    at = app.switch_page("pages/segments.py").run()
    assert not at.exception
    first = at.selectbox(key="seg_list").value
    at = at.selectbox(key="seg_list").select_index(1).run()
    other = at.selectbox(key="seg_list").value
    assert other != first
    at.query_params["customer"] = "c_4"  # what selecting a row of the list does
    at.query_params["from"] = "segments"
    at = at.switch_page(PAGE).run()
    assert not at.exception
    at = at.switch_page("pages/segments.py").run()  # the way back
    assert not at.exception
    assert at.selectbox(key="seg_list").value == other


def test_picking_a_referral_opens_that_referral(app):
    app.query_params["customer"] = "a'1"
    at = app.switch_page(PAGE).run()
    assert not at.exception
    # the selection of the first referral (b%2), as the browser reports it
    key = referrals_key("a'1")
    at.session_state[key] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception
    assert at.query_params["customer"] == "b%2"
    assert at.header[0].value == "Cotton"


def _links(at) -> dict[str, tuple[str, str]]:
    """Each page link's label -> (page url path, query string)."""
    return {
        link.proto.label: (link.proto.page, link.proto.query_string) for link in at.get("page_link")
    }


def test_following_a_referral_keeps_the_way_back_to_the_list(app):
    app.query_params.update({"customer": "a'1", "from": "segments", "lang": "en"})
    at = app.switch_page(PAGE).run()
    assert not at.exception
    # the way back keeps the view: the language and the as-of day the sidebar shows
    view = f"lang=en&as_of={at.date_input(key='sidebar_as_of').value.isoformat()}"
    assert _links(at)["Back to Customer segments"] == ("segments", view)
    at.session_state[referrals_key("a'1")] = {"selection": {"rows": [0], "columns": []}}
    at.run()  # the referral b%2 picked
    assert not at.exception
    assert at.header[0].value == "Cotton"
    assert at.query_params["from"] == "segments"
    links = _links(at)
    assert links["Back to Customer segments"] == ("segments", view)
    page, query = links["Referred by: a'1"]
    assert page == "customer" and "from=segments" in query.split("&")


def test_the_header_names_what_it_shows_and_leaves_out_the_unknown(app):
    app.query_params["customer"] = "b%2"  # no phone, e-mail, city or channel
    at = app.switch_page(PAGE).run()
    assert not at.exception
    assert at.caption[0].value.replace("\\", "") == "b%2 · Customer since 2024-01-01"
