"""Codes from the data in the reader's language; what the catalogs do not know, unchanged."""

import io

import pandas as pd
import pytest

from core import demo
from ui import i18n, labels
from ui import segments as sg
from ui.export import list_files
from ui.i18n import LANGUAGES, load_catalog


@pytest.fixture
def lang(monkeypatch):
    """`lang(code)` switches the language that `t()` reads."""

    def use(code: str) -> None:
        monkeypatch.setattr(i18n, "current_language", lambda: code)

    use("zh")
    return use


def test_codes_in_chinese(lang):
    assert labels.label("city", "Shanghai") == "上海"
    assert labels.label("city", "Xi'an") == "西安"
    assert labels.label("channel", "search_ads") == "搜索广告"
    assert labels.label("feedback_category", "delivery") == "物流"
    assert labels.label("stage", "at_risk") == "风险客户"
    assert labels.label("segment", "champions") == "冠军客户"
    assert labels.label("value_tier", "high") == "高价值"


def test_codes_in_english(lang):
    lang("en")
    assert labels.label("channel", "search_ads") == "Search ads"
    assert labels.label("city", "Shanghai") == "Shanghai"
    assert labels.label("stage", "at_risk") == "At risk"


def test_values_the_catalogs_lack_pass_through(lang):
    assert labels.label("city", "Springfield") == "Springfield"
    assert labels.label("channel", "tiktok_live") == "tiktok_live"
    assert labels.label("segment", "whales") == "whales"


def test_a_missing_value_is_named_where_it_stands_for_a_group(lang):
    assert labels.label("city", None) == "未知"
    assert labels.label("channel", float("nan")) == "未知"
    assert labels.label("segment", None) == "未评级"
    assert labels.label("value_tier", None) == "–"


def test_a_frame_gets_labels_in_its_code_columns_only(lang):
    frame = pd.DataFrame(
        {
            "customer_id": ["Shanghai", "c2", "c3"],
            "city": ["Shanghai", "Springfield", None],
            "acquisition_channel": ["search_ads", "tiktok_live", "wechat"],
            "segment": ["champions", "lost", "at_risk"],
            "stage": ["new", "churned", "at_risk"],
            "value_tier": ["high", None, "low"],
            "revenue": [1.0, 2.0, 3.0],
        }
    )
    out = labels.labelled(frame, {"city": "城市"})
    assert list(out.columns) == ["customer_id", "城市", *frame.columns[2:]]
    assert list(out["customer_id"]) == ["Shanghai", "c2", "c3"]  # not a code column
    assert list(out["城市"][:2]) == ["上海", "Springfield"] and pd.isna(out["城市"][2])
    assert list(out["acquisition_channel"]) == ["搜索广告", "tiktok_live", "微信"]
    assert list(out["segment"]) == ["冠军客户", "已流失客户", "流失风险客户"]
    assert list(out["stage"]) == ["新客户", "流失客户", "风险客户"]
    assert out["value_tier"][0] == "高价值" and pd.isna(out["value_tier"][1])
    assert list(out["revenue"]) == [1.0, 2.0, 3.0]
    assert frame["city"][0] == "Shanghai", "the input is not changed"


def test_labels_made_now_keep_their_language_later(lang):
    """An export is built on Streamlit's download thread: its labels are made beforehand."""
    made = labels.value_labels(["city", "acquisition_channel", "revenue"])
    assert set(made) == {"city", "acquisition_channel"}
    lang("en")
    out = labels.labelled(pd.DataFrame({"city": ["Beijing"], "revenue": [1]}), labels=made)
    assert out["city"][0] == "北京"


def test_every_code_of_the_demo_data_has_a_label_in_every_language():
    vocabularies = {
        "city": demo.CITIES,
        "channel": (
            *demo.CHANNELS,
            *demo.PURCHASE_CHANNELS,
            *demo.FEEDBACK_CHANNELS,
            *demo.INTERACTION_CHANNELS,
        ),
        "feedback_category": demo.FEEDBACK_CATEGORIES,
    }
    for code in LANGUAGES:
        catalog = load_catalog(code)
        for section, pairs in vocabularies.items():
            missing = {c for c, _ in pairs if f"{section}.{c}" not in catalog}
            assert not missing, f"{code}: no label for {section} {missing}"
    zh = load_catalog("zh")
    assert all(zh[f"city.{en}"] == name for en, name in demo.CITIES)


def test_a_segment_export_in_chinese_has_chinese_values(lang):
    members = pd.DataFrame(
        {
            "customer_id": ["c1", "c2"],
            "city": ["Shanghai", "Springfield"],
            "acquisition_channel": ["search_ads", "wechat"],
            "segment": ["champions", "champions"],
            "revenue_12m": [10.0, 20.0],
        }
    )
    to_csv, _, _ = list_files(lambda: members, len(members), sg.export_columns(members, None))
    csv = pd.read_csv(io.BytesIO(to_csv()), encoding="utf-8-sig")
    assert list(csv.columns) == ["客户编号", "城市", "获客渠道", "细分", "近 12 个月收入"]
    assert list(csv["城市"]) == ["上海", "Springfield"]
    assert list(csv["获客渠道"]) == ["搜索广告", "微信"]
    assert set(csv["细分"]) == {"冠军客户"}


def test_a_star_rating_has_one_label_everywhere(lang):
    lang("en")
    assert [labels.star_name(s) for s in (5, "4", 3.0)] == ["5★", "4★", "3★"]
    for unrated in ("none", "unrated", None, float("nan"), 0):
        assert labels.star_name(unrated) == "Not rated"
    assert labels.label("stars", 2) == "2★"
    lang("zh")
    assert labels.star_name(1) == "1★"
    assert labels.star_name("none") == "未评级"


def test_a_table_or_download_shows_stars_as_labels(lang):
    frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "stars": pd.array([5, None, 1], "Int8")})
    shown = labels.labelled(frame)
    assert list(shown["stars"].iloc[[0, 2]]) == ["5★", "1★"]
    assert pd.isna(shown["stars"].iloc[1])  # missing stays missing in a table
