"""The page being drawn as one HTML file: what it shows, gathered as it is drawn.

The frame records a `Report` while a page runs (`recording`), and offers it in the sidebar
("Download this view (HTML)", `offer`), written when clicked. The report keeps, in the
page's order:
headings, notes and captions (st.subheader, st.info, st.caption... seen as the page sends
them; what it draws `unrecorded`, a click's hint, left out), tiles
(`ui.widgets.metric_row`), tables (`ui.widgets.show_table`, as shown on screen), figures
(`chart`, the drop-in for `st.plotly_chart`) and sentences a page says in words (`text`,
`note`, `says`). The file opens anywhere without a network: plotly.js is inlined once.
Nothing is kept between runs, and a fragment's rerun adds nothing (the report is the last
full run's).
"""

from __future__ import annotations

import html
import numbers
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.proto.Markdown_pb2 import Markdown
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from ui import format as fmt
from ui import theme
from ui.i18n import LANGUAGES, current_language, t

_KEY = "_view_report"  # the session's report of the last full run
ROWS = 200  # a table's rows in the file; a line says how many more the page has


@dataclass
class Report:
    """What a page showed: parts of kind 'heading', 'tiles', 'text', 'note', 'alert'
    (st.info, st.warning...), 'figure' and 'table', as they were drawn; `open` while the
    page is drawn.

    A page may fill a container above what it drew first (Loyalty draws its inputs before
    the verdict shown above them): `paths` are the places on the page (Streamlit's delta
    paths) of the elements drawn, in the order drawn, and each part is anchored to the
    element drawn next (`anchors`), so `in_place` gives the parts in the page's order."""

    title: str
    name: str = "view"  # the page's address, for the file's name
    parts: list[tuple[str, object]] = field(default_factory=list)
    open: bool = True
    lang: str = "en"  # the view's language and what the view is (`about`), once offered
    about: dict[str, str] = field(default_factory=dict)
    paths: list[tuple[int, ...]] = field(default_factory=list)
    anchors: list[int] = field(default_factory=list)
    quiet: int = 0  # > 0 while the page draws what the file leaves out (`unrecorded`)

    def add(self, kind: str, content, anchor: int | None = None) -> None:
        self.parts.append((kind, content))
        self.anchors.append(len(self.paths) if anchor is None else anchor)

    def count(self, kind: str) -> int:
        return sum(k == kind for k, _ in self.parts)

    def in_place(self) -> list[tuple[str, object]]:
        """The parts in the order they stand on the page (a part drawn last, after every
        element, stays last)."""
        end = (float("inf"),)

        def place(i: int):
            anchor = self.anchors[i]
            return self.paths[anchor] if anchor < len(self.paths) else end

        return [self.parts[i] for i in sorted(range(len(self.parts)), key=place)]


@dataclass(frozen=True)
class Table:
    """A table as the page showed it: column headings and the cells as text, at most ROWS
    rows, and how many rows the page had."""

    columns: list[str]
    rows: list[list[str]]
    total: int
    more: str | None = None  # the line saying how many rows the file leaves out


# --- recording --------------------------------------------------------------------------------


def current() -> Report | None:
    """The report being recorded on this run (None outside a page's run or a fragment's)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    found = st.session_state.get(_KEY)
    return found if found is not None and found.open else None


def last() -> Report | None:
    """The report of the session's last full run (None before one)."""
    return st.session_state.get(_KEY)


def _record(kind: str, content, anchor: int | None = None) -> None:
    """Keep a part, anchored to `anchor` (an index of `Report.paths`; by default the
    element drawn next: call this just before drawing the part)."""
    found = current()
    if found is not None:
        found.add(kind, content, anchor)


def _seen(message) -> None:
    """Keep a heading (not the page's title), an alert or a caption (as a note) the page
    sent to its main area, unless it was drawn `unrecorded`."""
    if not message.HasField("delta") or not message.delta.HasField("new_element"):
        return
    path = tuple(message.metadata.delta_path)
    found = current()
    if not path or path[0] != 0 or found is None:  # the sidebar's, or no page recorded
        return
    found.paths.append(path)
    here = len(found.paths) - 1
    element = message.delta.new_element
    kind = element.WhichOneof("type")
    if found.quiet:
        return
    if kind == "markdown" and element.markdown.element_type == Markdown.Type.CAPTION:
        if element.markdown.body:
            _record("note", element.markdown.body, here)
    elif kind == "heading" and element.heading.tag != "h1" and element.heading.body:
        _record("heading", _unmarked(element.heading.body), here)
    elif kind == "alert" and element.alert.body:
        _record("alert", _unmarked(element.alert.body), here)
    elif kind == "markdown" and element.markdown.body.startswith("#"):  # "#### A part"
        _record("heading", _unmarked(element.markdown.body.lstrip("#").strip()), here)


