import re
from functools import partial
from pathlib import Path

from ui import format as fmt

ROOT = Path(__file__).resolve().parent.parent.parent


def test_counts():
    assert fmt.count(20_000, "en") == "20,000"
    assert fmt.count(1_234_567, "en") == "1.2M"
    assert fmt.count(1_234_567, "zh") == "123.5万"
    assert fmt.count(None, "en") == "–"
    assert fmt.count(0, "en") == "0"


def test_money_in_the_databases_currency():
    assert fmt.money(12_345_678, "en", "CNY") == "¥12.3M"
    assert fmt.money(12_345_678, "zh", "CNY") == "¥1,234.6万"
    assert fmt.money(234_567_890, "zh", "CNY") == "¥2.35亿"
    assert fmt.money(345.6, "en", "GBP", exact=True) == "£346"
    assert fmt.money(-5_000, "en", "GBP") == "-£5,000"
    assert fmt.money(273_188, "en", "BRL") == "R$273.2K"
    assert fmt.money(12_345, "en", "CHF") == "CHF 12.3K"
    assert fmt.money(12_345, "zh", "GBP") == "£1.2万"


def test_money_without_a_currency_is_a_plain_number():
    assert fmt.money(12_345, "en", None) == "12.3K"
    assert fmt.money(345.6, "en", None, exact=True) == "346"
    assert fmt.money_cell(-12_345.4, "en", None) == "-12,345"
    assert fmt.money_texts([1.5, -2.5], None, digits=1) == ["1.5", "-2.5"]
    assert fmt.money_unit("en", None) == ""
    assert fmt.with_unit("Revenue", fmt.money_unit("en", None), "en") == "Revenue"
    assert fmt.money_header("Revenue", None) == "Revenue"


def test_unknown_is_a_dash_and_zero_is_zero():
    for unknown in (None, float("nan")):
        assert fmt.money(unknown, "zh", "CNY") == "–"
        assert fmt.count(unknown, "en") == "–"
        assert fmt.percent(unknown) == "–"
    assert fmt.money(0, "en", "GBP") == "£0"
    assert fmt.money(0.0, "en", "GBP", exact=True) == "£0"
    assert fmt.percent(0) == "0.0%"


def test_one_negative_style_the_sign_before_the_symbol():
    assert fmt.money(-338_669, "en", "CNY", exact=True) == "-¥338,669"
    assert fmt.money(-680_900, "en", "CNY") == "-¥680.9K"
    assert fmt.money(-680_900, "zh", "CNY") == "-¥68.1万"
    assert fmt.money_texts([-338_669.4, 12.0], "BRL") == ["-R$338,669", "R$12"]
    assert fmt.money(-0.2, "en", "GBP", exact=True) == "£0"  # no "-£0"


def test_table_money_is_exact_in_english_and_in_wan_in_chinese():
    assert fmt.money_cell(-338_669.4, "en", "GBP") == "-£338,669"
    assert fmt.money_cell(-338_669.4, "zh", "CNY") == "-¥33.9万"
    assert fmt.money_cell(234_567_890, "zh", "CNY") == "¥2.35亿"
    assert fmt.money_cell(9_999, "zh", "CNY") == "¥9,999"
    assert fmt.money_cell(None, "zh", "CNY") == "–"


def test_a_table_writes_its_money_columns_and_sorts_by_the_amounts():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "revenue": [-338_669.4, 52_000.0, None],
            "orders": [1_200, 3, 4],
            "score": [45.3, 1.0, None],
        }
    )
    config = {
        "revenue": {
            "label": "Revenue",
            "type_config": {"type": "number", "format": fmt.money_column("CNY")},
        },
        "orders": {"label": "Orders", "type_config": {"type": "number", "format": "%,d"}},
    }
    shown, money = fmt.money_columns(config)
    assert money == {"revenue": "CNY"}
    assert shown["revenue"]["type_config"]["format"] is None  # the table writes the cells
    assert shown["orders"] == config["orders"]
    assert config["revenue"]["type_config"]["format"] == "money:CNY"  # the caller's is kept
    html = fmt.money_table(frame, money, "zh").to_html()
    for text in ("-¥33.9万", "¥5.2万", "1,200", "45.3", "–"):
        assert text in html
    assert fmt.money_table(frame, money, "zh").data["revenue"].iloc[0] == -338_669.4


def test_money_in_charts_and_downloads():
    assert fmt.money_unit("en", "GBP") == "£"
    assert fmt.money_unit("zh", "GBP", fmt.money_axis_scale("zh")) == "万英镑"
    assert fmt.money_unit("zh", "CNY", 1e4) == "万元"
    assert fmt.money_unit("zh", "XYZ") == "XYZ"
    assert fmt.with_unit("Revenue", "£", "en") == "Revenue (£)"
    assert fmt.with_unit("营收", "万英镑", "zh") == "营收（万英镑）"
    assert fmt.money_header("Revenue", "GBP") == "Revenue (GBP)"


def test_changes():
    assert fmt.percent(0.3456) == "34.6%"
    assert fmt.change(110, 100) == "+10.0%"
    assert fmt.change(90, 100) == "-10.0%"
    assert fmt.change(5, 0) is None
    assert fmt.point_change(0.35, 0.30) == "+5.0"
    assert fmt.point_change(None, 0.3) is None
    assert fmt.money_axis_scale("zh") == 1e4 and fmt.money_axis_scale("en") == 1


