"""The Segments page through app.py: the grid, the table, clusters and key accounts."""

from __future__ import annotations

from core import db
from ui.i18n import load_catalog

PAGE = "pages/segments.py"


def _open(app_on, path, lang=None):
    return app_on(path, lang=lang).switch_page(PAGE).run()


def test_the_page_shows_every_segment_and_the_key_accounts(app_on, demo_db):
    at = _open(app_on, demo_db)
    assert not at.exception
    assert at.title[0].value == "Customer segments"
    table = at.dataframe[0].value
    assert len(table) == 11
    con = db.connect(demo_db)
    buyers = con.execute("select count(*) from customer_features where is_buyer").fetchall()[0][0]
    con.close()
    assert table["Customers"].str.replace(",", "").astype(int).sum() == buyers
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Key accounts"] == f"{int(buyers * 0.2):,}"
    before = tiles["Margin carried by the top 20%"]
    at.slider(key="segments_top").set_value(5).run()
    after = {m.label: m.value for m in at.metric}["Margin carried by the top 5%"]
    assert float(after.rstrip("%")) < float(before.rstrip("%"))


def test_a_given_number_of_clusters(app_on, demo_db):
    at = _open(app_on, demo_db)
    at.toggle(key="segments_k_auto").set_value(False).run()
    at.slider(key="segments_k").set_value(3).run()
    assert not at.exception
    profile = at.dataframe[2].value
    assert len(profile) == 3


def test_the_page_in_chinese(app_on, demo_db):
    at = _open(app_on, demo_db, lang="zh")
    assert not at.exception
    assert at.title[0].value == "客户细分"
    assert "冠军客户" in set(at.dataframe[0].value["细分"])


def test_the_customer_lists_in_chinese(app_on, own_values_db):
    at = _open(app_on, own_values_db, lang="zh")
    assert not at.exception
    zh = load_catalog("zh")
    cities = {v for k, v in zh.items() if k.startswith("city.")} | {"Springfield"}
    channels = {v for k, v in zh.items() if k.startswith("channel.")} | {"tiktok_live"}
    members, accounts = (d.value for d in at.dataframe if "城市" in d.value.columns)
    for table in (members, accounts):
        assert set(table["城市"]) <= cities and set(table["获客渠道"]) <= channels
    assert set(members["细分"]) == {"冠军客户"}
    assert {"Springfield", "北京"} <= set(accounts["城市"])
    assert {"tiktok_live", "微信"} <= set(accounts["获客渠道"])


def test_an_empty_database_shows_what_to_do(app_on, empty_db):
    at = _open(app_on, empty_db)
    assert not at.exception
    assert at.info and "No data yet" in at.info[0].value
