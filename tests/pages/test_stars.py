"""The Stars page through app.py: counts, live sliders, saving a version, languages."""

from __future__ import annotations

import shutil

from core import db, stars
from ui.i18n import load_catalog

PAGE = "pages/stars.py"


def _open(app_on, path, lang=None):
    return app_on(path, lang=lang).switch_page(PAGE).run()


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_page_shows_the_rated_customers(app_on, demo_db):
    at = _open(app_on, demo_db)
    assert not at.exception
    assert at.title[0].value == "Star ratings"
    con = db.connect(demo_db)
    buyers, five = con.execute(
        "select count(*) filter (where is_buyer), count(*) filter (where stars = 5) "
        "from customer_features"
    ).fetchall()[0]
    con.close()
    tiles = _tiles(at)
    assert tiles["Rated customers"] == f"{buyers:,}"
    assert tiles["5-star customers"] == f"{five:,}"
    assert tiles["Customers moving up"] == "0"  # the draft starts as the saved rules


def test_moving_a_weight_slider_moves_customers(app_on, demo_db):
    at = _open(app_on, demo_db)
    at.slider(key="stars_w_relationship_default_0").set_value(100).run()
    assert not at.exception
    tiles = _tiles(at)
    up, down = int(tiles["Customers moving up"]), int(tiles["Customers moving down"])
    assert up > 0 and down > 0  # in quantile mode the shares stay: as many go up as down
    assert tiles["Rated customers"] == _tiles(_open(app_on, demo_db))["Rated customers"]


def test_score_mode_and_saving_a_version(app_on, demo_db, tmp_path):
    """A save stores the draft as a new version and leaves the active rules as they were
    (tests/pages/test_stars_tools.py makes it active)."""
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(demo_db, path)
    at = _open(app_on, path)
    at.button_group(key="stars_mode_default_0").set_value("score").run()
    at.slider(key="stars_mark_0_default_0").set_value(95).run()
    assert int(_tiles(at)["Customers moving down"]) > 0
    at.text_input(key="stars_save_name").input("spring")
    at.text_input(key="stars_save_by").input("ana")
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert not at.exception
    con = db.connect(path)
    stored = stars.load_rule_set(con, "spring", 1)
    assert stored.saved_by == "ana"
    assert stored.rules.mode == "score" and stored.rules.score_thresholds[0] == 95
    assert stars.active_rules(con).version == 0
    con.close()
    assert "spring" not in at.caption[0].value
    assert at.selectbox(key="stars_switch").value == ("spring", 1)  # offered to activate


def test_the_page_in_chinese(app_on, demo_db):
    at = _open(app_on, demo_db, lang="zh")
    assert not at.exception
    assert at.title[0].value == "星级评定"
    assert "已评级客户" in _tiles(at)


def _section(lang: str, name: str) -> set[str]:
    return {v for k, v in load_catalog(lang).items() if k.startswith(f"{name}.")}


def test_the_tier_list_in_chinese_names_cities_channels_and_tiers_in_chinese(app_on, demo_db):
    at = _open(app_on, demo_db, lang="zh")
    table = next(d.value for d in at.dataframe if "城市" in d.value.columns)
    assert len(table) > 0
    assert set(table["城市"]) <= _section("zh", "city")
    assert set(table["获客渠道"]) <= _section("zh", "channel")
    assert set(table["价值等级"]) == {"高价值"}
    assert "上海" in set(table["城市"])


def test_values_the_catalogs_lack_are_shown_as_they_are(app_on, own_values_db):
    at = _open(app_on, own_values_db, lang="zh")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "城市" in d.value.columns)
    assert "Springfield" in set(table["城市"]) and "上海" not in set(table["城市"])
    assert "tiktok_live" in set(table["获客渠道"]) and "京东" not in set(table["获客渠道"])
    assert set(table["城市"]) - {"Springfield"} <= _section("zh", "city")


def test_an_empty_database_shows_what_to_do(app_on, empty_db):
    at = _open(app_on, empty_db)
    assert not at.exception
    assert at.info and "No data yet" in at.info[0].value
