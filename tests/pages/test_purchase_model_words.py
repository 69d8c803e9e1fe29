"""The words about P(active) and the fitted parameters name the purchase model the build
uses (Pareto/NBD on the demo), not always BG/NBD: the Value page, Churn risk and Customer
360, in both languages and on the UK shop."""

import pytest

from core import db, value

NAMES = {"bgnbd": "BG/NBD", "pareto_nbd": "Pareto/NBD", "mbgnbd": "MBG/NBD"}
P_ACTIVE = {
    "en": "**P(active)** is the chance, from the purchase model ({model}),",
    "zh": "**活跃概率**是购买模型（{model}）估计的",
}
PARAMETERS = {
    "en": "{model}: purchase rate gamma(r, alpha)",
    "zh": "{model}：购买率服从 gamma(r, alpha)",
}
P_ALIVE_HELP = {"en": "still an active buyer ({model}).", "zh": "客户模型（{model}）估计"}
SHOPS = [("demo_db", "en"), ("demo_db", "zh"), ("uk_shop_db", "en")]


def _model_and_customer(path) -> tuple[str, str]:
    con = db.connect(path)
    model = NAMES[value.purchase_model_in_use(con)]
    customer = con.execute(
        "select customer_id from customer_features where p_alive is not null "
        "order by customer_id limit 1"
    ).fetchall()[0][0]
    con.close()
    return model, customer


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


@pytest.mark.parametrize(("shop_db", "lang"), SHOPS)
def test_value_and_churn_name_the_model_in_use(app_on, request, shop_db, lang):
    path = request.getfixturevalue(shop_db)
    model, _ = _model_and_customer(path)
    at = app_on(path, lang=lang).switch_page("pages/value.py").run()
    assert not at.exception
    captions = _captions(at)
    assert any(P_ACTIVE[lang].format(model=model) in c for c in captions), captions
    assert any(PARAMETERS[lang].format(model=model) in c for c in captions), captions
    at.switch_page("pages/churn.py").run()
    assert not at.exception
    captions = _captions(at)
    assert any(P_ACTIVE[lang].format(model=model) in c for c in captions), captions


@pytest.mark.parametrize(("shop_db", "lang"), SHOPS)
def test_customer_360_p_alive_help_names_the_model_in_use(app_on, request, shop_db, lang):
    path = request.getfixturevalue(shop_db)
    model, customer = _model_and_customer(path)
    at = app_on(path, lang=lang)
    at.query_params["customer"] = customer
    at.switch_page("pages/customer.py").run()
    assert not at.exception
    helps = [m.proto.help for m in at.metric]
    assert any(P_ALIVE_HELP[lang].format(model=model) in h for h in helps), helps
