"""The Stars page under the shared filters (as a shared link brings them) and its clicks: the
distribution, the draft's effect and the tier list count only the chosen customers, each
rated among the whole base; the distribution table has its download; a click event on a
bar names its star from the customdata; the migration's flows hold the chosen customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import db, stars
from core.filters import Filters, chosen_ids
from tests.pages.test_filters import open_at as open_at  # noqa: F401  (the fixture)
from tests.ui.test_export_lists import made as made  # noqa: F401  (the fixture)
from ui import charts
from ui import stars as sr
from ui.i18n import load_catalog

PAGE = "pages/stars.py"


def _rated(path) -> tuple[pd.DataFrame, dict]:
    """Every customer's stars under the active rules on the build's day, as the page rates
    them, and the database's facts."""
    con = db.connect(path)
    try:
        as_of = db.built_as_of(con)
        base = stars.rating_base(con, as_of)
        rules = stars.active_rules(con).rules
        _, rated, _ = stars.rate(base.dims, rules)
        region = con.execute(
            "select region from customers where region is not null "
            "group by region order by count(*) desc limit 1"
        ).fetchone()
        ids = chosen_ids(con, Filters(regions=(region[0],))) if region else None
        frame = pd.DataFrame({"customer_id": base.frame["customer_id"], "stars": rated})
        return frame, {"as_of": as_of, "region": region and region[0], "ids": ids}
    finally:
        con.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_region_filter_counts_only_its_customers_on_the_stars_page(open_at, demo_db, lang):  # noqa: F811
    words = load_catalog(lang)
    frame, facts = _rated(demo_db)
    at = open_at(demo_db, lang=lang, region=[facts["region"]])
    at = at.switch_page(PAGE).run()
    assert not at.exception
    mine = frame[frame["customer_id"].isin(facts["ids"])]
    tiles = {m.label: m.value for m in at.metric}
    assert tiles[words["stars.rated"]] == f"{int((mine['stars'] > 0).sum()):,}"
    assert tiles[words["stars.five_stars"]] == f"{int((mine['stars'] == 5).sum()):,}"
    everyone = int((frame["stars"] == 5).sum())
    assert tiles[words["stars.five_stars"]] != f"{everyone:,}"
    count = f"{int((mine['stars'] == 5).sum()):,}"
    heading = words["stars.list_count"].format(star="5★", count=count)
    assert any(heading in m.value for m in at.markdown)  # the tier list opens on 5 stars
    captions = " ".join(c.value for c in at.caption)
    assert words["stars.distribution_click"] in captions
    assert words["stars.filtered_note"] in captions
    files = {b.proto.id.split("-", 2)[2] for b in at.get("download_button")}
    name = f"startier-star-distribution-{facts['as_of']}"
    assert {f"{name}_csv", f"{name}_xlsx"} <= files


def test_no_filter_counts_every_rated_customer(open_at, uk_shop_db):  # noqa: F811
    frame, _ = _rated(uk_shop_db)
    at = open_at(uk_shop_db).switch_page(PAGE).run()
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Rated customers"] == f"{int((frame['stars'] > 0).sum()):,}"
    assert load_catalog("en")["stars.filtered_note"] not in [c.value for c in at.caption]


def test_a_click_on_a_distribution_bar_names_its_star():
    dist = pd.DataFrame(
        {"stars": [1, 2, 3, 4, 5], "customers": [5, 4, 3, 2, 1], "share": [0.2] * 5}
    ).assign(revenue_12m=100.0)
    labels = {"stars": [f"{s} 星" for s in range(1, 6)], "customers": "C", "revenue": "R"}
    figure = charts.star_bars(dist, "t", labels | {"saved": "S", "draft": "D"})
    for index in range(5):
        point = {"point_index": index, "x": labels["stars"][index]}
        point["customdata"] = list(figure.data[0].customdata[index])
        event = {"selection": {"points": [point], "box": [], "lasso": []}}
        assert sr.clicked_star(event) == index + 1
    assert sr.clicked_star({"selection": {"points": []}}) is None
    assert sr.clicked_star({"selection": {"points": [{"x": "4 星"}]}}) is None  # no guess
    assert sr.clicked_star(None) is None


def test_chosen_only_counts_the_chosen_and_keeps_their_stars(demo_db):
    frame, facts = _rated(demo_db)
    con = db.connect(demo_db)
    try:
        base = stars.rating_base(con, facts["as_of"])
    finally:
        con.close()
    rated = frame["stars"].to_numpy()
    kept = sr.chosen_only(base, rated, facts["ids"])
    inside = frame["customer_id"].isin(facts["ids"]).to_numpy()
    assert (kept[inside] == rated[inside]).all() and (kept[~inside] == 0).all()
    assert sr.chosen_only(base, rated, None) is rated
    dist = stars.star_distribution(base, kept)
    by_hand = frame[inside & (rated > 0)].groupby("stars").size()
    assert dist.set_index("stars")["customers"].to_dict() == {
        s: int(by_hand.get(s, 0)) for s in stars.STARS
    }


