"""What a page shows when there is nothing to show yet: what to do, not a traceback."""

from __future__ import annotations

import streamlit as st

from ui import data
from ui.i18n import t
from ui.sidebar import Context


def show_empty_state(ctx: Context) -> bool:
    """When the database holds no data, explain how to get some and return True."""
    if not ctx.state.is_empty:
        return False
    st.info(f"**{t('empty.title')}**\n\n{t('empty.body')}", icon=":material/database:")
    if st.button(t("empty.demo_button"), type="primary"):
        with st.spinner(t("demo.building")):
            data.build_demo_data()
        st.rerun()
    st.caption(t("empty.demo_command"))
    st.code(f"python -m core demo --db {ctx.state.path}", language="bash")
    st.caption(t("empty.import_command"))
    st.code(
        f"python -m core import customers customers.csv --db {ctx.state.path}\n"
        f"python -m core import transactions orders.xlsx --db {ctx.state.path}\n"
        f"python -m core build --db {ctx.state.path}",
        language="bash",
    )
    return True
