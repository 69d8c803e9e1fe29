"""Cached access to one customer's portrait for pages/customer.py, and its words.

What every portrait needs once per data version (the star thresholds over all rated
customers, the churn drivers' reference sample) is kept as a resource; a search answer and
a portrait are cached per text or customer and data version. The customer in view lives in
the address (`?customer=ID`), so a link from any list opens it; `?from=<page>` names the
page to go back to.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from core import customer360 as c3
from core import db, offers
from core import stars as star_rating
from core.customer360 import Portrait
from core.filters import NO_FILTERS, Filters, keep_mask
from ui import data, filters, navigation, privacy, session
from ui import format as fmt
from ui.export import columns as export_columns
from ui.export import download_buttons, list_about
from ui.i18n import t
from ui.labels import label, star_name
from ui.offers import item_labels, reason_text, reason_words
from ui.widgets import (
    CAME_FROM_PARAM,
    CUSTOMER_PAGE,
    CUSTOMER_PARAM,
    LIST_CHOICES,
    list_choices,
)

PAGE = CUSTOMER_PAGE
CUSTOMER = CUSTOMER_PARAM  # the query parameter of the customer in view
CAME_FROM = CAME_FROM_PARAM  # the query parameter of the page to go back to
SEARCH_ROWS = c3.SEARCH_LIMIT
SEARCH_KEY = "customer_search"  # the search box
PICK_KEY = "customer_pick"  # the list of the search's matches
OWN_KEYS = "customer_"  # how this page's widget keys begin
# the frame's widgets (the filters' editor), drawn from the session's filters on every run:
# one saved again would come back stale (the other language's, changed meanwhile)
FRAME_KEYS = "filter_"
# how the keys of this page's download buttons begin (`ui.export.download_buttons` keys a
# button by its file's name); a download button's key cannot be given a value
DOWNLOAD_KEYS = ("contacts-", "referrals-", "offers-", "drivers-")


@st.cache_data(max_entries=8, show_spinner=False)
def built_as_of(version: int) -> dt.date | None:
    return db.built_as_of(data.cursor())


@st.cache_resource(max_entries=2, show_spinner=False)
def star_marks(version: int) -> np.ndarray:
    """The active rule set's thresholds for 5, 4, 3 and 2 stars (read-only)."""
    cur = data.cursor()
    return c3.star_marks(cur, star_rating.active_rules(cur).rules)


@st.cache_resource(max_entries=2, show_spinner=False)
def driver_reference(as_of: dt.date, version: int) -> pd.DataFrame:
    """The churn features of the reference sample (read-only: do not modify)."""
    return c3.driver_reference(data.cursor(), as_of)


@st.cache_resource(max_entries=2, show_spinner=False)
def offer_rules(as_of: dt.date, version: int) -> offers.Rules | None:
    """The association rules at the default settings, by category where the data have one,
    else by product (read-only); None when the data have no item to mine."""
    cur = data.cursor()
    found = offers.levels(cur)
    if not found:
        return None
    level = "category" if "category" in found else found[0]
    return offers.association_rules(cur, as_of, offers.OfferSettings(level=level))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def customer_offers(customer_id: str, version: int) -> tuple[pd.DataFrame, str]:
    """The customer's offers (`core.offers.customer_offers`) and what a basket was."""
    as_of = built_as_of(version)
    found = offer_rules(as_of, version) if as_of is not None else None
    if found is None:
        return pd.DataFrame(), "customer"
    table = offers.customer_offers(data.cursor(), customer_id, as_of, found=found)
    return table, found.basket


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def matches(
    text: str, version: int, chosen: Filters = NO_FILTERS, as_of: dt.date | None = None
) -> pd.DataFrame:
    """The search's first matches, among the customers `chosen` filters choose on `as_of`."""
    ids = filters.ids(chosen, as_of, version) if chosen.active else None
    return c3.search(data.cursor(), text, SEARCH_ROWS, customers=ids)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def hidden_matches(text: str, version: int, chosen: Filters, as_of: dt.date) -> int:
    """How many customers match `text` whom the filters leave out (0 without filters)."""
    if not chosen.active:
        return 0
    return c3.hidden_matches(data.cursor(), text, filters.ids(chosen, as_of, version))


