"""The current language and the string catalogs (`ui/locales/<lang>.toml`)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import streamlit as st

LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"
LOCALES = Path(__file__).resolve().parent / "locales"


def load_catalog(lang: str) -> dict[str, str]:
    """The catalog of `lang` as flat `section.key -> text`."""
    with open(LOCALES / f"{lang}.toml", "rb") as f:
        data = tomllib.load(f)
    return {
        f"{section}.{key}": text for section, keys in data.items() for key, text in keys.items()
    }


@st.cache_resource
def _catalog(lang: str) -> dict[str, str]:
    return load_catalog(lang)


def current_language() -> str:
    """The language chosen in the sidebar (or by `?lang=` in the address), else English."""
    lang = st.session_state.get("lang") or st.query_params.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def section(name: str) -> dict[str, str]:
    """The current language's texts of one catalog section, as `key -> text`."""
    prefix = f"{name}."
    return {
        key.removeprefix(prefix): text
        for key, text in _catalog(current_language()).items()
        if key.startswith(prefix)
    }


def t(key: str, **values) -> str:
    """The text for `key` in the current language, with `{placeholders}` filled in."""
    text = _catalog(current_language())[key]
    return text.format(**values) if values else text
