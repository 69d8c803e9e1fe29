"""Cached access to customer value for pages/value.py, and its labels.

The models come from `ui.models` (fitted once per as-of date and data version, shared with
the Churn risk page); what this page shows is small and cached as data. A model that cannot
run comes back as a `Reason`, cached like a result, so a thin database is not refitted on
every rerun.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import clv, model_choice, value
from core import filters as core_filters
from core import settings as business_settings
from core.build import build
from core.clv import Backtest, ModelFitError, Reason
from core.filters import NO_FILTERS, Filters
from core.purchase_models import model_name
from core.value import ValueModels, ValueSettings
from ui import charts, data, drill, filters
from ui import format as fmt
from ui.export import About, Column, columns, columns_from_formats, list_about
from ui.i18n import t
from ui.labels import label, star_name
from ui.models import customer_values, customers_text, defaults, models, reason_text
from ui.widgets import COUNT, DATE, MONEY, PERCENT, column_config, share_table

HORIZONS = (3, 6, 12, 24, 36)  # months of predicted value
HOLDOUTS = clv.HOLDOUT_CHOICES  # days of the model-health check, as the history allows
TOP_CUSTOMERS = 20
# the options of the purchase-model control
PURCHASE_MODEL_CHOICES = business_settings.PURCHASE_MODEL_CHOICES


@st.cache_data(max_entries=16, show_spinner=False)
def totals(
    as_of: dt.date, settings: ValueSettings, chosen: Filters, version: int
) -> value.ValueTotals:
    """The totals over the chosen customers; their intervals are as wide, relative to the
    total, as the whole base's (the models' uncertainty is the whole base's)."""
    customers = value_list(as_of, settings, version, chosen)
    sample = sample_totals(as_of, settings.horizon_months, settings.discount_rate_annual, version)
    return value.priced_totals(customers, sample, settings)


@st.cache_resource(max_entries=8, show_spinner=False)
def sample_totals(
    as_of: dt.date, horizon_months: int, discount_rate_annual: float, version: int
) -> value.SampleTotals:
    """The totals' intervals on their sample (margin 1): once per horizon and discount."""
    return value.sample_totals(models(as_of, version), horizon_months, discount_rate_annual)


@st.cache_data(max_entries=16, show_spinner=False)
def groupings(as_of: dt.date, settings: ValueSettings, version: int) -> list[str]:
    return value.groupings(value_list(as_of, settings, version))


@st.cache_data(max_entries=32, show_spinner=False)
def by_group(
    as_of: dt.date, settings: ValueSettings, by: str, chosen: Filters, version: int
) -> pd.DataFrame:
    """CLV per group of the chosen customers: star tiers from 5 down, other groupings most
    valuable first."""
    groups = value.clv_by_group(value_list(as_of, settings, version, chosen), by)
    if by == "stars":
        groups = groups.sort_values("group", ascending=False, key=_star_order, ignore_index=True)
    return groups


@st.cache_data(max_entries=16, show_spinner=False)
def distribution(
    as_of: dt.date, settings: ValueSettings, chosen: Filters, version: int
) -> pd.DataFrame:
    return value.distribution(value_list(as_of, settings, version, chosen), "predicted_clv")


@st.cache_data(max_entries=16, show_spinner=False)
def top_customers(
    as_of: dt.date, settings: ValueSettings, chosen: Filters, version: int
) -> pd.DataFrame:
    return value.top_customers(
        value_list(as_of, settings, version, chosen),
        models(as_of, version),
        settings,
        TOP_CUSTOMERS,
    )


def health_on_request(as_of: dt.date, holdout_days: int, version: int) -> str:
    """What the model-health check does, said before it runs: it refits and predicts for
    every customer (seconds at a million), so the page runs it when the user asks."""
    return t(
        "value.health_on_request",
        start=as_of - dt.timedelta(days=holdout_days),
        days=holdout_days,
        customers=customers_text(version),
    )


def backtest(as_of: dt.date, holdout_days: int, version: int) -> Backtest | Reason:
    """The model-health check whose holdout ends on `as_of`, saying so while it runs."""
    words = t(
        "models.progress_backtest",
        start=as_of - dt.timedelta(days=holdout_days),
        days=holdout_days,
        customers=customers_text(version),
    )
    with st.spinner(words):
        return _backtest(as_of, holdout_days, version)


