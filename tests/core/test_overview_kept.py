"""The Overview's story as it opens, kept by the build (core.overview.opening_story): the
build keeps it once it has committed, since the ratings it reads come through a cursor,
which inside the build's transaction sees the tables as they were before the build."""

from __future__ import annotations

import shutil

from core import db, overview, precompute
from core.build import build
from tests.core.test_precompute import assert_same


def _copy(source, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(source, path)
    return db.connect(path)


def test_a_rebuild_on_changed_data_keeps_the_new_datas_story(demo_db, tmp_path):
    con = _copy(demo_db, tmp_path)
    as_of = db.built_as_of(con)
    before, _ = precompute.kept(overview.opening_story, con, as_of)
    con.execute(
        "update transactions set amount = amount * 3, cost = cost * 3 "
        "where ordered_at >= ?::date - interval 90 day",
        [as_of],
    )
    db.bump_data_version(con, raw=True)  # as an import does
    build(con, as_of)
    kept, kept_reasons = precompute.kept(overview.opening_story, con, as_of)
    live, live_reasons = overview.opening_story.live(con, as_of)
    assert_same(kept, live, "story")
    assert_same(kept_reasons, live_reasons, "reasons")
    # the data did change the figures the story holds
    assert kept.mix.table["value"].sum() != before.mix.table["value"].sum()
    assert kept.value.total != before.value.total


def test_a_build_inside_an_open_transaction_leaves_the_story_to_the_page(demo_db, tmp_path):
    con = _copy(demo_db, tmp_path)
    as_of = db.built_as_of(con)
    with db.transaction(con):
        build(con, as_of)
        kept = {row[0] for row in con.execute("select name from page_results").fetchall()}
    assert overview.opening_story.result_name not in kept
    assert overview.overview_kpis.result_name in kept
    assert precompute.kept(overview.opening_story, con, as_of) is None
    story, _ = overview.opening_story(con, as_of)  # computed, on the committed build
    assert story.mix is not None and story.value is not None


def test_keeping_the_story_again_replaces_it(demo_db, tmp_path):
    con = _copy(demo_db, tmp_path)
    as_of = db.built_as_of(con)
    name = overview.opening_story.result_name
    kept_again = precompute.store_committed_results(con, as_of).keys()
    assert name in kept_again
    count = f"select count(*) from {precompute.TABLE} where name = ?"
    for each in kept_again:  # every result kept after the commit, once
        assert con.execute(count, [each]).fetchone()[0] == 1
    assert precompute.kept(overview.opening_story, con, as_of) is not None
