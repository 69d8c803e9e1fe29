"""StarTier: the frame around every page (page config, shared sidebar, navigation)."""

import streamlit as st

from ui import data, sidebar
from ui.i18n import t
from ui.navigation import PAGES

st.set_page_config(page_title="StarTier", page_icon="⭐", layout="wide")
sidebar.init_language()

if data.default_database_missing():
    with st.spinner(t("demo.building")):
        data.build_demo_data()

st.sidebar.markdown(f"### ⭐ {t('app.title')}")
st.sidebar.caption(t("app.tagline"))
sidebar.render()

pages = [
    st.Page(spec.path, title=t(spec.title_key), icon=spec.icon, url_path=spec.url_path)
    for spec in PAGES
]
st.navigation(pages).run()