@contextmanager
def recording(title: str, name: str = "view") -> Iterator[Report]:
    """Record the page drawn inside as a new `Report` titled `title` (the page's name in
    the menu; `name`: its address, for the file's name). Headings and notes are seen as
    Streamlit sends them (its run context's `enqueue`, the one place this module reads
    Streamlit's inside).

    The sidebar's button (`offer`) is drawn first: the file is written when it is clicked,
    from what the page drew by then, so a page that stops early (thin data, said in words)
    is offered too; an empty database, whose pages only say how to load data, is not."""
    from ui import sidebar

    report = Report(title, name or "view")
    st.session_state[_KEY] = report
    if not sidebar.context().state.is_empty:
        offer()
    ctx = get_script_run_ctx(suppress_warning=True)
    send = ctx.enqueue if ctx is not None else None

    def observed(message) -> None:
        _seen(message)
        send(message)

    if ctx is not None:
        ctx.enqueue = observed
    try:
        yield report
    finally:
        report.open = False
        if ctx is not None:
            del ctx.enqueue  # the class's own again


def chart(figure: go.Figure, *, container=None, **kwargs):
    """`st.plotly_chart(figure, **kwargs)` in `container` (the page's main area when None),
    in the view being drawn (`theme.follow_view`), kept for the report; returns what
    `st.plotly_chart` returns (the selection event with `on_select`)."""
    figure = theme.follow_view(figure)
    _record("figure", figure)
    return (container or st).plotly_chart(figure, **kwargs)


def text(body: str, *, container=None) -> None:
    """`body` (markdown) on the page, and in the report as a sentence."""
    _record("text", body)
    (container or st).markdown(body)


def note(body: str, *, container=None) -> None:
    """`body` as a caption on the page, and in the report as a note (as every caption)."""
    (container or st).caption(body)


@contextmanager
def unrecorded() -> Iterator[None]:
    """What the page draws inside is left out of the report (a click's hint, which means
    nothing in a file; a tile's caption, which the tile holds)."""
    found = current()
    if found is not None:
        found.quiet += 1
    try:
        yield
    finally:
        if found is not None:
            found.quiet -= 1


def says(*sentences: str) -> None:
    """Sentences the page drew its own way (a list, a verdict's box), kept for the report."""
    for sentence in sentences:
        _record("text", sentence)


def tiles(shown) -> None:
    """KPI tiles (`ui.widgets.Tile`) the page is drawing (`ui.widgets.metric_row` calls
    this just before)."""
    _record("tiles", list(shown))


def table(data, config: dict | None, money: dict[str, str | None], options: dict) -> None:
    """A table the page is drawing (`ui.widgets.show_table` calls this just before):
    kept as shown."""
    if current() is not None:
        _record("table", shown_table(data, config or {}, money, options))


# --- a table as shown ----------------------------------------------------------------------

_PRINTF = re.compile(
    r"^(?P<before>[^%]*)%(?P<flags>[+,]*)(?P<digits>\.\d+)?(?P<kind>[dfi])(?P<after>.*)$"
)


def _number(value, number_format: str | None) -> str:
    """`value` in a column's printf-like format ('%,d', '%+.0f', '%.1f%%'), as the grid
    writes it; other values and formats as `ui.format.cell` writes them."""
    if number_format is None or isinstance(value, str | bool) or pd.isna(value):
        return fmt.cell(value)
    found = _PRINTF.match(number_format.replace("%%", "\0"))
    if not found or not isinstance(value, numbers.Real):
        return fmt.cell(value)
    flags = found["flags"]
    sign, comma = "+" if "+" in flags else "", "," if "," in flags else ""
    digits = ".0" if found["kind"] in "di" else (found["digits"] or ".6")
    body = f"{float(value):{sign}{comma}{digits}f}"
    return f"{found['before']}{body}{found['after']}".replace("\0", "%")