def outside_filters(customer_id: str, version: int, chosen: Filters, as_of: dt.date) -> bool:
    """True when filters are set and leave `customer_id` out (the page still shows them:
    a filter never hides a customer asked for by link or id)."""
    ids = filters.ids(chosen, as_of, version) if chosen.active else None
    return ids is not None and not bool(keep_mask([customer_id], ids)[0])


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def portrait(customer_id: str, version: int) -> Portrait | None:
    as_of = built_as_of(version)
    if as_of is None:
        return None
    return c3.portrait(
        data.cursor(),
        customer_id,
        marks=star_marks(version),
        reference=driver_reference(as_of, version),
    )


# --- finding a customer -------------------------------------------------------------------
# The customer in view is the address's (`?customer=`): a search or a pick in its matches
# changes it when the user types or picks (the callbacks below), and a link that opens the
# page with another customer (a referral, a list row) is never overridden by a pick the
# search list still remembers.


def searched(version: int, chosen: Filters = NO_FILTERS, as_of: dt.date | None = None) -> None:
    """The search box's callback: a new search opens its best match (among the customers
    the filters choose), unless the customer in view is among the matches."""
    text = st.session_state[SEARCH_KEY].strip()
    if not text:
        return
    ids = list(matches(text, version, chosen, as_of)["customer_id"])
    if ids and st.query_params.get(CUSTOMER) not in ids:
        st.query_params[CUSTOMER] = ids[0]


def picked() -> None:
    """The match list's callback: open the customer picked."""
    chosen = st.session_state[PICK_KEY]
    if chosen is not None:
        st.query_params[CUSTOMER] = chosen


def show_in_matches(ids: list[str], customer_id: str | None) -> None:
    """Make the match list (drawn next, with no default) show the customer in view, or
    nothing picked when the customer in view is not among the matches."""
    st.session_state[PICK_KEY] = customer_id if customer_id in ids else None


# --- moving between pages -----------------------------------------------------------------


def back_page(came_from: str | None) -> navigation.PageSpec | None:
    """The page `?from=` names (its url path), None for none, this page or an unknown one.
    A customer opened from this page (a referral) keeps the `?from=` of the one it was
    opened from, so the way back leads to the list the first customer was picked from."""
    for spec in navigation.PAGES:
        if spec.url_path == came_from and spec.path != PAGE:
            return spec
    return None


def back_params() -> dict[str, str]:
    """The query parameters of the way back: the view (`ui.session`)."""
    return session.link_params()


def keep_list_choices(came_from: str | None) -> None:
    """Keep what the other pages chose (a list's segment, star tier, horizon...) while this
    page runs, so that the way back to `came_from` shows the list the customer was picked
    from.

    Streamlit drops the value of a widget not drawn on a run, unless the value is saved
    again under its key (Streamlit's "interrupt the widget clean-up process"): it is then
    kept until a widget with that key is drawn again. The public keys the session still
    holds are saved again as they are; those Streamlit has dropped already (in a browser,
    as the list's page switches to this one) come back from what the list's table kept at
    the pick (`ui.widgets.LIST_CHOICES`). Only plain values: not a table's row selection,
    which would open the customer again on the way back. Widgets this run has drawn
    already (the shared sidebar) keep their own values."""
    state = st.session_state
    page, kept = state.get(LIST_CHOICES, (None, {}))
    values = {**(kept if page == came_from else {}), **list_choices(table_key="")}
    for key, value in values.items():
        if key.startswith((OWN_KEYS, FRAME_KEYS)) or key.startswith(DOWNLOAD_KEYS):
            continue  # this page's widgets keep their values the usual way
        try:
            state[key] = value
        except StreamlitAPIException:
            continue  # a widget drawn on this run already
        # Saved under the key alone, not under the widget's id (which Streamlit drops on
        # the way back): then the widget drawn again tells the browser to show the value.
        del state[key]
        state[key] = value


