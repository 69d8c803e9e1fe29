"""The marketer's tools on the Stars page (issue 17), through app.py in both languages: the
draft's effect beside the sliders equals core's re-rating, the net change per star and the
list of who moves agree with the flows, weights as shares kept across a mode change, a save
that activates nothing and an activation that says beforehand what it changes."""

from __future__ import annotations

import io
import re
import shutil

import numpy as np
import pytest
from openpyxl import load_workbook

from core import db, stars
from core.stars import DEFAULT_RULES, DIMENSIONS
from tests.ui.test_export_lists import made  # noqa: F401 (the fixture)
from ui.i18n import load_catalog

PAGE = "pages/stars.py"
LANGS = ["en", "zh"]
RELATIONSHIP = "stars_w_relationship_default_0"


def _open(app_on, path, lang):
    return app_on(path, lang=lang).switch_page(PAGE).run()


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def _core_change(path, rules):
    """The active (default) and the draft rating of the built shop, by core alone."""
    con = db.connect(path)
    base = stars.rating_base(con, db.built_as_of(con))
    con.close()
    _, saved, _ = stars.rate(base.dims, DEFAULT_RULES)
    _, draft, _ = stars.rate(base.dims, rules)
    return base, saved, draft, stars.rating_change(base, saved, draft)


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _moves_table(at, catalog):
    return next(d.value for d in at.dataframe if catalog["stars.col_to"] in d.value.columns)


@pytest.mark.parametrize("lang", LANGS)
def test_the_drafts_effect_is_cores_re_rating(app_on, demo_db, lang):
    catalog = load_catalog(lang)
    at = _open(app_on, demo_db, lang)
    at.slider(key=RELATIONSHIP).set_value(100).run()
    assert not at.exception
    draft_rules = DEFAULT_RULES.replace(weights=(35, 25, 25, 100))
    base, saved, draft, change = _core_change(demo_db, draft_rules)
    tiles = _tiles(at)
    assert _count(tiles[catalog["stars.moved_up"]]) == change.moved_up > 0
    assert _count(tiles[catalog["stars.moved_down"]]) == change.moved_down > 0

    # the net change per star, as core counts it
    net = stars.star_net_change(change.flows)
    text = _markdown(at)
    for row in net.itertuples():
        if row.came_in or row.went_out:
            sign = "+" if row.net > 0 else "−" if row.net < 0 else ""
            assert f"{row.stars}★**" in text
            assert f"+{row.came_in:,}" in text and f"−{row.went_out:,}" in text
            assert f"**{sign}{abs(row.net):,}**" in text

    # who moves: as many as the flows between different stars, each a real move
    moved = int(change.flows.loc[change.flows["saved"] != change.flows["draft"], "customers"].sum())
    caption = next(c.value for c in at.caption if catalog["stars.moves_caption"][-20:] in c.value)
    assert f"{moved:,}" in caption
    table = _moves_table(at, catalog)
    assert len(table) == min(moved, 200)
    ids = base.frame["customer_id"].to_numpy()
    row_of = {c: i for i, c in enumerate(ids)}
    for customer, was, now in table[
        [catalog["stars.col_customer_id"], catalog["stars.col_from"], catalog["stars.col_to"]]
    ].itertuples(index=False):
        i = row_of[customer]
        assert was == f"{saved[i]}★" and now == f"{draft[i]}★"
    assert set(table[catalog["stars.col_reason"]]) <= {
        catalog[f"stars.dim_{d}"] for d in stars.DIMENSIONS
    } | {catalog["stars.reason_thresholds"]}


