"""Small pieces of page furniture shared by several pages."""

from __future__ import annotations

from ui import format as fmt
from ui.i18n import t


def change_metric(
    column,
    label: str,
    value: str,
    change: str | None,
    *,
    covered: bool,
    help: str | None = None,
    border: bool = True,
) -> None:
    """A figure with its change against the previous 12 months in `column`; when the data do
    not cover that period (`covered` false), the words that there is no earlier period
    instead, since a change against part of a year would mislead; an unknown figure gets
    neither."""
    if value == fmt.UNKNOWN:
        column.metric(label, value, help=help, border=border)
    elif covered:
        column.metric(
            label,
            value,
            change,
            help=help,
            delta_description=t("metric.vs_previous"),
            border=border,
        )
    else:
        column.metric(
            label,
            value,
            t("metric.no_previous"),
            delta_color="off",
            delta_arrow="off",
            help=help,
            border=border,
        )
