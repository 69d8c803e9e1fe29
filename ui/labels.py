"""Values from the data in the reader's language: a city, a channel, a stage, a segment...

Tables, charts, choices and exports show a code from the data (`search_ads`, `Shanghai`,
`at_risk`) through its catalog label (搜索广告, 上海, 流失风险). A value the catalog does not
know, such as a city of the user's own data, is shown as it is; a missing value stays
missing in a table and is named (e.g. "Unknown") where it stands for a group.

A star rating has one label everywhere (chart, table, legend, choice, download): `star_name`,
'5★' (catalog `stars.star_n`); a customer without one is "Not rated" (`stars.unrated`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from core import lifecycle, rfm, stars
from ui.i18n import section, t


@dataclass(frozen=True)
class Vocabulary:
    """Where one kind of value finds its labels in the catalogs."""

    prefix: str  # catalog key of a code: prefix + code ("channel." + "search_ads")
    missing: str | None  # catalog key of a missing value; None: shown as "–"
    codes: tuple[str, ...] | None = None  # the known codes; None: every key of the section


VOCABULARIES = {
    "region": Vocabulary("region.", "region.unknown"),
    "city": Vocabulary("city.", "city.unknown"),
    "channel": Vocabulary("channel.", "channel.unknown"),
    "feedback_category": Vocabulary("feedback_category.", "feedback_category.unknown"),
    "stage": Vocabulary("lifecycle.stage_", None, lifecycle.STAGES),
    "segment": Vocabulary("segments.name_", "stars.unrated", rfm.SEGMENTS),
    "value_tier": Vocabulary("stars.tier_", None, stars.VALUE_TIERS),
}

# The data columns that hold codes, and the vocabulary of each.
COLUMNS = {
    "city": "city",
    "acquisition_channel": "channel",
    "stage": "stage",
    "segment": "segment",
    "value_tier": "value_tier",
    "stars": "stars",
}


def _is_missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


STARS = (1, 2, 3, 4, 5)
UNRATED = ("none", "unrated", "0", 0)  # how the data and the flows say "no star yet"


def star_name(value) -> str:
    """The one label of a star rating: '5★' for 5 (or '5'); unrated (missing, 0, 'none',
    'unrated'): "Not rated"."""
    if _is_missing(value) or value in UNRATED:
        return t("stars.unrated")
    return t("stars.star_n", n=int(value))


def label(kind: str, code) -> str:
    """The label of `code` in vocabulary `kind` ('city', 'channel', 'stage'...) in the current
    language; a code the catalog lacks comes back as it is."""
    if kind == "stars":
        return star_name(code)
    vocabulary = VOCABULARIES[kind]
    if _is_missing(code):
        return t(vocabulary.missing) if vocabulary.missing else "–"
    try:
        return t(f"{vocabulary.prefix}{code}")
    except KeyError:
        return str(code)


def codes(kind: str) -> tuple[str, ...]:
    """The codes the catalogs have a label for in vocabulary `kind`."""
    if kind == "stars":
        return STARS
    vocabulary = VOCABULARIES[kind]
    if vocabulary.codes is not None:
        return vocabulary.codes
    name, _, key_prefix = vocabulary.prefix.partition(".")
    return tuple(k.removeprefix(key_prefix) for k in section(name) if k.startswith(key_prefix))


def value_labels(columns: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each of `columns` that holds codes: every known code -> its label, in the current
    language. Made now, it can label a frame later, off the script's thread (an export)."""
    return {
        column: {code: label(COLUMNS[column], code) for code in codes(COLUMNS[column])}
        for column in columns
        if column in COLUMNS
    }


def labelled(
    frame: pd.DataFrame,
    names: dict[str, str] | None = None,
    labels: dict[str, dict[str, str]] | None = None,
) -> pd.DataFrame:
    """A copy of `frame` with the codes of its code columns as labels (`labels`, default:
    `value_labels` of its columns now), unknown codes and missing values kept, and columns
    renamed by `names`."""
    labels = value_labels(frame.columns) if labels is None else labels
    out = frame.copy()
    for column, mapping in labels.items():
        if column in out:
            values = out[column].astype(object)
            mapped = values.map(mapping)
            out[column] = mapped.where(mapped.notna(), values)
    return out.rename(columns=names or {})