@pytest.mark.parametrize("lang", LANGS)
def test_weights_show_as_shares_and_survive_a_mode_change(app_on, demo_db, lang):
    catalog = load_catalog(lang)
    at = _open(app_on, demo_db, lang)
    at.slider(key=RELATIONSHIP).set_value(100).run()
    at.slider(key="stars_share_0_default_0").set_value(10).run()
    shares = next(c.value for c in at.caption if catalog["stars.dim_relationship"] in c.value)
    total = 35 + 25 + 25 + 100
    assert f"{catalog['stars.dim_relationship']} {100 / total:.0%}" in shares
    assert f"{catalog['stars.dim_contribution']} {35 / total:.0%}" in shares
    at.button_group(key="stars_mode_default_0").set_value("score").run()
    at.slider(key="stars_mark_0_default_0").set_value(90).run()
    assert at.slider(key=RELATIONSHIP).value == 100
    at.button_group(key="stars_mode_default_0").set_value("quantile").run()
    assert not at.exception
    assert at.slider(key=RELATIONSHIP).value == 100
    assert at.slider(key="stars_share_0_default_0").value == 10
    at.button_group(key="stars_mode_default_0").set_value("score").run()
    assert at.slider(key="stars_mark_0_default_0").value == 90


def _stored_stars(path):
    con = db.connect(path)
    frame = con.execute(
        "select customer_id, coalesce(stars, 0) as stars from customer_features order by 1"
    ).df()
    con.close()
    return frame.set_index("customer_id")["stars"]


def _data_version(path) -> int:
    con = db.connect(path)
    try:
        return db.data_version(con)
    finally:
        con.close()


def _save(at, catalog, name):
    at.text_input(key="stars_save_name").input(name)
    next(b for b in at.button if b.label == catalog["stars.save"]).click().run()
    assert not at.exception


@pytest.mark.parametrize("lang", LANGS)
def test_saving_activates_nothing(app_on, demo_db, tmp_path, lang):
    catalog = load_catalog(lang)
    path = shutil.copy(demo_db, tmp_path / "copy.duckdb")
    before, version_before = _stored_stars(path), _data_version(path)
    at = _open(app_on, path, lang)
    five_before = _tiles(at)[catalog["stars.five_stars"]]
    at.slider(key=RELATIONSHIP).set_value(100).run()
    _save(at, catalog, "spring")
    assert _data_version(path) == version_before  # what every page's caches are keyed on
    con = db.connect(path)
    assert stars.active_rules(con).version == 0
    assert stars.rule_set_versions(con)["name"].tolist() == ["spring"]
    con.close()
    assert _stored_stars(path).equals(before)
    assert _tiles(at)[catalog["stars.five_stars"]] == five_before
    assert at.selectbox(key="stars_switch").value == ("spring", 1)


@pytest.mark.parametrize("lang", LANGS)
def test_activating_says_what_it_changes_first(app_on, demo_db, tmp_path, lang):
    catalog = load_catalog(lang)
    path = shutil.copy(demo_db, tmp_path / "copy.duckdb")
    before = _stored_stars(path)
    at = _open(app_on, path, lang)
    at.slider(key=RELATIONSHIP).set_value(100).run()
    _save(at, catalog, "spring")

    at.button(key="stars_activate").click().run()  # cancelled: nothing changes
    assert not at.exception
    at.button(key="stars_confirm_no").click().run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "stars_confirm_yes"]  # the dialog closed
    assert _stored_stars(path).equals(before)

    version_before = _data_version(path)
    at.button(key="stars_activate").click().run()
    said = re.search(r"\*\*([\d,]+)\*\*", _dialog_text(at, catalog))
    said_up, said_down = _up_down(_dialog_text(at, catalog), catalog)
    at.button(key="stars_confirm_yes").click().run()
    assert not at.exception
    con = db.connect(path)
    active = stars.active_rules(con)
    con.close()
    assert (active.name, active.version) == ("spring", 1)
    assert _data_version(path) > version_before  # every page reads anew
    after = _stored_stars(path).reindex(before.index)
    changed = int((after != before).sum())
    assert changed > 0 and _count(said.group(1)) == changed
    assert said_up == int(((after > before) & (before > 0)).sum())
    assert said_down == int(((after < before) & (after > 0)).sum())
    assert any(f"{changed:,}" in s.value for s in at.success)
    fives = int((after == 5).sum())
    assert _tiles(at)[catalog["stars.five_stars"]] == f"{fives:,}"  # the page re-rated
    assert np.isin(after, [0, 1, 2, 3, 4, 5]).all()


def _dialog_text(at, catalog) -> str:
    opening = catalog["stars.confirm_text"].split("{")[0]
    return next(m.value for m in at.markdown if m.value.startswith(opening))


