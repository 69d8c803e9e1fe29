"""Customer 360 (客户画像): find a customer, then their stars, value, churn risk, purchases,
contacts and referrals on one page. `?customer=ID` opens a customer; `?from=<page>` the way
back, kept while following referrals; the list page's choices are kept for the way back.
With the shared filters, the search finds only the chosen customers and says how many
matches they hide; a customer asked for by link or id opens all the same, with a note."""

import streamlit as st

from ui import charts, filters, report
from ui import customer as cu
from ui import format as fmt
from ui.empty import show_empty_state
from ui.export import download_buttons
from ui.frame import page_context
from ui.i18n import t
from ui.labels import star_name
from ui.models import purchase_model_label
from ui.widgets import Tile, customer_link, customer_table, metric_row, show_table

ctx = page_context()
lang, currency = ctx.lang, ctx.currency
back = cu.back_page(st.query_params.get(cu.CAME_FROM))
cu.keep_list_choices(back.url_path if back else None)
if back is not None:
    st.page_link(
        back.path,
        label=t("customer.back", page=t(back.title_key)),
        icon=":material/arrow_back:",
        query_params=cu.back_params(),
    )
st.title(t("customer.title"))
if show_empty_state(ctx):
    st.stop()
as_of = cu.built_as_of(ctx.version)
if as_of is None:
    st.info(t("customer.not_built"), icon=":material/info:")
    st.stop()

# --- find a customer ---------------------------------------------------------------------------
customer_id = st.query_params.get(cu.CUSTOMER)
chosen = filters.current()  # the search finds only these customers
text = st.text_input(
    t("customer.search"),
    placeholder=t("customer.search_placeholder"),
    help=t("customer.search_help"),
    key=cu.SEARCH_KEY,
    on_change=cu.searched,
    args=(ctx.version, chosen, ctx.as_of),
)
if text.strip():
    found = cu.matches(text.strip(), ctx.version, chosen, ctx.as_of)
    hidden = cu.hidden_matches(text.strip(), ctx.version, chosen, ctx.as_of)
    if found.empty:
        st.info(t("customer.no_match", text=fmt.plain(text.strip())))
    else:
        ids = list(found["customer_id"])
        texts = cu.option_texts(found)
        cu.show_in_matches(ids, customer_id)
        st.selectbox(
            t("customer.matches", count=fmt.count(len(ids), lang)),
            ids,
            index=None,
            format_func=texts.get,
            key=cu.PICK_KEY,
            on_change=cu.picked,
            placeholder=t("customer.pick_placeholder"),
        )
        if len(ids) >= cu.SEARCH_ROWS:
            st.caption(t("customer.matches_more", rows=cu.SEARCH_ROWS))
    if hidden:
        st.caption(t("customer.matches_hidden", count=fmt.count(hidden, lang)))
if not customer_id:
    st.info(t("customer.start"), icon=":material/person_search:")
    st.stop()
card = cu.portrait(customer_id, ctx.version)
if card is None:
    st.warning(t("customer.unknown", customer=fmt.plain(customer_id)))
    st.stop()
if cu.outside_filters(customer_id, ctx.version, chosen, ctx.as_of):
    st.info(t("customer.outside_filters"), icon=":material/filter_alt_off:")

# --- who -----------------------------------------------------------------------------------------
profile = card.profile
st.header(fmt.plain(cu.shown_name(card)))
st.caption(" · ".join(fmt.plain(w) for w in cu.who_text(card)))
if as_of != ctx.as_of:
    st.caption(t("customer.as_of_other", as_of=as_of, chosen=ctx.as_of))
else:
    st.caption(t("customer.as_of", as_of=as_of))
metric_row(
    [
        Tile(t("customer.stars"), star_name(card.stars), t("customer.stars_help")),
        Tile(
            t("customer.score"),
            fmt.UNKNOWN if card.score is None else f"{card.score:.1f}",
            t("customer.score_help"),
        ),
        Tile(
            t("customer.churn_risk"),
            fmt.percent(card.churn_risk, 0) if card.churn_risk is not None else fmt.UNKNOWN,
            t("customer.churn_risk_help"),
        ),
        Tile(
            t("customer.p_alive"),
            fmt.percent(card.p_alive, 0) if card.p_alive is not None else fmt.UNKNOWN,
            t("customer.p_alive_help", model=purchase_model_label(ctx.version)),
        ),
    ]
)
st.markdown(cu.classes_text(card))
if card.open_complaints:
    st.error(t("customer.open_complaints", count=card.open_complaints), icon=":material/mood_bad:")

# --- star rating ---------------------------------------------------------------------------------
st.subheader(t("customer.rating_header"))
metric_row(
    [
        Tile(
            t(f"stars.dim_{dimension}"),
            fmt.UNKNOWN if score is None else f"{score:.1f}",
            t(f"stars.how_{dimension}"),
        )
        for dimension, score in card.scores.items()
    ]
)
st.markdown(cu.move_text(card))
st.markdown(cu.playbook_text(card))
st.caption(
    t("customer.label_value", label=t("customer.cluster"), value=cu.describe_cluster(card.cluster))
)

