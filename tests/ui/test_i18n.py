import re
import string
from pathlib import Path

from ui.i18n import LANGUAGES, load_catalog

ROOT = Path(__file__).resolve().parent.parent.parent


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_the_same_keys_and_placeholders():
    catalogs = {lang: load_catalog(lang) for lang in LANGUAGES}
    english = catalogs["en"]
    for lang, catalog in catalogs.items():
        assert catalog.keys() == english.keys(), f"{lang}: {catalog.keys() ^ english.keys()}"
        for key, text in catalog.items():
            assert text.strip(), f"{lang}: {key} is empty"
            assert _fields(text) == _fields(english[key]), f"{lang}: {key} placeholders differ"


def test_every_key_used_in_the_code_exists():
    catalog = load_catalog("en")
    used = set()
    sources = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    for path in sources:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""", path.read_text()))
        used |= set(re.findall(r"""["']((?:nav|overview)\.[a-z_0-9]+)["']""", path.read_text()))
    assert used, "found no t() calls: the pattern is broken"
    assert not used - catalog.keys(), f"missing from the catalogs: {used - catalog.keys()}"


def test_chinese_catalog_is_chinese():
    zh = load_catalog("zh")
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", text)) for text in zh.values()) > 0.9 * len(zh)


def _reason_codes() -> set[str]:
    """Every code core gives a model's Reason: `Reason("code", ...)` and the codes passed to
    ModelFitError (its second argument)."""
    codes = set()
    for path in (ROOT / "core").glob("*.py"):
        text = path.read_text("utf-8")
        codes |= set(re.findall(r'Reason\(\s*"([a-z_]+)"', text))
        for call in re.findall(r"ModelFitError\((.*?)\n\s*\)", text, flags=re.S):
            codes |= set(re.findall(r'^\s*"([a-z_]+)",\s*$', call, flags=re.M))
    return codes


def test_every_model_reason_is_worded_in_both_languages():
    """A page says why a model did not run in its own language, never in core's English."""
    codes = _reason_codes()
    assert {"few_customers", "fit_no_convergence", "churn_one_sided"} <= codes, codes
    for lang in LANGUAGES:
        catalog = load_catalog(lang)
        for code in codes:
            section = "loyalty" if code.startswith("loyalty_") else None
            section = section or ("churn" if code.startswith("churn_") else "value")
            key = f"{section}.reason_{code.removeprefix('loyalty_')}"
            assert key in catalog, f"{lang}: no {key} for core's reason {code!r}"
