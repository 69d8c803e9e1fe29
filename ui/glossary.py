"""The glossary page's terms: each term's name and its explanation in a manager's words,
in the catalog's [glossary] section (`glossary.<term>_name`, `glossary.<term>`). The other
pages show the same explanation on hover with `help=t("glossary.<term>")`."""

from __future__ import annotations

from ui.i18n import t

GROUPS = {
    "value": ("rfm", "clv", "clv_historic", "clv_formula", "clv_predicted", "lift"),
    "models": ("bgnbd", "gamma_gamma", "p_alive", "churn_risk", "auc"),
    "satisfaction": ("nps", "csat"),
    "stars": (
        "stars",
        "value_tier",
        "dim_contribution",
        "dim_growth",
        "dim_loyalty",
        "dim_relationship",
    ),
}
TERMS = tuple(term for terms in GROUPS.values() for term in terms)


def entries(group: str, query: str = "") -> list[tuple[str, str]]:
    """(name, explanation) of the terms of `group` in the current language, those whose
    name or explanation holds `query` (any case) when one is given."""
    query = query.strip().casefold()
    found = [(t(f"glossary.{term}_name"), t(f"glossary.{term}")) for term in GROUPS[group]]
    return [(name, text) for name, text in found if query in f"{name} {text}".casefold()]