# --- words -------------------------------------------------------------------------------------


def option_texts(found: pd.DataFrame) -> dict[str, str]:
    """Each search match as the list shows it: id · name · e-mail · phone · city (personal
    data masked when masking is on: the search itself still reads them, see ui/privacy.py)."""
    columns = ("customer_id", "name", "email", "phone", "city")
    found = privacy.frame(found)
    return {
        row["customer_id"]: " · ".join(
            str(row[c]) for c in columns if row[c] is not None and not pd.isna(row[c])
        )
        for row in found.to_dict("records")
    }


def _known(value) -> bool:
    return value is not None and not pd.isna(value) and bool(str(value).strip())


def who_text(card: Portrait) -> list[str]:
    """The header line's parts: id, phone, e-mail, city and acquisition channel (each named,
    left out when unknown) and the sign-up day."""
    profile = card.profile
    named = [
        t("customer.label_value", label=t(f"customer.{key}"), value=label(kind, profile[column]))
        for key, kind, column in (
            ("city", "city", "city"),
            ("channel", "channel", "acquisition_channel"),
        )
        if _known(profile.get(column))
    ]
    return [
        str(card.customer_id),
        *(
            str(privacy.personal(profile[c], c))
            for c in (privacy.PHONE, privacy.EMAIL)
            if _known(profile.get(c))
        ),
        *named,
        t("customer.since", signed_up=profile["signed_up_at"].date()),
    ]


def referrals_key(customer_id: str) -> str:
    """The referrals table's key, one per customer: a row selected in one customer's table
    must not stay selected in the next one's (see ui.widgets.customer_table)."""
    return f"customer_referrals_{customer_id}"


def _refunds_only(card: Portrait) -> bool:
    """True for a customer whose only orders are refunds (not rated, but not a prospect)."""
    return card.lifecycle_stage == "refund_only"


def classes_text(card: Portrait) -> str:
    """Segment, lifecycle stage, value tier and loyalty class on one line (Markdown)."""
    parts = {
        "segment": label("segment", card.segment),
        "stage": label("stage", card.lifecycle_stage),
        "value_tier": label("value_tier", card.value_tier),
        "loyalty_class": loyalty_label(card.loyalty_class),
    }
    return " · ".join(
        t("customer.label_value", label=t(f"customer.{key}"), value=f"**{value}**")
        for key, value in parts.items()
    )


def loyalty_label(code: str | None) -> str:
    return t(f"customer.loyalty_{code}") if code else t("customer.none")


def describe_cluster(cluster: c3.Cluster | None) -> str:
    if cluster is None:
        return t("customer.none")
    traits = cluster.traits
    if not traits:
        words = t("segments.trait_typical")
    else:
        joined = t("segments.trait_join").join(t(f"segments.trait_{f}_{v}") for f, v in traits)
        words = t("segments.trait_sentence", traits=joined)
    return t("customer.cluster_text", n=cluster.number, k=cluster.k, description=words)


def move_text(card: Portrait) -> str:
    """What would lift the customer a star, in the Stars page's words."""
    customer = fmt.plain(card.customer_id)
    if card.stars is None and _refunds_only(card):
        return t("customer.move_refunds_only", customer=customer)
    if card.stars is None:
        return t("stars.move_prospect", customer=customer)
    if card.stars == 5:
        return t("stars.move_top", customer=customer, score=f"{card.score:.1f}")
    move = card.move
    if move is None:
        return t("stars.move_none", customer=customer, stars=star_name(card.stars))
    start, end, points = star_rating.score_step(move.from_score, move.to_score)
    return t(
        "stars.move_text",
        customer=customer,
        stars=star_name(card.stars),
        score=f"{card.score:.1f}",
        dimension=t(f"stars.dim_{move.dimension}"),
        start=start,
        end=end,
        points=points,
        target=star_name(move.to_stars),
    )


