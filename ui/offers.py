"""Offers in words, shared by the What to offer next page (its target list) and Customer
360 (one customer's offers): item labels and the reason of an offer in the reader's language.
"""

from __future__ import annotations

from ui import format as fmt
from ui.i18n import section, t


def item_labels(level: str) -> dict[str, str]:
    """The labels the catalog has for items of `level` (the demo's categories); an item
    the catalog does not know is shown as it is."""
    if level != "category":
        return {}
    prefix = "category_"
    return {
        k.removeprefix(prefix): v for k, v in section("products").items() if k.startswith(prefix)
    }


def reason_words(basket: str) -> dict[str, str]:
    """The catalog's templates of a reason, read now (an export words its rows later, off
    the script's thread)."""
    keys = {"rule": f"reason_rule_{basket}", "popular": "reason_popular", "lift": "lift_times"}
    return {name: t(f"products.{key}") for name, key in keys.items()}


def reason_text(row, words: dict[str, str], names: dict[str, str]) -> str:
    """One offer's reason (a row of core.offers.offers) in words: "bought A; 38% of buyers
    of A also buy B, 2.4x the base rate", or the item's popularity. `names`: item labels."""
    item = names.get(row.item, row.item)
    if row.kind == "rule":
        return words["rule"].format(
            antecedent=names.get(row.antecedent, row.antecedent),
            item=item,
            confidence=fmt.percent(row.confidence, 0),
            lift=words["lift"].format(lift=f"{row.lift:.2f}"),
        )
    return words["popular"].format(item=item, popularity=fmt.percent(row.popularity, 0))
