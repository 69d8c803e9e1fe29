"""Glossary: RFM, CLV, P(alive), churn risk, AUC and the other terms the pages use, in a
manager's words, grouped and searchable; the same texts the pages show on hover."""

import streamlit as st

from ui import glossary
from ui.frame import page_context
from ui.i18n import t

page_context()  # the frame: the shared sidebar, the language
st.title(t("glossary.title"))
st.caption(t("glossary.caption"))
query = st.text_input(
    t("glossary.search"), placeholder=t("glossary.search_placeholder"), key="glossary_search"
)
shown = 0
for group in glossary.GROUPS:
    found = glossary.entries(group, query)
    if not found:
        continue
    st.subheader(t(f"glossary.group_{group}"))
    for name, text in found:
        st.markdown(f"**{name}**  \n{text}")
    shown += len(found)
if not shown:
    st.info(t("glossary.none_found", query=query.strip()))