@st.cache_resource(max_entries=4, show_spinner=False)
def _backtest(as_of: dt.date, holdout_days: int, version: int) -> Backtest | Reason:
    calibration_end = as_of - dt.timedelta(days=holdout_days)
    try:
        return clv.backtest(data.cursor(), calibration_end, holdout_days)
    except ModelFitError as error:
        return error.reason
    except ValueError as error:  # e.g. the data end before the holdout does
        return Reason("fit_failed", {"detail": str(error)}, str(error))


def health_range(check: Backtest, lang: str) -> str | None:
    """The model-health range of predicted purchases, 'between A and B' (None without one)."""
    if (interval := check.predicted_interval) is None:
        return None
    low, high = fmt.count(interval["p5"], lang), fmt.count(interval["p95"], lang)
    return t("value.between", low=low, high=high)


def health_range_text(check: Backtest, lang: str) -> str:
    """What the model-health range holds (`clv.purchases_prediction_interval`), and whether
    the actual total fell inside it, below or above, in words; without a range (the fit has
    no covariance), why there is none."""
    interval, actual = check.predicted_interval, check.actual_total
    if interval is None:
        return t("value.health_no_range")
    customers, sample = len(check.customers), clv.SIMULATED_CUSTOMERS
    simulated = t(
        "value.health_range_all" if customers <= sample else "value.health_range_sample",
        draws=fmt.count(clv.PREDICTION_DRAWS, lang),
        sample=fmt.count(sample, lang),
        customers=fmt.count(customers, lang),
    )
    where = "below" if actual < interval["p5"] else "above" if actual > interval["p95"] else ""
    verdict = t(f"value.health_range_{where or 'inside'}", actual=fmt.count(actual, lang))
    return t("value.health_range_note", simulated=simulated, verdict=verdict)


def health_seasons_text(check: Backtest, lang: str) -> str:
    """Whether the model-health forecast follows the shop's seasons, in words: the busiest
    and quietest months of the learnt index and the flat forecast beside the seasonal one;
    or why there are no seasons (too little history before the holdout)."""
    index = check.seasonal_index
    if index is None:
        return t("value.seasonality_note")
    if not check.is_seasonal:
        return t(
            "value.health_seasons_unlearnt",
            months=fmt.count(index.months_used, lang),
            needed=fmt.count(index.months_needed, lang),
        )
    names = t("value.health_seasons_months").split(",")
    factors = index.factors
    high, low = int(factors.argmax()), int(factors.argmin())
    return t(
        "value.health_seasons_learnt",
        high=names[high],
        high_index=f"{factors[high]:.2f}",
        low=names[low],
        low_index=f"{factors[low]:.2f}",
        flat=fmt.count(check.predicted_flat_total, lang),
        flat_error=f"{check.flat_error_pct:+.1f}%",
    )


@st.cache_data(max_entries=16, show_spinner=False)
def formula_totals(as_of: dt.date, chosen: Filters, version: int) -> value.FormulaTotals:
    """Buyers, orders, average order value and formula CLV at the data's defaults, of the
    chosen customers."""
    settings = defaults(as_of, version).settings()
    ids = filters.ids(chosen, as_of, version)
    return value.formula_totals(data.cursor(), as_of, settings, ids)


@st.cache_data(max_entries=16, show_spinner=False)
def holdouts(as_of: dt.date, version: int) -> tuple[tuple[int, ...], int]:
    """(the holdouts the history up to `as_of` allows, its length in days)."""
    days = clv.history_days(data.cursor(), as_of)
    return clv.holdout_choices(days), days


# --- labels ----------------------------------------------------------------------------


def group_label(by: str, key) -> str:
    """A group of `by` (stars, segment, acquisition_channel) in the current language;
    `unknown` is the group of customers without a value."""
    if key == "unknown":
        key = None
    if by == "acquisition_channel":
        return label("channel", key)
    if by == "segment":
        return label("segment", key)
    if by == "stars":
        return star_name(key)
    return str(key)


SHARES = ("p_alive",)  # shown times 100
GROUP_FORMATS = {
    "group": None,
    "customers": COUNT,
    "predicted_clv_total": MONEY,
    "predicted_clv": MONEY,
    "formula_clv": MONEY,
    "aov": MONEY,
    "purchases_per_year": "%.2f",
    "acquisition_cost": MONEY,
    "p_alive": PERCENT,
}
TOP_FORMATS = {
    "customer_id": None,
    "city": None,
    "acquisition_channel": None,
    "last_purchase_on": DATE,
    "count_orders": COUNT,
    "p_alive": PERCENT,
    "predicted_clv": MONEY,
    "clv_p5": MONEY,
    "clv_p95": MONEY,
    "formula_clv": MONEY,
}


