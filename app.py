"""StarTier: the frame (page config, shared sidebar, navigation) around the chosen page.

A fresh server's first run imports the whole domain (pandas, scipy, scikit-learn), which
takes seconds: the app's name shows with a spinner meanwhile instead of a blank page.
"""

import streamlit as st

from ui.i18n import t

st.set_page_config(page_title="StarTier", page_icon="★", layout="wide")
with st.spinner(f"★ {t('app.title')}"):
    from ui.frame import frame  # noqa: E402 (this import is what takes the seconds)

frame().run()
