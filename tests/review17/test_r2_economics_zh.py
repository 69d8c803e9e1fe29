"""Review of issue 17 (R2): Lifecycle's channel economics download writes its channels in
English on the Chinese page ("Douyin", "JD.com" beside "抖音", "京东" on screen). Its maker
(`lambda: economics_table(economics)`, ui/lifecycle.py economics_download) labels the
channels when the file is made, on Streamlit's download thread, where no session says the
language; the other lists label their codes with words fixed when drawn (`value_labels`)."""

from __future__ import annotations

import io

import pandas as pd

from tests.pages.conftest import app_on  # noqa: F401 (the fixture)
from tests.ui.test_export_lists import made  # noqa: F401 (the fixture)

PAGE = "pages/lifecycle.py"


def test_the_channel_economics_download_reads_as_the_chinese_page(app_on, demo_db, made):  # noqa: F811
    at = app_on(demo_db, lang="zh").switch_page(PAGE).run()
    assert not at.exception
    shown = next(d.value for d in at.main.dataframe if "value_to_cac" in d.value.columns)
    call = next(c for c in made if c["columns"][0].key == "channel" and c["rows"] == len(shown))
    csv = pd.read_csv(io.BytesIO(call["csv"]()), dtype=str, keep_default_na=False)
    assert list(csv.iloc[:, 0]) == list(shown["channel"])
