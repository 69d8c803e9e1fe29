"""The Loyalty page's first screen: the verdict in one line, in both languages, with the
figures and the break-even uplift the core computes; the sensitivity chart marks both."""

import datetime as dt
import html
import json

import pytest

from core import db, loyalty
from ui import format as fmt
from ui import loyalty as lu
from ui.i18n import load_catalog

PAGE = "pages/loyalty.py"


def _core(path, at, simple=False):
    """The simulation and the sensitivity the page should show: the programme it ran (the
    preset as its form's whole percentages give it back), its runs and seed."""
    programme = at.session_state["loyalty_run"][1]
    con = db.connect(path)  # the app holds it read-write
    if simple:
        history = {"history": loyalty.simple_history(con)}
        result = loyalty.simulate_simple(con, programme, runs=lu.RUNS, seed=lu.SEED, **history)
    else:
        history = {"models": loyalty.loyalty_models(con)}
        result = loyalty.simulate_programme(con, programme, runs=lu.RUNS, seed=lu.SEED, **history)
    found = loyalty.uplift_sensitivity(con, programme, runs=lu.RUNS, seed=lu.SEED, **history)
    con.close()
    return result, found


def _open(app_on, path, lang, preset=None):
    at = app_on(path, lang=lang).switch_page(PAGE).run()
    if preset:
        at.button_group(key="loyalty_preset").set_value(preset).run()
    assert not at.exception
    return at


def _verdict(at) -> tuple[bool, str]:
    """(worth it, the text) of the verdict: a success or a warning box."""
    boxes = [(True, b.value) for b in at.success] + [(False, b.value) for b in at.warning]
    assert len(boxes) == 1, boxes
    return boxes[0]


def _sensitivity_figure(at, title: str) -> dict:
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return next(f for f in figures if f["layout"]["title"]["text"] == title)


def _points_only(at):
    at.button_group(key="loyalty_preset").set_value("points_only").run()


def _tiers_without_discounts_or_fixed_cost(at):
    """Points + tiers with its perks but no discounts and no fixed cost, through the form
    (AppTest words a segmented control's choice in English, so the Chinese case cannot
    switch the preset)."""
    for tier in ("high", "medium"):
        at.slider(key=f"loyalty_points_tiers_{tier}_discount").set_value(0)
    at.number_input(key="loyalty_points_tiers_fixed_cost").set_value(0)
    at.button[0].click().run()  # the form's submit button, the first button on the page


@pytest.mark.parametrize(
    "lang, programme, worth_it",
    [("en", _points_only, True), ("zh", _tiers_without_discounts_or_fixed_cost, False)],
)
def test_the_verdict_says_whether_and_where_it_breaks_even(
    app_on, demo_db, lang, programme, worth_it
):
    at = _open(app_on, demo_db, lang)
    programme(at)
    assert not at.exception
    result, found = _core(demo_db, at)
    # on the demo points alone pay with room to spare; tiers' perks need more than assumed
    assert found.outcome == "breaks_even" and (found.break_even < 1) == worth_it
    net = result.summary.set_index("measure").loc["net_impact", "mean"]
    worth, text = _verdict(at)
    catalog = load_catalog(lang)
    money = fmt.money(net, lang, "CNY")
    assert worth == (net > 0) == worth_it
    # the verdict's figures are the core's: the net impact (the tile's too), the horizon,
    # and the break-even share
    assert money in text and ("+" + money in text) == worth
    assert fmt.percent(found.break_even, 0) in text
    assert {m.label: m.value for m in at.metric}[catalog["loyalty.m_net_impact"]] == money
    clause = catalog["loyalty.verdict_breaks_even"].format(share=fmt.percent(found.break_even, 0))
    head = catalog["loyalty.verdict_worth" if worth else "loyalty.verdict_not_worth"]
    assert text == head.format(net=("+" if worth else "") + money, months=12, clause=clause)
    # the chart marks the same break-even and the simulated mean at the assumed uplift
    title = catalog["loyalty.sens_title"].format(months=12)
    figure = _sensitivity_figure(at, title)
    names = {trace["name"]: trace for trace in figure["data"]}
    even = names[catalog["loyalty.sens_break_even"]]
    assert even["x"] == [pytest.approx(found.break_even * 100)]
    assumed = names[catalog["loyalty.sens_assumed"]]
    assert assumed["x"] == [100] and assumed["customdata"][0][0] == fmt.money_texts([net], "CNY")[0]


def test_the_verdict_comes_before_the_inputs(app_on, demo_db):
    at = _open(app_on, demo_db, "en")
    blocks = {"main", "flex_container", "column", "form", "expandable"}
    order = [node.type for node in at.main if getattr(node, "type", None) not in blocks]
    worth, text = _verdict(at)
    # the title, then the verdict, its figures, and the programme's inputs only after them
    assert order[:2] == ["title", "success" if worth else "warning"]
    first_input = min(order.index(kind) for kind in ("slider", "number_input"))
    assert order.index("metric") < order.index("plotly_chart") < first_input
    # the default programme does not pay on the demo, even at twice its uplifts: said so
    result, found = _core(demo_db, at)
    assert found.outcome == "never" and not worth
    assert text.endswith("it does not break even at any uplift up to 200% of them.")
    # the verdict is repeated under the form, beside the knobs that made it
    assert any(c.value == f"Result of the programme in force: {text}" for c in at.caption)


