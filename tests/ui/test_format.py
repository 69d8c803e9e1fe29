from ui import format as fmt


def test_counts():
    assert fmt.count(20_000, "en") == "20,000"
    assert fmt.count(1_234_567, "en") == "1.2M"
    assert fmt.count(1_234_567, "zh") == "123.5万"
    assert fmt.count(None, "en") == "–"


def test_money():
    assert fmt.money(12_345_678, "en") == "¥12.3M"
    assert fmt.money(12_345_678, "zh") == "¥1,234.6万"
    assert fmt.money(234_567_890, "zh") == "¥2.35亿"
    assert fmt.money(345.6, "en", exact=True) == "¥346"
    assert fmt.money(-5_000, "en") == "-¥5,000"
    assert fmt.money(273_188, "en") == "¥273.2K"
    assert fmt.money(12_345, "en") == "¥12.3K"
    assert fmt.money(float("nan"), "zh") == "–"


def test_changes():
    assert fmt.percent(0.3456) == "34.6%"
    assert fmt.change(110, 100) == "+10.0%"
    assert fmt.change(90, 100) == "-10.0%"
    assert fmt.change(5, 0) is None
    assert fmt.point_change(0.35, 0.30) == "+5.0"
    assert fmt.point_change(None, 0.3) is None
    assert fmt.money_axis_scale("zh") == 1e4 and fmt.money_axis_scale("en") == 1