_MOMENT = {"YYYY": "%Y", "MM": "%m", "DD": "%d", "HH": "%H", "mm": "%M"}


def _day(value, day_format: str | None = None) -> str:
    """A day (or a month) in its column's format ('YYYY-MM-DD' or '%Y-%m')."""
    if pd.isna(value):
        return fmt.UNKNOWN
    pattern = day_format or "%Y-%m-%d"
    for moment, strftime in _MOMENT.items():
        pattern = pattern.replace(moment, strftime)
    return pd.Timestamp(value).strftime(pattern)


def shown_table(data, config: dict, money: dict[str, str | None], options: dict) -> Table:
    """`data` (a DataFrame, a Styler or what `st.dataframe` takes) as `show_table` showed
    it: the columns `config` does not hide, in `column_order` when given, headed by their
    labels, money written in its currency and numbers in their column's format."""
    frame = data.data if hasattr(data, "data") and hasattr(data, "format") else data
    frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
    order = options.get("column_order") or list(frame.columns)
    names = [n for n in order if n in frame.columns and not _hidden(config.get(n, {}))]
    lang = current_language()
    columns, cells = [], []
    for name in names:
        column = config.get(name) or {}
        columns.append(str(column.get("label") or name))
        kind = (column.get("type_config") or {}).get("type")
        number_format = (column.get("type_config") or {}).get("format")
        values = frame[name].iloc[:ROWS]
        if name in money:
            cells.append([fmt.money_cell(v, lang, money[name]) for v in values])
        elif kind in ("date", "datetime"):
            cells.append([_day(v, number_format) for v in values])
        else:
            cells.append([_number(v, number_format) for v in values])
    rows = [list(row) for row in zip(*cells, strict=True)] if cells else []
    more = t("report.no_rows") if frame.empty else None
    if len(frame) > len(rows):
        shown, left = fmt.count(len(rows), lang), fmt.count(len(frame) - len(rows), lang)
        more = t("report.more_rows", shown=shown, more=left)
    return Table(columns, rows, len(frame), more)


def _hidden(column) -> bool:
    return column is None or bool((column or {}).get("hidden"))


# --- the file ----------------------------------------------------------------------------------

STYLE = """
body { font-family: "Source Sans Pro", "Noto Sans CJK SC", "PingFang SC", sans-serif;
  color: #1B2233; margin: 2rem auto; max-width: 1200px; padding: 0 1.5rem; }
h1 { margin-bottom: 0.2rem; } .caption { color: #6B778C; font-size: 0.9rem; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
  gap: 0.8rem; margin: 1rem 0; }
.tile { border: 1px solid #E3E8F2; border-radius: 0.5rem; padding: 0.8rem 1rem; }
.label { font-size: 0.9rem; } .value { font-size: 2rem; margin: 0.2rem 0; }
.delta { font-size: 0.85rem; color: #3E4859; } .note { color: #6B778C; font-size: 0.85rem; }
li { margin: 0.4rem 0; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #E3E8F2; padding: 0.3rem 0.7rem; text-align: left; }
th { background: #F4F6FB; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
.alert { background: #F4F6FB; border-left: 4px solid #2E5BFF; padding: 0.6rem 0.9rem;
  white-space: pre-line; }
dl.about { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem;
  color: #3E4859; font-size: 0.9rem; } dl.about dd { margin: 0; }
"""


def _tile_html(tile) -> str:
    parts = [
        f'<div class="label">{html.escape(tile.label)}</div>',
        f'<div class="value">{html.escape(tile.value)}</div>',
    ]
    if tile.delta:
        delta = " ".join(p for p in (tile.delta, tile.delta_description) if p)
        parts.append(f'<div class="delta">{html.escape(delta)}</div>')
    if tile.caption:
        parts.append(f'<div class="note">{html.escape(tile.caption)}</div>')
    return f'<div class="tile">{"".join(parts)}</div>'


_NUMBER = re.compile(r"^[-+−]?[^\d\s]{0,3}[\d,.]+\s?\S{0,3}$")


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = "".join(
            f'<td class="number">{html.escape(v)}</td>'
            if _NUMBER.match(v)
            else f"<td>{html.escape(v)}</td>"
            for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    note = f'<p class="note">{html.escape(table.more)}</p>' if table.more else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"


def _plain(text: str) -> str:
    """Markdown as the reader saw it: without the escapes and the bold/italic marks."""
    text = re.sub(r"\\(.)", r"\1", text)
    return re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), text)