def _up_down(text: str, catalog) -> tuple[int, int]:
    numbers = [_count(n) for n in re.findall(r"\d[\d,]*", text.split("**", 4)[-1])]
    return numbers[0], numbers[1]


@pytest.mark.parametrize("lang", LANGS)
def test_a_row_of_who_moves_opens_customer_360(app_on, demo_db, lang):
    catalog = load_catalog(lang)
    at = _open(app_on, demo_db, lang)
    at.slider(key=RELATIONSHIP).set_value(100).run()
    table = _moves_table(at, catalog)
    first = table[catalog["stars.col_customer_id"]].iloc[0]
    at.session_state["stars_moves_rows"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception
    assert at.query_params["customer"] in (first, [first])


@pytest.mark.parametrize(("shop", "sign"), [("uk_shop_db", "£"), ("market_db", "R$")])
def test_the_tools_on_a_real_shaped_shop(app_on, request, shop, sign):
    """A UK shop in pounds (no costs, transactions only) and a marketplace in reais (nearly
    one order per customer, reviews only): the draft moves customers, the money is in the
    shop's currency, the list holds every mover, nothing fails. (Without touchpoints or
    CSAT everyone's relationship score is the same: contribution's weight moves them.)"""
    path = request.getfixturevalue(shop)
    at = _open(app_on, path, "en")
    at.slider(key="stars_w_contribution_default_0").set_value(100).run()
    assert not at.exception
    draft_rules = DEFAULT_RULES.replace(weights=(100, 25, 25, 15))
    _, _, _, change = _core_change(path, draft_rules)
    assert _count(_tiles(at)["Customers moving up"]) == change.moved_up > 0
    assert _tiles(at)["Revenue of those moving up"].startswith(sign)
    catalog = load_catalog("en")
    assert len(_moves_table(at, catalog)) == min(change.moved_up + change.moved_down, 200)


def _captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def _activation_dialog(at, catalog):
    """The draft (relationship 100) saved and the dialog opened to make it active: its
    count of movers and the page's up + down beside the sliders."""
    at.slider(key=RELATIONSHIP).set_value(100).run()
    tiles = _tiles(at)
    page = _count(tiles[catalog["stars.moved_up"]]) + _count(tiles[catalog["stars.moved_down"]])
    _save(at, catalog, "spring")
    at.button(key="stars_activate").click().run()
    assert not at.exception
    said = re.search(r"\*\*([\d,]+)\*\*", _dialog_text(at, catalog).split("**", 2)[-1])
    return _count(said.group(1)), page


@pytest.mark.parametrize("lang", LANGS)
def test_on_the_build_day_the_dialog_counts_what_the_page_counts(app_on, demo_db, tmp_path, lang):
    catalog = load_catalog(lang)
    path = shutil.copy(demo_db, tmp_path / "copy.duckdb")
    con = db.connect(path)
    built = db.built_as_of(con)
    con.close()
    at = _open(app_on, path, lang)
    moved, page = _activation_dialog(at, catalog)
    assert moved == page > 0
    captions = _captions(at)
    assert catalog["stars.confirm_day"].format(day=built) in captions
    assert catalog["stars.confirm_other_day"].format(as_of=built, day=built) not in captions
    assert catalog["stars.effect_other_day"].format(as_of=built) not in captions


@pytest.mark.parametrize("lang", LANGS)
def test_on_another_day_the_dialog_and_the_page_say_which_day_they_count(
    app_on, demo_db, tmp_path, lang, monkeypatch
):
    """Activation re-rates the stars stored for the build day, so the dialog counts there;
    the page counts the draft on the sidebar's day. Both say so in words (review 17: the
    demo on 2026-06-30 showed 216 up and 216 down beside the sliders, 531 in the dialog)."""
    catalog = load_catalog(lang)
    path = shutil.copy(demo_db, tmp_path / "copy.duckdb")
    con = db.connect(path)
    built = db.built_as_of(con)
    con.close()
    day = built.replace(month=6, day=30) if built.month > 6 else built.replace(day=1)
    at = app_on(path, lang=lang)
    at.date_input(key="sidebar_as_of").set_value(day).run()
    at = at.switch_page(PAGE).run()
    assert not at.exception
    assert catalog["stars.effect_other_day"].format(as_of=day) in _captions(at)
    _activation_dialog(at, catalog)
    captions = _captions(at)
    assert catalog["stars.confirm_day"].format(day=built) in captions
    assert catalog["stars.confirm_other_day"].format(as_of=day, day=built) in captions


def _about_sheet(call) -> str:
    sheet = load_workbook(io.BytesIO(call["xlsx"]())).worksheets[1]
    return " | ".join(f"{r[0].value}: {r[1].value}" for r in sheet.iter_rows())


@pytest.mark.parametrize("lang", LANGS)
def test_the_movers_about_sheet_names_the_draft(app_on, made, demo_db, lang):  # noqa: F811
    """The exported list of who moves says which draft moved them: its weights as shares,
    its mode and its top shares (review 17: it named the active rule set only)."""
    words = load_catalog(lang)
    at = _open(app_on, demo_db, lang)
    at = at.slider(key=RELATIONSHIP).set_value(100).run()
    assert not at.exception
    calls = [
        c
        for c in made
        if c["about"] is not None
        and c["about"].value(words["export.about_list"]) == words["stars.moves_header"]
    ]
    call = calls[-1]  # the last run's, after the slider moved
    assert call["rows"] > 0
    about = _about_sheet(call)
    weights = words["stars.about_draft"].format(what=words["stars.weights"])
    weights_now = list(DEFAULT_RULES.weights)
    weights_now[DIMENSIONS.index("relationship")] = 100.0
    share = round(100 * 100.0 / sum(weights_now))  # 100 of 185: 54%
    relationship = words["stars.weight_share"].format(
        dimension=words["stars.dim_relationship"], share=f"{share}%"
    )
    assert f"{weights}: " in about and relationship in about, about
    mode = words["stars.about_draft"].format(what=words["stars.mode"])
    assert f"{mode}: {words['stars.mode_quantile']}" in about
    top = words["stars.about_draft"].format(what=words["stars.top_share"].format(star=5))
    assert f"{top}: 5%" in about


def _save_button(at, catalog):
    return next(b for b in at.button if b.label == catalog["stars.save"])


@pytest.mark.parametrize("lang", LANGS)
def test_a_draft_just_saved_is_not_saved_again(app_on, demo_db, tmp_path, lang):
    """After a Save the draft still differs from the active rules; saving it again would
    only store a copy, so Save is off and a sentence says why (review 17)."""
    catalog = load_catalog(lang)
    path = shutil.copy(demo_db, tmp_path / "copy.duckdb")
    at = _open(app_on, path, lang)
    assert _save_button(at, catalog).disabled  # the draft is the active rules
    assert catalog["stars.save_same_active"] in _captions(at)
    at.slider(key=RELATIONSHIP).set_value(100).run()
    assert not _save_button(at, catalog).disabled
    _save(at, catalog, "spring")
    said = catalog["stars.saved"].format(name="spring", version=1)
    assert said in [s.value for s in at.success]  # on the page, not a passing toast
    assert _save_button(at, catalog).disabled
    assert catalog["stars.save_same_last"].format(name="spring v1") in _captions(at)
    at.slider(key=RELATIONSHIP).set_value(90).run()  # another draft can be saved
    assert not _save_button(at, catalog).disabled
    con = db.connect(path)
    assert stars.rule_set_versions(con)["version"].tolist() == [1]
    con.close()


def test_presentation_mode_leaves_out_the_draft(app_on, demo_db):
    """Its sliders are hidden in presentation mode, so the draft is the active rules and
    its tiles and flows would be empty: the section is left out (review 17)."""
    catalog = load_catalog("en")
    at = _open(app_on, demo_db, "en")
    assert catalog["stars.try_header"] in [h.value for h in at.subheader]
    at.toggle(key="sidebar_present").set_value(True).run()
    assert not at.exception
    assert catalog["stars.try_header"] not in [h.value for h in at.subheader]
    assert catalog["stars.moved_up"] not in _tiles(at)
    assert catalog["stars.versions_header"] in [h.value for h in at.subheader]
