"""Drill-downs: a click on a chart opens the customers behind it.

The mechanics every page shares live here once: a chart's key that changes when its list
is closed (so the point clicked is no longer selected and can be clicked again), the
customdata of the points a `st.plotly_chart` selection event holds, what was picked kept
in the session (so the way back from Customer 360 finds the list open), Close, and the
list itself. What a click means (which customdata field, which core function lists the
customers) stays in each page's module.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import pandas as pd
import streamlit as st

from core.filters import Filters
from ui import charts, filters, report
from ui.export import download_buttons
from ui.widgets import customer_table


def chart_key(chart: str, closed: str | None = None) -> str:
    """The key of the clickable chart `chart`: `<chart>_<n>`, n the times its list was
    closed (counted under `closed`, by default `<chart>_closed`; charts that share a
    counter are redrawn together)."""
    return f"{chart}_{st.session_state.get(closed or f'{chart}_closed', 0)}"


def close(pick: str, closed: str) -> None:
    """Close a list: forget its `pick` (a session key) and count one more close under
    `closed`, which gives its chart a new key and so clears its selection."""
    forget(pick)
    st.session_state[closed] = st.session_state.get(closed, 0) + 1


def points(event) -> Iterator:
    """The customdata of each point selected in a plotly chart `event` (the dict
    `st.plotly_chart` returns, or keeps under its key), in the order selected, its text as
    the data hold it (the browser sends back what `charts.data_as_text` escaped); a point
    without customdata is skipped."""
    selection = (event or {}).get("selection") or {}
    for point in selection.get("points") or ():
        custom = point.get("customdata")
        if custom is not None:
            yield charts.text_as_data(custom)


def item(event, index: int):
    """Item `index` of the first selected point's customdata that has one (a list), or
    None when no point is selected."""
    for custom in points(event):
        if isinstance(custom, list | tuple) and len(custom) > index:
            return custom[index]
    return None


def keep(pick: str, now, under=None):
    """What a chart lists: `now` (what the event picked) kept under the session key
    `pick` when there is one, else what was kept before (a way back from Customer 360
    finds it), else None. `under` is what the pick means something under (a grouping, the
    knobs and filters that draw a band), kept with it as `<pick>_under`: a pick kept under
    something else is dropped. A pick found in the session without it (put there by the
    run its click started) is taken to be under the current `under`."""
    scope = f"{pick}_under"
    if now is not None:
        st.session_state[pick] = now
        st.session_state[scope] = under
    elif pick in st.session_state and st.session_state.setdefault(scope, under) != under:
        forget(pick)
    return st.session_state.get(pick)


def forget(pick: str) -> None:
    """Forget the session's `pick` and what it was kept under."""
    st.session_state.pop(pick, None)
    st.session_state.pop(f"{pick}_under", None)


def clickable(key: str, pick: str, read: Callable[[dict], object]) -> dict:
    """The `st.plotly_chart` arguments under which a click on a point keeps what
    `read(event)` makes of it under the session key `pick` (nothing when it makes None)."""
    return dict(
        key=key, on_select=functools.partial(_clicked, key, pick, read), selection_mode="points"
    )


def _clicked(key: str, pick: str, read: Callable[[dict], object]) -> None:
    picked = read(st.session_state.get(key) or {})
    if picked is not None:
        st.session_state[pick] = picked


def hint(body: str, container=None) -> None:
    """A click's hint ("Click a bar to list its customers") as a caption under its chart
    (in `container`, the page's main area when None), left out of the view's report: a
    file cannot be clicked."""
    with report.unrecorded():
        (container or st).caption(body)


def customer_list(
    key: str,
    heading: str,
    shown: pd.DataFrame,
    total: int,
    *,
    page: str,
    close_label: str,
    on_close: Callable,
    close_args: tuple = (),
    id_column: str = "customer_id",
    table: dict | None = None,
    download: dict,
    chosen: Filters | None = None,
    note: str | None = None,
    more: str | None = None,
    empty: str | None = None,
) -> None:
    """The list behind a click, in a box keyed `<key>_list`: what was clicked and how many
    (`heading`, Markdown: text from the data escaped by the caller with `fmt.plain`; the
    view's report says it too), a
    Close button (`<key>_close`, calling `on_close`), the filters' scope when `chosen`, a
    `note`, the first rows (`shown`, of `total`; `more` said when some are left out)
    whose rows open Customer 360 (`<key>_rows`; `table`: the options of
    `customer_table`) and the downloads of every row (`download`: `make`, `columns`,
    `name` and `about` of `download_buttons`). With `empty` and no customer, that is
    said instead."""
    with st.container(border=True, key=f"{key}_list"):
        top = st.container(horizontal=True, vertical_alignment="center")
        report.text(f"**{heading}**", container=top)  # the view's report names the list too
        top.button(
            close_label,
            icon=":material/close:",
            key=f"{key}_close",
            on_click=on_close,
            args=close_args,
        )
        if chosen is not None and (scope := filters.scope_caption(chosen)):
            st.caption(scope)
        if note:
            st.caption(note)
        if empty is not None and not total:
            st.info(empty)
            return
        if more and total > len(shown):
            st.caption(more)
        customer_table(shown, id_column, page, f"{key}_rows", **(table or {}))
        download_buttons(
            download["make"],
            total,
            download["columns"],
            download["name"],
            about=download.get("about"),
        )