def group_table(
    groups: pd.DataFrame, by: str, currency: str | None, cost_known: bool = True
) -> tuple[pd.DataFrame, dict]:
    """The by-group table with labels, and its column config. Without acquisition costs
    (`cost_known` False) that column is unknown, left empty rather than shown as 0."""
    if not cost_known:
        groups = groups.assign(acquisition_cost=float("nan"))
    frame = share_table(groups, GROUP_FORMATS, SHARES)
    frame["group"] = [group_label(by, g) for g in groups["group"]]
    config = column_config(GROUP_FORMATS, "value.gcol_", currency)
    config["group"] = st.column_config.TextColumn(t(f"value.by_{by}"))
    return frame, _glossary_help(config)


def _star_order(keys: pd.Series) -> pd.Series:
    return pd.to_numeric(keys, errors="coerce").fillna(-1)


def top_table(top: pd.DataFrame, currency: str | None) -> tuple[pd.DataFrame, dict]:
    """The top customers with labels, and the column config."""
    config = _glossary_help(column_config(TOP_FORMATS, "value.col_", currency))
    return share_table(top, TOP_FORMATS, SHARES), config


GLOSSARY = {"p_alive": "p_alive", "predicted_clv": "clv_predicted", "formula_clv": "clv_formula"}


def _glossary_help(config: dict) -> dict:
    """`config` with the glossary's explanation on hover over the columns it explains."""
    for name, term in GLOSSARY.items():
        if name in config:
            config[name]["help"] = t(f"glossary.{term}")
    return config


INTERVAL = ("clv_p5", "clv_p95")  # simulated for the top customers only
EXPORT_FORMATS = {name: f for name, f in TOP_FORMATS.items() if name not in INTERVAL}