# --- value ---------------------------------------------------------------------------------------
st.subheader(t("customer.value_header"))
predicted = card.predicted_clv
metric_row(
    [
        Tile(
            t("customer.revenue"),
            fmt.money(card.revenue, lang, currency),
            t("customer.revenue_help"),
        ),
        Tile(
            t("customer.margin"), fmt.money(card.margin, lang, currency), t("customer.margin_help")
        ),
        Tile(
            t("customer.formula_clv"),
            fmt.money(card.formula_clv, lang, currency),
            t("customer.formula_clv_help"),
        ),
        Tile(
            t("customer.predicted_clv"),
            fmt.money(predicted.value if predicted else None, lang, currency),
            t("customer.predicted_clv_help"),
            caption=cu.range_text(card, lang, currency),
        ),
    ]
)
if card.formula_inputs:
    st.caption(cu.formula_text(card, lang, currency))
if "models" in card.missing:
    st.info(t("customer.no_model"), icon=":material/info:")
st.markdown(f"**{t('customer.next_order')}**: {cu.next_order_text(card)}")

# --- churn risk ----------------------------------------------------------------------------------
st.subheader(t("customer.churn_header"))
if card.churn_risk is None:
    st.caption(t("customer.no_churn"))
left, right = st.columns(2)
if not card.p_alive_history.empty:
    report.chart(
        container=left,
        figure=charts.customer_p_alive(
            card.p_alive_history,
            t("customer.p_alive_title"),
            {"month": t("customer.axis_month"), "p_alive": t("customer.p_alive")},
        ),
    )
if card.churn_drivers.empty:
    right.info(t("customer.no_drivers"), icon=":material/info:")
else:
    right.markdown(f"**{t('customer.drivers_title')}**")
    drivers = cu.drivers_table(card.churn_drivers)
    show_table(drivers, container=right)
    right.caption(t("customer.drivers_caption", sample=fmt.count(cu.c3.DRIVER_SAMPLE, lang)))
    with right:
        cu.table_download(ctx, drivers, "customer.drivers_title", "drivers", card.customer_id)

# --- purchases -----------------------------------------------------------------------------------
st.subheader(t("customer.purchases_header"))
orders = card.orders
if orders.empty:
    st.info(t("customer.no_orders"))
else:
    refunds = int(orders["is_refund"].sum())
    st.caption(
        t(
            "customer.purchases_caption",
            orders=fmt.count(len(orders) - refunds, lang),
            refunds=fmt.count(refunds, lang),
            as_of=as_of,
        )
    )
    unit = fmt.money_unit(lang, currency)
    left, right = st.columns(2)
    report.chart(
        container=left,
        figure=charts.customer_orders(
            orders,
            t("customer.orders_title"),
            {
                "date": t("customer.axis_date"),
                "amount": fmt.with_unit(t("customer.axis_amount"), unit, lang),
            },
            currency,
        ),
    )
    categories = card.categories
    if categories["category"].isna().all():
        right.info(t("customer.no_categories"))
    else:
        report.chart(
            container=right,
            figure=charts.customer_categories(
                cu.category_frame(categories),
                t("customer.categories_title"),
                {
                    "amount": fmt.with_unit(t("customer.axis_amount"), unit, lang),
                    "orders": t("customer.axis_orders"),
                },
                currency,
            ),
        )

# --- what to offer next -------------------------------------------------------------------------
st.subheader(t("customer.offers_header"))
offered, basket = cu.customer_offers(card.customer_id, ctx.version)
if offered.empty:
    st.caption(t("customer.offers_none"))
else:
    st.caption(t("customer.offers_caption", count=len(offered)))
    offers_shown = cu.offers_table(offered, basket)
    show_table(offers_shown)
    cu.table_download(ctx, offers_shown, "customer.offers_header", "offers", card.customer_id)

# --- interactions and feedback -------------------------------------------------------------------
st.subheader(t("customer.contacts_header"))
for source in ("interactions", "feedback"):
    if source in card.missing:
        st.caption(t(f"customer.no_{source}_data"))
if card.contacts.empty:
    st.info(t("customer.no_contacts"))
else:
    st.caption(t("customer.contacts_caption", count=fmt.count(len(card.contacts), lang)))
    show_table(cu.contacts_table(card.contacts), height=320)
    download_buttons(
        cu.contacts_export(card.contacts),
        len(card.contacts),
        cu.contacts_columns(),
        f"contacts-{card.customer_id}-{ctx.as_of}",
        about=cu.contacts_about(ctx, card.customer_id),
    )

# --- referrals -----------------------------------------------------------------------------------
st.subheader(t("customer.referrals_header"))
if card.referred_by:
    st.page_link(
        cu.PAGE,
        label=t("customer.label_value", label=t("customer.referred_by"), value=card.referred_by),
        icon=":material/person:",
        query_params=customer_link(card.referred_by, back.url_path if back else None),
    )
if "referrals" in card.missing:
    st.caption(t("customer.no_referrals_data"))
elif card.referrals.empty:
    st.caption(t("customer.no_referrals"))
else:
    referrals = card.referrals
    st.caption(
        t(
            "customer.referred_count",
            count=fmt.count(len(referrals), lang),
            buyers=fmt.count(int(referrals["is_buyer"].sum()), lang),
        )
    )
    customer_table(
        cu.referrals_table(referrals),
        t("customer.col_customer_id"),
        back.url_path if back else None,
        cu.referrals_key(card.customer_id),
        keep_choices=False,  # the way back stays the list the first customer came from
    )
    download_buttons(
        cu.referrals_export(referrals),
        len(referrals),
        cu.referrals_columns(),
        f"referrals-{card.customer_id}-{ctx.as_of}",
        about=cu.referrals_about(ctx, card.customer_id),
    )
