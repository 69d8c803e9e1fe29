"""ui/drill.py, the drill-down mechanics the pages share: the customdata a selection event
holds, a chart's key that changes on Close, and the pick kept until then."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui import drill


def _event(*customdata) -> dict:
    """A selection event as Streamlit 1.67 sends it, one point per `customdata` (None: a
    point without any, as a trace with no customdata gives)."""
    points = [{"point_index": i} | ({} if c is None else {"customdata": c}) for i, c in
              enumerate(customdata)]  # fmt: skip
    return {"selection": {"points": points, "box": [], "lasso": []}}


def test_points_are_the_selected_customdata_in_order_skipping_points_without():
    assert list(drill.points(_event(["5", 3], None, "low"))) == [["5", 3], "low"]
    assert list(drill.points(None)) == []
    assert list(drill.points({"selection": {}})) == []
    assert list(drill.points({})) == []


def test_an_item_comes_from_the_first_point_long_enough_to_hold_it():
    assert drill.item(_event(["a"], ["b", 7]), 1) == 7
    assert drill.item(_event(["a", 0]), 1) == 0  # a zero is an answer, not "nothing"
    assert drill.item(_event("scalar", ["c"]), 0) == "c"  # a bare value is no list
    assert drill.item(_event(["a"]), 1) is None
    assert drill.item(None, 0) is None


def _page():
    import streamlit as st

    from ui import drill

    key = drill.chart_key("demo_chart")
    picked = drill.keep("demo_pick", st.session_state.pop("_click", None))
    st.markdown(f"key {key}; pick {picked}")
    if st.button("Close", key="demo_close"):
        drill.close("demo_pick", "demo_chart_closed")
        st.rerun()


def _shown(at) -> str:
    return at.markdown[0].value


def test_a_pick_is_kept_across_reruns_until_close_which_gives_the_chart_a_new_key():
    at = AppTest.from_function(_page).run()
    assert _shown(at) == "key demo_chart_0; pick None"
    at.session_state["_click"] = "gold"
    at.run()
    assert _shown(at) == "key demo_chart_0; pick gold"
    at.run()  # no new click: the pick is kept (the way back from Customer 360 finds it)
    assert _shown(at) == "key demo_chart_0; pick gold"
    at.button(key="demo_close").click().run()
    assert _shown(at) == "key demo_chart_1; pick None"
    at.session_state["_click"] = "silver"
    at.run()
    assert _shown(at) == "key demo_chart_1; pick silver"


def _callback_page():
    import streamlit as st

    from ui import drill

    args = drill.clickable("demo_chart_0", "demo_pick", lambda e: drill.item(e, 0))
    st.markdown(f"{args['key']} {args['selection_mode']} {st.session_state.get('demo_pick')}")
    if "_event" in st.session_state:  # what Streamlit keeps under the chart's key on a click
        st.session_state["demo_chart_0"] = st.session_state.pop("_event")
        args["on_select"]()


def test_a_clickable_charts_callback_keeps_what_the_page_reads_from_the_click():
    at = AppTest.from_function(_callback_page).run()
    assert _shown(at) == "demo_chart_0 points None"
    at.session_state["_event"] = _event(["medium", 12])
    at.run().run()
    assert _shown(at) == "demo_chart_0 points medium"
    at.session_state["_event"] = _event(None)  # a click that reads as nothing keeps the pick
    at.run().run()
    assert _shown(at) == "demo_chart_0 points medium"