def value_list(
    as_of: dt.date, settings: ValueSettings, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    """Every valued customer of the `chosen` ones (`ui.models.customer_values`, shared: not
    to be changed), each valued on the whole base's models."""
    values = customer_values(as_of, settings, version)
    if values is None:
        return pd.DataFrame(columns=list(EXPORT_FORMATS))
    return core_filters.keep(values, filters.ids(chosen, as_of, version))


def value_export(values: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    """Every valued customer for `ui.export.download_buttons`, highest predicted CLV first,
    with the top table's columns but the interval; sorted when the user clicks."""
    return lambda: values.sort_values("predicted_clv", ascending=False, kind="stable")[
        list(EXPORT_FORMATS)
    ]


def value_columns(currency: str | None) -> list[Column]:
    """The exported columns: the top table's (TOP_FORMATS) but the interval."""
    return columns_from_formats(EXPORT_FORMATS, "value.col_", currency)


def group_export(groups: pd.DataFrame, by: str, cost_known: bool) -> Callable[[], pd.DataFrame]:
    """The by-group table for `ui.export.download_buttons`: groups named now, shares as
    shares; without acquisition costs that column is left empty (`group_table`)."""
    named = groups.assign(group=[group_label(by, g) for g in groups["group"]])
    if not cost_known:
        named = named.assign(acquisition_cost=float("nan"))
    return lambda: named


def value_about(
    ctx,
    settings: ValueSettings,
    list_title: str | None = None,
    clicked: str | None = None,
    chosen: Filters = NO_FILTERS,
) -> About:
    """A value list's About sheet (by default, every valued customer's): its horizon, the
    value knobs, for a drill-down the bar `clicked` (in words), and the `chosen` filters."""
    choices = {t("value.drill_clicked"): clicked} if clicked is not None else {}
    return list_about(
        ctx,
        "value",
        list_title or t("export.value_list"),
        filters=filters.choices(chosen),
        horizon=t("value.months", months=settings.horizon_months),
        choices={
            **choices,
            t("value.discount"): f"{settings.discount_rate_annual:.0%}",
            t("value.margin"): f"{settings.margin:.0%}",
            t("value.years"): f"{settings.years_retained:g}",
        },
    )


def parameter_columns(table: pd.DataFrame) -> list[Column]:
    """The parameters table's exported columns, as shown (text: estimates to 4 figures)."""
    return columns({name: name for name in table.columns}, {}, None)


def parameters(fitted: ValueModels) -> pd.DataFrame:
    """The fitted parameters with their standard errors, for the curious."""
    rows = []
    for model, name in ((fitted.bgnbd, model_name(fitted.bgnbd)), (fitted.gg, "gamma_gamma")):
        try:
            errors = model.standard_errors
        except ModelFitError:
            errors = {}
        for parameter, estimate in model.params.items():
            rows.append(
                {
                    t("value.param_model"): t(f"value.model_{name}"),
                    t("value.param_name"): parameter,
                    t("value.param_estimate"): f"{estimate:.4g}",
                    t("value.param_se"): f"{errors[parameter]:.2g}" if errors else "–",
                }
            )
    return pd.DataFrame(rows)


# --- drill-downs: the customers behind a bar -------------------------------------------------

GROUP_CHART = "value_group_chart"  # the value by group; its clicked group kept as GROUP_PICK
BAND_CHART = "value_band_chart"  # the CLV distribution; its clicked band kept as BAND_PICK
PICKS = {GROUP_CHART: "value_drill_group", BAND_CHART: "value_drill_band"}
LIST_ROWS = 200  # rows of a drill-down list shown (the download has all)


def chart_key(chart: str) -> str:
    """The key of a clickable chart: a new one after each Close, which clears its selection."""
    return drill.chart_key(chart)


def close(chart: str) -> None:
    """Close `chart`'s list: forget its pick and clear its selection (a new key)."""
    drill.close(PICKS[chart], f"{chart}_closed")


def clicked(event, index: int):
    """Item `index` of the customdata of the first point selected in a plotly chart
    `event` (a dict as `st.plotly_chart(..., on_select="rerun")` returns it), or None when
    nothing is selected."""
    return drill.item(event, index)


def pick(chart: str, event, index: int, under):
    """What `chart` shows the list of: the group or band clicked now, else the one clicked
    before under the same `under` (kept in the session, so a way back from Customer 360
    finds it), else None. `under` is what gives the pick its meaning: the grouping of a
    group; the as-of date, value knobs and filters that draw a band's edges."""
    return drill.keep(PICKS[chart], clicked(event, index), under)


def group_list(
    as_of: dt.date, settings: ValueSettings, by: str, key: str, chosen: Filters, version: int
) -> pd.DataFrame:
    """The chosen customers of one bar of the value by group, highest predicted CLV first."""
    return value.group_customers(value_list(as_of, settings, version, chosen), by, str(key))


def band_list(
    as_of: dt.date, settings: ValueSettings, band: int, chosen: Filters, version: int
) -> pd.DataFrame:
    """The chosen customers of one bar of the CLV distribution, highest predicted CLV
    first."""
    hist = distribution(as_of, settings, chosen, version)
    values = value_list(as_of, settings, version, chosen)
    return value.band_customers(values, "predicted_clv", hist, band)


def file_part(key) -> str:
    """A group's key as a part of a file name: letters, digits, '-' and '_' only."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in str(key)) or "group"


def band_text(hist: pd.DataFrame, band: int, currency: str | None, lang: str) -> str:
    """A band of the distribution in words, in the shop's currency: 'from 100 to 200', the
    last 'from 900 up'."""
    low = fmt.money(hist["lower"].iloc[band], lang, currency, exact=True)
    if band == len(hist) - 1:
        return t("value.band_top", low=low)
    high = fmt.money(hist["upper"].iloc[band], lang, currency, exact=True)
    return t("value.band_between", low=low, high=high)


def drill_list(ctx, chart: str, rows: pd.DataFrame, heading: str, about: About, name: str) -> None:
    """The list behind a clicked bar: what was clicked and how many, a Close button, the
    first LIST_ROWS rows (a row opens Customer 360) and the whole list's download."""
    config = _glossary_help(column_config(EXPORT_FORMATS, "value.col_", ctx.currency))
    drill.customer_list(
        chart,
        heading,
        share_table(rows.head(LIST_ROWS), EXPORT_FORMATS, SHARES),
        len(rows),
        page="value",
        close_label=t("value.drill_close"),
        on_close=close,
        close_args=(chart,),
        table=dict(column_config=config),
        download=dict(
            make=lambda: rows[list(EXPORT_FORMATS)],
            columns=value_columns(ctx.currency),
            name=name,
            about=about,
        ),
        more=t("value.drill_more", rows=LIST_ROWS),
    )


# --- which purchase model: the build's comparison --------------------------------------------


@st.cache_data(max_entries=4, show_spinner=False)
def stored_choice(version: int) -> model_choice.BuildChoice | None:
    """The purchase model the last build used and its comparison (`value.stored_choice`)."""
    return value.stored_choice(data.cursor())


def model_label(name: str) -> str:
    """A purchase model's name (or "automatic") as the page writes it."""
    return t(f"model_choice.name_{name}")


def choice_text(made: model_choice.BuildChoice, lang: str) -> str:
    """Which model the build uses and why, in the current language, with the figures."""
    used = model_label(made.model)
    comparison = made.comparison
    if comparison is None:
        reason = made.reason
        if reason is not None and reason.code == "choice_no_holdout":
            why = t("model_choice.no_holdout", days=fmt.count(reason.values["days"], lang))
        else:
            why = reason_text(reason) if reason is not None else ""
        return t("model_choice.used_no_comparison", model=used, reason=why)
    if made.setting != model_choice.AUTOMATIC:
        return t("model_choice.used_set", model=used, best=model_label(comparison.best))
    return t("model_choice.used_auto", model=used, why=why_text(comparison.why, lang))


def why_text(why: Reason, lang: str) -> str:
    """`model_choice.why_best`'s reason in the current language."""
    v = why.values
    text = t(
        "model_choice.why_best_rank",
        model=model_label(v["model"]),
        error=f"{v['total_error_pct']:+.1f}%",
        mae=f"{v['mae']:.3f}",
        mae_zero=f"{v['mae_zero']:.3f}",
        capture=fmt.percent(v["capture_pct"] / 100),
        perfect=fmt.percent(v["capture_perfect_pct"] / 100),
    )
    return text + (t("model_choice.why_not_zero") if why.code == "best_rank_not_zero" else "")


def choice_caption(comparison: model_choice.ModelComparison, lang: str) -> str:
    """What the comparison was fitted on and judged against, and the models it refused."""
    customers = int(comparison.deciles.groupby("model")["customers"].sum().iloc[0])
    end = comparison.calibration_end + dt.timedelta(days=comparison.holdout_days)
    text = t(
        "model_choice.caption",
        start=comparison.calibration_end,
        end=end,
        days=comparison.holdout_days,
        customers=fmt.count(customers, lang),
    )
    if comparison.refused:
        names = ", ".join(model_label(name) for name in comparison.refused)
        text += " " + t("model_choice.refused", models=names)
    return text


def choice_table(made: model_choice.BuildChoice, lang: str) -> pd.DataFrame:
    """One row per model compared: its predicted and actual purchases, the bias of the
    total, MAE beside predicting none, the top 10%'s revenue capture, and which is used."""
    table = made.comparison.table
    return pd.DataFrame(
        {
            t("model_choice.col_model"): [model_label(m) for m in table["model"]],
            t("model_choice.col_predicted"): [fmt.count(v, lang) for v in table["predicted"]],
            t("model_choice.col_actual"): [fmt.count(v, lang) for v in table["actual"]],
            t("model_choice.col_bias"): [f"{v:+.1f}%" for v in table["total_error_pct"]],
            t("model_choice.col_mae"): [f"{v:.3f}" for v in table["mae"]],
            t("model_choice.col_mae_zero"): [f"{v:.3f}" for v in table["mae_zero"]],
            t("model_choice.col_capture"): [
                fmt.percent(v / 100) for v in table["top10_capture_pct"]
            ],
            t("model_choice.col_chosen"): [
                t("model_choice.chosen_mark") if m == made.model else "" for m in table["model"]
            ],
        }
    )


def decile_chart(made: model_choice.BuildChoice) -> go.Figure:
    """The used model's decile calibration: mean predicted and actual purchases per customer
    in each tenth of customers ranked by its prediction (`charts.backtest_by_frequency`)."""
    deciles = made.comparison.deciles
    rows = deciles[deciles["model"] == made.model]
    if rows.empty:  # the model set by the user could not be fitted on the holdout
        rows = deciles[deciles["model"] == made.comparison.best]
    shown = pd.DataFrame(
        {
            "frequency": rows["decile"].astype(str).to_numpy(),
            "customers": rows["customers"].to_numpy(),
            "predicted": (rows["predicted"] / rows["customers"]).to_numpy(),
            "actual": (rows["actual"] / rows["customers"]).to_numpy(),
        }
    )
    labels = {
        "frequency": t("model_choice.decile_axis"),
        "predicted": t("value.health_series_predicted"),
        "actual": t("value.health_series_actual"),
        "customers": t("value.axis_customers"),
        "axis": t("value.axis_mean_purchases"),
    }
    name = model_label(str(rows["model"].iloc[0]))
    return charts.backtest_by_frequency(shown, t("model_choice.deciles_title", model=name), labels)


def purchase_model_setting() -> str:
    """The purchase-model setting stored in the database ("automatic" or a model's name)."""
    return business_settings.get(data.cursor(), "purchase_model")


def use_purchase_model(setting: str) -> None:
    """Store the purchase-model setting and rebuild the derived tables with it, so every
    page follows it (the build raises the data version the caches key on)."""
    con = data.cursor()
    business_settings.put(con, "purchase_model", setting, bump=False)
    build(con)
