"""Every page on an empty database in Chinese (each page's own test covers English): the
page's title, what to do in the catalog's words, no figures and no stack. The browser tests
no longer open the empty database by default (`make screenshots` does)."""

import pytest

from ui.i18n import load_catalog
from ui.navigation import PAGES

ZH = load_catalog("zh")
# the Glossary reads no data: on an empty database it shows its terms (tests/pages/test_glossary.py)
DATA_PAGES = [spec for spec in PAGES if spec.url_path != "glossary"]


@pytest.mark.parametrize("spec", DATA_PAGES, ids=lambda s: s.url_path)
def test_an_empty_database_says_what_to_do_in_chinese(app_on, empty_db, spec):
    at = app_on(empty_db, lang="zh").switch_page(spec.path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == ZH[spec.title_key]
    assert at.info[0].value.startswith(f"**{ZH['empty.title']}**")
    assert ZH["empty.body"] in at.info[0].value
    assert not at.metric