def test_the_migration_of_chosen_customers_is_the_whole_bases_restricted(demo_db):
    con = db.connect(demo_db)
    try:
        ends = stars.monthly_ends(con)
        start, end = ends[-13], ends[-1]
        rules = stars.active_rules(con).rules
        at_start = stars.month_end_ratings(con, start, rules)
        at_end = stars.month_end_ratings(con, end, rules)
        everyone = stars.star_flows(con, start, end)
        chosen = np.sort(at_end["customer_id"].to_numpy(dtype=object)[::4])
        mine = stars.star_flows(con, start, end, customers=chosen)
    finally:
        con.close()
    paired = at_end[at_end["customer_id"].isin(chosen)].merge(
        at_start[["customer_id", "stars"]], on="customer_id", how="left", suffixes=("", "_s")
    )
    source = paired["stars_s"].map(lambda v: "none" if pd.isna(v) else str(int(v)))
    target = paired["stars"].map(lambda v: "None" if pd.isna(v) else str(int(v)))
    by_hand = pd.crosstab(source, target).stack()
    by_hand = by_hand[by_hand > 0]
    got = mine.assign(target=mine["target"].fillna("None")).set_index(["source", "target"])
    assert got["customers"].sum() == len(chosen)
    assert {k: int(v) for k, v in by_hand.items()} == {
        k: int(v) for k, v in got["customers"].items()
    }
    assert everyone["customers"].sum() == len(at_end)


def test_a_drafts_effect_counts_only_the_chosen_movers(open_at, demo_db):  # noqa: F811
    frame, facts = _rated(demo_db)
    at = open_at(demo_db, region=[facts["region"]]).switch_page(PAGE).run()
    at.slider(key="stars_w_relationship_default_0").set_value(100).run()
    assert not at.exception
    con = db.connect(demo_db)
    try:
        base = stars.rating_base(con, facts["as_of"])
        rules = stars.active_rules(con).rules
    finally:
        con.close()
    draft = rules.replace(weights=(*rules.weights[:3], 100.0))
    _, drafted, _ = stars.rate(base.dims, draft)  # thresholds among the whole base
    saved = frame["stars"].to_numpy()
    inside = frame["customer_id"].isin(facts["ids"]).to_numpy()
    up, down = int(((drafted > saved) & inside).sum()), int(((drafted < saved) & inside).sum())
    everyone = int((drafted > saved).sum())
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Customers moving up"] == f"{up:,}" != f"{everyone:,}"
    assert tiles["Customers moving down"] == f"{down:,}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_make_active_dialog_counts_everyone_and_says_so_under_a_filter(
    open_at,  # noqa: F811
    demo_db,
    tmp_path,
    lang,
):
    import shutil

    from tests.pages.test_stars_tools import _activation_dialog, _captions

    words = load_catalog(lang)
    path = shutil.copy(demo_db, tmp_path / "copy.duckdb")
    _, facts = _rated(path)
    at = open_at(path, lang=lang, region=[facts["region"]]).switch_page(PAGE).run()
    moved, page = _activation_dialog(at, words)
    assert moved > page > 0  # the dialog: every customer; the page: the region's
    assert words["stars.confirm_everyone"] in _captions(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_summary_tables_download_what_they_show(app_on, made, demo_db, tmp_path, lang):  # noqa: F811
    """The distribution, the playbook and the saved versions: each its CSV, with an About
    sheet naming the table, the figures those of the page."""
    import io
    import shutil

    from core.stars import DEFAULT_RULES, save_rule_set

    words = load_catalog(lang)
    path = shutil.copy(demo_db, tmp_path / "copy.duckdb")
    con = db.connect(path)
    save_rule_set(con, DEFAULT_RULES.replace(weights=(10, 10, 10, 70)), "spring", "ana")
    as_of = db.built_as_of(con)
    con.close()
    frame, _ = _rated(path)
    at = app_on(path, lang=lang).switch_page(PAGE).run()
    assert not at.exception
    listed = words["export.about_list"]
    calls = {c["about"].value(listed): c for c in made if c["about"] is not None}

    def csv(title: str) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(calls[title]["csv"]()), encoding="utf-8-sig")

    dist = csv(words["stars.distribution_title"].format(as_of=as_of))
    counts = frame[frame["stars"] > 0].groupby("stars").size()
    assert dist[words["stars.customers"]].tolist() == [int(counts[s]) for s in stars.STARS]
    playbook = csv(words["stars.playbook_header"])
    assert playbook[words["stars.col_stars"]].tolist() == [5, 4, 3, 2, 1]
    assert playbook[words["stars.col_actions"]].tolist() == [
        words[f"stars.playbook_{s}"] for s in (5, 4, 3, 2, 1)
    ]
    versions = csv(words["stars.versions_header"])
    assert versions[words["stars.col_name"]].tolist() == ["spring"]
    assert versions[words["stars.col_saved_by"]].tolist() == ["ana"]