def test_on_a_uk_shop_with_one_year_of_transactions(app_on, uk_shop_db):
    at = _open(app_on, uk_shop_db, "en", preset="points_only")
    result, found = _core(uk_shop_db, at)
    net = result.summary.set_index("measure").loc["net_impact", "mean"]
    _, text = _verdict(at)
    assert fmt.money(net, "en", "GBP") in text and "£" in text
    if found.break_even is not None:
        assert fmt.percent(found.break_even, 0) in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_in_simple_mode_on_a_marketplace(app_on, market_db, lang):
    at = _open(app_on, market_db, lang, preset="points_only")
    result, found = _core(market_db, at, simple=True)
    net = result.summary.set_index("measure").loc["net_impact", "mean"]
    _, text = _verdict(at)
    assert fmt.money(net, lang, "BRL") in text
    clause = load_catalog(lang)[f"loyalty.verdict_{found.outcome}"]
    assert clause.split("{")[0] in text


def test_the_one_page_summary_leads_with_the_same_verdict(demo_db):
    con = db.connect(demo_db, read_only=True)
    programme = loyalty.PRESETS["points_only"]
    models = {"models": loyalty.loyalty_models(con)}
    result, found = loyalty.simulate_with_sensitivity(con, programme, runs=20, seed=0, **models)
    con.close()
    tiles = lu.headline(result, programme, "en", "CNY")
    doc = lu.summary_document(result, programme, tiles, dt.date(2026, 11, 20), "en", "CNY", found)
    _, text = lu.verdict(result, found, programme, "en", "CNY")
    lead = html.escape(text.replace("**", ""))
    assert f"<p class=lead>{lead}</p>" in doc and lead.startswith("Worth it: +¥")
    assert html.escape(lu.verdict_detail(found)) in doc


def test_the_verdict_of_a_programme_that_loses_more_the_more_members_buy(demo_db):
    # points worth 20% of spend at a 15% margin, with referrals that pay at no uplift
    con = db.connect(demo_db, read_only=True)
    models = {"models": loyalty.loyalty_models(con)}
    lossy = loyalty.PRESETS["points_only"].replace(
        earn_rate=1.0, point_value=0.2, redemption_rate=1.0, gross_margin=0.15
    )
    net, _ = loyalty.expected_net_impact(con, lossy, runs=20, seed=0, **models)
    referred, _ = loyalty.expected_net_impact(
        con, lossy.replace(referrals_per_member=1.0), runs=20, seed=0, **models
    )
    gain, fall = referred(0.0) - net(0.0), net(0.0) - net(1.0)
    assert gain > 0 and fall > 0  # a referral adds the same at every share
    # as far above zero at no uplift as below it at the assumed uplifts
    programme = lossy.replace(referrals_per_member=(fall / 2 - net(0.0)) / gain)
    result, found = loyalty.simulate_with_sensitivity(con, programme, runs=20, seed=0, **models)
    con.close()
    curve = found.curve["net_impact"]
    assert curve.iloc[0] > 0 > curve.iloc[-1]  # falls through zero within the range
    _, text = lu.verdict(result, found, programme, "en", "CNY")
    catalog = load_catalog("en")
    assert found.outcome == "pays_below" and "any uplift pays" not in text
    clause = catalog["loyalty.verdict_pays_below"].format(share=fmt.percent(found.break_even, 0))
    assert clause in text
    # the same programme with no uplift at all: its referrals, not members, can gain
    none = programme.replace(**{t: loyalty.TierTerms() for t in loyalty.TIERS})
    found = loyalty.UpliftSensitivity(found.curve, "no_uplift", None, (0.0, 0.0), None)
    _, text = lu.verdict(result, found, none, "en", "CNY")
    assert catalog["loyalty.verdict_no_uplift_referrals"] in text
    assert catalog["loyalty.verdict_no_uplift"] not in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_presentation_mode_shows_what_the_verdict_rests_on_not_the_hidden_form(
    app_on, demo_db, lang
):
    at = _open(app_on, demo_db, lang)
    at.toggle(key="sidebar_present").set_value(True).run()
    assert not at.exception
    catalog = load_catalog(lang)
    result, found = _core(demo_db, at)
    programme = at.session_state["loyalty_run"][1]
    subheaders = [h.value for h in at.subheader]
    captions = [c.value for c in at.caption]
    # the form is hidden there: nothing that speaks of it or of changing it
    assert catalog["loyalty.inputs_title"] not in subheaders
    assert catalog["loyalty.inputs_caption"] not in captions
    echo = catalog["loyalty.result_echo"].split("{")[0]
    assert not any(c.startswith(echo) for c in captions)
    # one caption under the verdict says what it rests on: uplifts, margin, cost
    cost = result.summary.set_index("measure").loc["programme_cost", "mean"]
    [rests] = [
        c
        for c in captions
        if c.startswith(catalog["loyalty.presentation_assumptions"].split("{")[0])
    ]
    assert fmt.money(cost, lang, "CNY") in rests
    assert fmt.percent(programme.gross_margin, 0) in rests
    assert fmt.percent(found.assumed[0]) in rests
    # the verdict stays first
    worth, _ = _verdict(at)
    assert at.success if worth else at.warning
    # off again: the inputs' heading is back
    at.toggle(key="sidebar_present").set_value(False).run()
    assert catalog["loyalty.inputs_title"] in [h.value for h in at.subheader]