def _unmarked(text: str) -> str:
    return _plain(text).replace(fmt.WORD_JOINER, "")


def report_html(report: Report, lang: str | None = None, about: dict | None = None) -> str:
    """`report` as one HTML file that opens anywhere without a network: a heading, what the
    view is (`about`: label -> value: as-of date, language, filters...; the report's own
    by default), then the page's parts in order; the charts with plotly.js inline (once, in
    the first chart). `lang`: the document's language (the report's by default)."""
    lang = lang or report.lang
    about = report.about if about is None else about
    body = [f"<h1>{html.escape(report.title)}</h1>"]
    if about:
        items = "".join(
            f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in about.items()
        )
        body.append(f'<dl class="about">{items}</dl>')
    first_chart = True
    sentences: list[str] = []
    tiles_: list = []

    def flush() -> None:
        if sentences:
            items = "".join(f"<li>{html.escape(_unmarked(s))}</li>" for s in sentences)
            body.append(f"<ul>{items}</ul>")
            sentences.clear()
        if tiles_:
            body.append(f'<div class="tiles">{"".join(_tile_html(tile) for tile in tiles_)}</div>')
            tiles_.clear()

    for kind, content in report.in_place():
        if kind == "text":
            sentences.append(content)
            continue
        if kind == "tiles":
            tiles_.extend(content)
            continue
        flush()
        if kind == "heading":
            body.append(f"<h2>{html.escape(content)}</h2>")
        elif kind == "note":
            body.append(f'<p class="caption">{html.escape(_unmarked(content))}</p>')
        elif kind == "alert":  # a verdict, a warning, what the data lack
            body.append(f'<p class="alert">{html.escape(_unmarked(content))}</p>')
        elif kind == "table":
            body.append(_table_html(content))
        elif kind == "figure":
            body.append(
                theme.on_paper(content).to_html(
                    full_html=False, include_plotlyjs=first_chart, config={"responsive": True}
                )
            )
            first_chart = False
    flush()
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><title>{html.escape(report.title)}</title>'
        f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>"
    )


def about(report: Report, ctx) -> dict[str, str]:
    """What the view is, in the reader's language: the page, the as-of date, the star rule
    set, the filters, whether names are masked, the currency and the language."""
    from ui import data, filters, privacy
    from ui.export import rule_set_text

    kept = filters.current()
    chosen = filters.choices(kept)
    named = "; ".join(f"{k}: {v}" for k, v in chosen.items())
    if kept.active:  # and how many customers they leave, as the chips above the page say
        left = len(filters.ids(kept, ctx.as_of, ctx.version))
        named += " " + t(
            "filters.count_plain",
            customers=fmt.count(left, ctx.lang),
            total=fmt.count(ctx.state.customers, ctx.lang),
        )
    return {
        t("export.about_page"): report.title,
        t("export.about_as_of"): ctx.as_of.isoformat(),
        t("export.about_rule_set"): rule_set_text(data.cursor()),
        t("export.about_filters"): named or t("export.none"),
        t("report.about_masking"): t("export.yes" if privacy.masking_on() else "export.no"),
        t("export.about_currency"): ctx.currency or t("export.currency_unset"),
        t("export.about_language"): LANGUAGES.get(ctx.lang, ctx.lang),
    }


def offer(
    container=None,
    *,
    label: str | None = None,
    help: str | None = None,
    key: str = "_view_report_button",
) -> None:
    """A button that downloads the view's report as one HTML file (made when clicked), in
    `container` (the sidebar when None); nothing before a page has been recorded."""
    from ui import sidebar

    found = last()
    if found is None:
        return
    ctx = sidebar.context()
    found.lang, found.about = ctx.lang, about(found, ctx)
    (container or st.sidebar).download_button(
        label or t("report.download"),
        data=lambda: report_html(found),
        file_name=f"startier-{found.name}-{ctx.as_of}-{ctx.lang}.html",
        mime="text/html",
        icon=":material/download:",
        on_click="ignore",
        help=help or t("report.download_help"),
        key=key,
    )
