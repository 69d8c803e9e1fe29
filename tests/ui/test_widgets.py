"""The one choice helper: a segmented control that always returns one of its options."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _choice(options: list[str], default: str | None) -> AppTest:
    """An app that writes what `choice` returned."""

    def script(options: list[str], default: str | None) -> None:
        import streamlit as st

        from ui.widgets import choice

        chosen = choice("Measure", options, default, key="measure")
        st.text(f"chosen: {chosen}")

    return AppTest.from_function(script, args=(options, default)).run()


def test_it_opens_on_the_default_and_follows_a_click():
    at = _choice(["customers", "revenue"], "revenue")
    assert at.text[0].value == "chosen: revenue"
    at.segmented_control(key="measure").set_value("customers").run()
    assert at.text[0].value == "chosen: customers"


def test_the_chosen_option_cannot_be_deselected():
    """Streamlit deselects the chosen option of a segmented control on a click unless it is
    required: the helper's control is, so a click keeps the choice."""
    at = _choice(["customers", "revenue"], "customers")
    assert at.segmented_control(key="measure").proto.required


def test_a_missing_value_falls_back_to_a_valid_option():
    at = _choice(["customers", "revenue"], "customers")
    at.segmented_control(key="measure").set_value(None).run()
    assert not at.exception
    assert at.text[0].value == "chosen: customers"


def test_a_default_that_is_not_an_option_opens_on_the_first():
    at = _choice(["30", "60"], "90")
    assert at.text[0].value == "chosen: 30"


def test_no_options_no_choice():
    at = _choice([], "customers")
    assert not at.exception
    assert at.text[0].value == "chosen: None"


# --- the KPI tiles -----------------------------------------------------------------------


def _tiles(tiles: list, columns: int | None = None, stacked: bool = False) -> AppTest:
    """An app that shows `tiles` with `metric_row` (in a column beside another when
    `stacked`); `tiles` are keyword dicts of `Tile`, or of `change_tile` when they hold
    "covered"."""

    def script(tiles: list, columns: int | None, stacked: bool) -> None:
        import streamlit as st

        from ui.widgets import Tile, change_tile, metric_row

        made = [change_tile(**tile) if "covered" in tile else Tile(**tile) for tile in tiles]
        if stacked:
            left, _ = st.columns([2, 3])
            metric_row(made, columns=1, container=left)
        else:
            metric_row(made, columns)

    return AppTest.from_function(script, args=(tiles, columns, stacked)).run()


def _rows(at: AppTest) -> list[list[list[str]]]:
    """The rows of tiles at the top of the page: per row, per column, the labels in it."""
    return [
        [[metric.label for metric in column.get("metric")] for column in block.children.values()]
        for block in at.main.children.values()
        if block.type == "flex_container"
    ]


def test_a_tile_shows_its_label_value_help_change_and_caption_bordered():
    at = _tiles(
        [
            {"label": "Orders", "value": "1,200", "help": "Orders in 12 months"},
            {
                "label": "Revenue",
                "value": "¥3.4M",
                "delta": "+12%",
                "delta_description": "vs last year",
                "caption": "between ¥3.1M and ¥3.6M",
            },
        ]
    )
    assert not at.exception
    orders, revenue = at.metric
    assert (orders.label, orders.value, orders.help) == ("Orders", "1,200", "Orders in 12 months")
    assert not orders.proto.delta
    assert (revenue.value, revenue.delta) == ("¥3.4M", "+12%")
    assert revenue.proto.delta_description == "vs last year"
    assert revenue.proto.color == revenue.proto.GREEN  # a rise, coloured as one
    assert all(metric.proto.show_border for metric in at.metric)
    assert [caption.value for caption in at.caption] == ["between ¥3.1M and ¥3.6M"]
    assert _rows(at) == [[["Orders"], ["Revenue"]]]


def test_tiles_wrap_by_columns_in_their_order():
    labels = ["a", "b", "c", "d", "e"]
    at = _tiles([{"label": label, "value": "1"} for label in labels], columns=2)
    assert _rows(at) == [[["a"], ["b"]], [["c"], ["d"]], [["e"], []]]  # the last row as wide
    assert [metric.label for metric in at.metric] == labels


def test_one_column_stacks_the_tiles_in_the_container():
    at = _tiles(
        [{"label": "share", "value": "80%"}, {"label": "count", "value": "12"}], stacked=True
    )
    assert _rows(at) == [[["share", "count"], []]]
    assert len(at.columns) == 2  # the page's two, no row of columns inside the left one


def test_no_tiles_no_row():
    at = _tiles([])
    assert not at.exception
    assert not at.metric and not _rows(at)


def test_a_change_against_a_covered_year_says_what_it_is_compared_with():
    at = _tiles([{"label": "Customers", "value": "90", "change": "-10%", "covered": True}])
    metric = at.metric[0]
    assert metric.delta == "-10%"
    assert metric.proto.delta_description == "vs previous 12 months"
    assert metric.proto.color == metric.proto.RED


def test_no_earlier_year_says_so_in_grey_without_an_arrow():
    at = _tiles([{"label": "Customers", "value": "90", "change": "-10%", "covered": False}])
    metric = at.metric[0]
    assert metric.delta == "No earlier 12 months to compare with"
    assert metric.proto.color == metric.proto.GRAY
    assert metric.proto.direction == metric.proto.NONE
    assert not metric.proto.delta_description


def test_an_unknown_figure_has_no_change():
    at = _tiles([{"label": "NPS", "value": "–", "change": "+3", "covered": True}])
    assert at.metric[0].value == "–"
    assert not at.metric[0].proto.delta
