"""ui/drill.py keeps a pick with what it means something under (a grouping, the knobs that
draw a band) and drops it when that changes."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page():
    import streamlit as st

    from ui import drill

    under = st.session_state.get("_under", "stars")
    picked = drill.keep("demo_pick", st.session_state.pop("_click", None), under)
    st.markdown(f"pick {picked} under {st.session_state.get('demo_pick_under')}")


def _shown(at) -> str:
    return at.markdown[0].value


def test_a_pick_kept_under_another_grouping_is_dropped_and_stays_dropped():
    at = AppTest.from_function(_page).run()
    at.session_state["_click"] = "5"
    at.run()
    assert _shown(at) == "pick 5 under stars"
    at.session_state["_under"] = "segment"  # the grouping changes
    at.run()
    assert _shown(at) == "pick None under None"
    at.session_state["_under"] = "stars"  # back: the old pick is not revived
    at.run()
    assert _shown(at) == "pick None under None"


def test_a_pick_put_in_the_session_takes_the_current_scope_then_keeps_it():
    at = AppTest.from_function(_page).run()
    at.session_state["demo_pick"] = "Champions"
    at.session_state["_under"] = "segment"
    at.run()
    assert _shown(at) == "pick Champions under segment"
    at.run()
    assert _shown(at) == "pick Champions under segment"
    at.session_state["_under"] = "stars"
    at.run()
    assert _shown(at) == "pick None under None"


def test_a_new_click_under_a_new_grouping_is_kept_under_it():
    at = AppTest.from_function(_page).run()
    at.session_state["_click"] = "5"
    at.run()
    at.session_state["_under"] = "segment"
    at.session_state["_click"] = "Champions"
    at.run()
    assert _shown(at) == "pick Champions under segment"
