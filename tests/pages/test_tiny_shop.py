"""Every page on a shop of six customers with a handful of orders and one refund (built):
too few for clusters and the models, so each page says what is missing in words, in both
languages, and never shows a stack."""

import pytest

from core import db
from core.build import build
from ui.i18n import LANGUAGES, load_catalog
from ui.navigation import PAGES


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.duckdb"
    con = db.connect(path)
    con.executemany(
        "insert into customers (customer_id, signed_up_at) values (?, '2024-01-01')",
        [(f"c{i}",) for i in range(6)],
    )
    con.executemany(
        "insert into transactions (transaction_id, order_id, customer_id, ordered_at, amount) "
        "values (?, ?, ?, ?, ?)",
        [
            (f"t{i}", f"o{i // 2}", f"c{i % 6}", f"2024-0{1 + i % 6}-1{i % 9} 10:00", amount)
            for i, amount in enumerate(10.0 * (i + 1) * (-1 if i == 7 else 1) for i in range(14))
        ],
    )
    build(con)
    con.close()
    return path


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_a_tiny_shop_gets_words_not_a_stack(app_on, tiny_db, spec, lang):
    at = app_on(tiny_db, lang=lang).switch_page(spec.path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == load_catalog(lang)[spec.title_key]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_clusters_say_how_many_buyers_they_need(app_on, tiny_db, lang):
    at = app_on(tiny_db, lang=lang).switch_page("pages/segments.py").run()
    said = load_catalog(lang)["segments.clusters_too_few"].format(needed=10, found=6)
    assert said in [info.value for info in at.info]