def playbook_text(card: Portrait) -> str:
    if card.stars is None:
        return t("customer.unrated_refunds_only" if _refunds_only(card) else "customer.unrated")
    return t(
        "customer.playbook",
        stars=star_name(card.stars),
        actions=t(f"stars.playbook_{card.stars}"),
    )


def formula_text(card: Portrait, lang: str, currency: str | None) -> str:
    used = card.formula_inputs
    return t(
        "customer.formula_inputs",
        aov=fmt.money(used["aov"], lang, currency, exact=True, digits=2),
        margin=fmt.percent(used["margin"], 0),
        per_year=f"{used['purchases_per_year']:.2f}",
        years=f"{used['years_retained']:.1f}",
        cost=fmt.money(used["acquisition_cost"], lang, currency, exact=True, digits=2),
    )


def range_text(card: Portrait, lang: str, currency: str | None) -> str | None:
    found = card.predicted_clv
    if found is None or found.low is None:
        return None
    return t(
        "customer.predicted_range",
        low=fmt.money(found.low, lang, currency),
        high=fmt.money(found.high, lang, currency),
    )


def next_order_text(card: Portrait) -> str:
    order = card.next_order
    if order is None and _refunds_only(card):
        return t("customer.next_order_refunds_only")
    if order is None and card.stars is None:
        return t("customer.next_order_prospect")
    if order is None:
        return t("customer.next_order_none")
    return t(
        "customer.next_order_text",
        on=order.on,
        earliest=order.earliest,
        latest=order.latest,
        p_alive=fmt.percent(order.p_alive, 0),
    )


def number(value: float) -> str:
    """A feature's value: whole numbers as such, others to two decimals; unknown '–'."""
    if value is None or pd.isna(value):
        return fmt.UNKNOWN
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def drivers_table(drivers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("customer.col_feature"): [t(f"churn.feature_{f}") for f in drivers["feature"]],
            t("customer.col_value"): [number(v) for v in drivers["value"]],
            t("customer.col_typical"): [number(v) for v in drivers["typical"]],
            t("customer.col_share_below"): [
                fmt.UNKNOWN if pd.isna(s) else fmt.percent(s, 0) for s in drivers["share_below"]
            ],
        }
    )


def _catalog_or(key: str, code) -> str:
    if code is None or pd.isna(code):
        return fmt.UNKNOWN
    try:
        return t(f"{key}{code}")
    except KeyError:
        return str(code)


def category_frame(categories: pd.DataFrame) -> pd.DataFrame:
    """The category mix with a label per category, for charts.customer_categories."""
    labels = [
        t("customer.category_none") if pd.isna(c) else _catalog_or("products.category_", c)
        for c in categories["category"]
    ]
    return categories.assign(label=labels)


CONTACT_KINDS = {"when": "datetime", "csat": "count", "nps": "count", "resolved": "datetime"}


def contacts_export(contacts: pd.DataFrame):
    """The time line for `ui.export.download_buttons`: as the page shows it (words made
    now), an open complaint said in words."""
    shown = contacts_table(contacts)
    opened = t("customer.col_open")
    words = {True: t("export.yes"), False: t("export.no")}
    shown[opened] = shown[opened].map(words)
    return lambda: shown


def contacts_columns() -> list:
    """The time line's exported columns, keyed by their headings (`contacts_table`)."""
    keys = ("when", "source", "kind", "channel", "direction", "category", "csat", "nps")
    names = {t(f"customer.col_{k}"): t(f"customer.col_{k}") for k in (*keys, "resolved", "open")}
    kinds = {t(f"customer.col_{k}"): kind for k, kind in CONTACT_KINDS.items()}
    return export_columns(names, kinds, None)