def test_no_hard_coded_currency_in_pages_or_ui():
    """Money takes the database's currency: no page or ui module writes a symbol itself."""
    sources = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sources
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"[¥￥£€]|万元", line) and path.name != "format.py"
    ]
    assert not found, "\n".join(found)
    catalog_lines = [
        line
        for lang in ("en", "zh")
        for line in (ROOT / "ui" / "locales" / f"{lang}.toml").read_text().splitlines()
        if re.search(r"[¥￥£€]|元[）)]", line) and not line.startswith("name_")
    ]
    assert not catalog_lines, "\n".join(catalog_lines)


def test_text_from_users_and_data_shows_as_typed_in_markdown():
    joiner = fmt.WORD_JOINER  # keeps a bare address from becoming a link
    assert fmt.plain("[Verify](https://evil.example)") == (
        r"\[Verify\]\(https\:" + joiner + r"\/\/evil\.example\)"
    )
    assert fmt.plain("www.evil.example") == "www" + joiner + r"\.evil\.example"
    assert fmt.plain("ann@evil.example") == r"ann\@" + joiner + r"evil\.example"
    assert fmt.plain("**bold** _it_ # h :red[x] $x$ <b>") == (
        r"\*\*bold\*\* \_it\_ \# h \:red\[x\] \$x\$ \<b\>"
    )
    assert fmt.plain("C001") == "C001" and fmt.plain(42) == "42"
    assert fmt.plain_outside_code("/a_b.duckdb: run `python -m core build` again") == (
        r"\/a\_b\.duckdb\: run `python -m core build` again"
    )


# Amounts around zero: those that show as zero where they are rounded, and those that do not.
SMALL = (1e-9, 0.001, 0.004, 0.0049, 0.04, 0.049, 0.05, 0.3, 0.4999, 0.5, 0.51, 0.9, 1.0, 1.5)
AMOUNTS = (*SMALL, 99.5, 9_999.4, 9_999.5, 12_345.0, 680_900.0, 234_567_890.0)
CURRENCIES = ("GBP", "CNY", "JPY", "BRL", "CHF", None)


def _money_writers():
    """Every way an amount is written: name -> function of the amount."""
    writers = {}
    for lang in ("en", "zh"):
        for code in CURRENCIES:
            writers[f"money {lang} {code}"] = partial(fmt.money, lang=lang, currency=code)
            writers[f"money_cell {lang} {code}"] = partial(fmt.money_cell, lang=lang, currency=code)
            for digits in (0, 1, 2):
                writers[f"exact {digits} {lang} {code}"] = partial(
                    fmt.money, lang=lang, currency=code, exact=True, digits=digits
                )
        writers[f"count {lang}"] = partial(fmt.count, lang=lang)
    for code in CURRENCIES:
        writers[f"money_texts {code}"] = lambda v, code=code: fmt.money_texts([v], code)[0]
    writers["cell"] = fmt.cell
    writers["cell small"] = lambda v: fmt.cell(v / 1e4)  # four decimals: 0.00001 is "0"
    for digits in (0, 1, 2):
        writers[f"percent {digits}"] = lambda v, digits=digits: fmt.percent(v / 100, digits)
    return writers


def _shows_zero(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return bool(digits) and not digits.strip("0")


def test_a_negative_that_shows_as_zero_has_no_sign():
    """-0.3 written to the unit is '£0' like 0.3, never '-£0' (nor '-¥0', '-0', '-0.0%'); a
    negative that shows a digit is its positive with '-' in front, before the symbol."""
    checked = 0
    for name, write in _money_writers().items():
        for amount in AMOUNTS:
            positive, negative = write(amount), write(-amount)
            if _shows_zero(positive):
                assert negative == positive, (name, amount, negative)
                checked += 1
            else:
                assert negative == f"-{positive}", (name, amount, negative)
    assert checked > 100  # the grid does reach amounts that round to zero
    assert fmt.money(-0.3, "en", "GBP") == "£0"
    assert fmt.money(-0.3, "zh", "CNY") == "¥0"
    assert fmt.money(-0.6, "en", "GBP") == "-£1"
    assert fmt.percent(-0.0004) == "0.0%"
    assert fmt.count(-0.3, "en") == "0"
    assert fmt.cell(-0.00001) == "0" and fmt.cell(-0.0) == "0"


def test_a_change_that_shows_as_zero_is_plus_zero():
    """Changes and point changes keep their sign ('+' up, '-' down), and one too small to
    show is written as an exact zero is: '+0.0%' / '+0.0', never '-0.0%'."""
    for step in (1e-9, 1e-5, 0.0003, 0.0004, 0.002, 0.3):
        up, down = fmt.change(1 + step, 1), fmt.change(1 - step, 1)
        points_up, points_down = (
            fmt.point_change(0.5 + step, 0.5),
            fmt.point_change(0.5 - step, 0.5),
        )
        for rise, fall in ((up, down), (points_up, points_down)):
            assert rise.startswith("+")
            if _shows_zero(rise):
                assert fall == rise, (step, fall)
            else:
                assert fall == "-" + rise[1:], (step, fall)
    assert fmt.change(1, 1) == fmt.change(0.9999999, 1) == "+0.0%"
    assert fmt.point_change(0.3, 0.3) == fmt.point_change(0.3 - 1e-6, 0.3) == "+0.0"
    assert fmt.change(-110, -100) == "-10.0%"