def contacts_table(contacts: pd.DataFrame) -> pd.DataFrame:
    """The time line with its codes in words (channel, kind, feedback category)."""
    return pd.DataFrame(
        {
            t("customer.col_when"): contacts["happened_at"],
            t("customer.col_source"): [t(f"customer.source_{s}") for s in contacts["source"]],
            t("customer.col_kind"): [_catalog_or("customer.kind_", k) for k in contacts["kind"]],
            t("customer.col_channel"): [label("channel", c) for c in contacts["channel"]],
            t("customer.col_direction"): [
                None if pd.isna(d) else _catalog_or("customer.direction_", d)
                for d in contacts["direction"]
            ],
            t("customer.col_category"): [
                None if pd.isna(c) else label("feedback_category", c) for c in contacts["category"]
            ],
            t("customer.col_csat"): contacts["csat"],
            t("customer.col_nps"): contacts["nps"],
            t("customer.col_resolved"): contacts["resolved_at"],
            t("customer.col_open"): contacts["is_open_complaint"],
        }
    )


def offers_table(table: pd.DataFrame, basket: str) -> pd.DataFrame:
    """The offers with their reasons in words (the What to offer next page's sentences)."""
    names = item_labels("category")  # a product code is shown as it is
    words = reason_words(basket)
    return pd.DataFrame(
        {
            t("customer.col_rank"): table["rank"],
            t("customer.col_offer"): [names.get(c, c) for c in table["item"]],
            t("customer.col_reason"): [
                reason_text(r, words, names) for r in table.itertuples(index=False)
            ],
        }
    )


def shown_name(card: Portrait) -> str:
    """The portrait's heading: the customer's name (masked when masking is on), else id."""
    name = card.profile.get("name")
    return str(privacy.personal(name, privacy.NAME)) if _known(name) else str(card.customer_id)


REFERRAL_KINDS = {"signed_up_at": "date"}  # the others are text


def referrals_export(referrals: pd.DataFrame):
    """The customers this one referred, for `ui.export.download_buttons` (personal data
    masked there when the session masks them): whether each has bought, in words."""
    bought = {True: t("export.yes"), False: t("export.no")}
    return lambda: referrals.assign(is_buyer=referrals["is_buyer"].map(bought))


def referrals_columns() -> list:
    """The referrals list's exported columns: those its table shows."""
    names = {
        "customer_id": t("customer.col_customer_id"),
        "name": t("customer.col_name"),
        "signed_up_at": t("customer.col_signed_up"),
        "is_buyer": t("customer.col_is_buyer"),
    }
    return export_columns(names, REFERRAL_KINDS, None)


def referrals_about(ctx, customer_id: str):
    """The referrals list's About sheet: whose referrals."""
    return _about(ctx, "customer.referrals_header", customer_id)


def contacts_about(ctx, customer_id: str):
    """The time line's About sheet: whose contacts."""
    return _about(ctx, "customer.contacts_header", customer_id)


def table_download(ctx, table: pd.DataFrame, title_key: str, name: str, customer_id: str):
    """The download buttons of a table shown as written (its headings and words in the page's
    language), with the About sheet naming the customer."""
    download_buttons(
        lambda: table,
        len(table),
        export_columns({str(c): str(c) for c in table.columns}, {}, ctx.currency),
        f"{name}-{customer_id}-{ctx.as_of}",
        about=_about(ctx, title_key, customer_id),
    )


def _about(ctx, title_key: str, customer_id: str):
    return list_about(
        ctx, "customer", t(title_key), choices={t("customer.col_customer_id"): str(customer_id)}
    )


def referrals_table(referrals: pd.DataFrame) -> pd.DataFrame:
    return privacy.frame(referrals).rename(
        columns={
            "customer_id": t("customer.col_customer_id"),
            "name": t("customer.col_name"),
            "signed_up_at": t("customer.col_signed_up"),
            "is_buyer": t("customer.col_is_buyer"),
        }
    )
