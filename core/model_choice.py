"""Which purchase model to use: every model of `core.purchase_models` fitted on the same
calibration period and judged on the same holdout, with the figures issue 18 names.

    choice = compare_models(con, dt.date(1997, 9, 30), holdout_days=273)
    choice.table      # one row per model
    choice.best       # the winner's name, e.g. "pareto_nbd"; choice.reason says why

The figures, per model, on the customers who had bought by the end of the calibration
period (what `core.clv.backtest` counts):
- `total_error_pct`: predicted minus actual holdout purchase days, in percent of actual;
- `mae` against `mae_zero`: mean absolute error per customer, and the same for predicting
  zero for everyone (a model that does not beat it has learnt nothing per customer);
- `decile_error_pct`: customers ranked by predicted purchases into ten equal groups; the sum
  over groups of |predicted - actual| purchases, in percent of the actual total (0 when every
  group's total is right);
- `top10_capture_pct`: the share of holdout revenue bought by the 10% of customers with the
  highest predicted value (expected purchases x Gamma-Gamma expected spend), beside
  `top10_capture_perfect_pct`, the share the 10% who actually spent most hold.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from core import db, settings, sql
from core.clv import (
    ModelFitError,
    Reason,
    _unit_days,
    btyd_summary,
    data_readiness,
    fit_gamma_gamma,
    history_days,
    holdout_choices,
    representative_sample,
)
from core.learnt_model import learnt_purchases
from core.purchase_models import PURCHASE_MODELS, fit_purchase_model

DECILES = 10
TOP_SHARE = 0.10
CRITERIA = ("total_error_pct", "mae", "top10_capture_pct")  # what the choice ranks by
AUTOMATIC = settings.AUTOMATIC_MODEL  # the purchase-model setting that lets the backtest choose
STANDARD_HOLDOUT_DAYS = 90  # the build judges on Model health's standard holdout
# The build compares the models on at most this many customers drawn at random (seeded):
# the figures are means and shares over customers, which 100,000 estimate to a small part
# of the models' differences. Measured on the 1M bench (726,612 customers before its 90-day
# holdout): 2.8 CPU s with the sample, most of it reading the holdout, against 5.2 for all;
# the same winner (Pareto/NBD) and biases within 0.2 points.
COMPARED_CUSTOMERS = 100_000


@dataclass(frozen=True, eq=False)
class ModelComparison:
    """Every model judged on one holdout.

    - `table`: one row per model fitted: `model, log_likelihood, predicted, actual,
      total_error_pct, mae, mae_zero, decile_error_pct, top10_capture_pct,
      top10_capture_perfect_pct`;
    - `deciles`: `model, decile` (1 = the highest predicted), `customers`, `predicted` and
      `actual` purchases of the group;
    - `customers`: `customer_id, frequency, recency, T, actual, actual_spend` and a
      `predicted_<model>` column per model;
    - `refused`: the models that could not be fitted, with the reason;
    - `best` and `reason`: the chosen model and why (`choose`).
    """

    calibration_end: dt.date
    holdout_days: int
    table: pd.DataFrame
    deciles: pd.DataFrame
    customers: pd.DataFrame
    refused: dict[str, str]
    best: str
    reason: str
    why: Reason | None = None  # `reason` as a code and its figures, for the page's words


def compare_models(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    holdout_days: int,
    unit: str = "weeks",
    models: tuple[str, ...] = tuple(PURCHASE_MODELS),
    learnt: bool = True,
    sample: int | None = None,
) -> ModelComparison:
    """Fit each of `models` on the transactions up to `as_of`, predict each customer's
    purchase days in the `holdout_days` after it and compare with what happened.

    With `learnt`, the learnt forecaster (`core.learnt_model`, trained on a split before
    `as_of`) is judged beside them as "learnt" (no likelihood); when the history is too short
    for its earlier split it is listed in `refused` with the reason.

    Raises ValueError when the data end before the holdout does, NotReady when the
    calibration data are too thin (`core.clv.data_readiness`), ModelFitError when no model
    (or the spend model) can be fitted; a model that alone fails is listed in `refused`.
    """
    customers = _holdout(con, as_of, holdout_days, unit)
    if sample is not None:  # at most `sample` customers drawn at random (seeded)
        customers = representative_sample(customers, sample)
    x, t_x, T, m_x = (
        customers[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary")
    )
    spend = np.asarray(fit_gamma_gamma(customers).expected_spend(x, m_x), dtype=float)
    t = holdout_days / _unit_days(unit)
    rows, deciles, refused, judged = [], [], {}, []
    actual, revenue = customers["actual"].to_numpy(float), customers["actual_spend"].to_numpy()
    for name in models:
        try:
            model = fit_purchase_model(name, customers)
        except ModelFitError as error:
            refused[name] = str(error)
            continue
        predicted = np.asarray(model.expected_purchases(t, x, t_x, T), dtype=float)
        judged.append((name, model.log_likelihood, predicted))
    if learnt:
        try:
            predicted = learnt_purchases(con, as_of, holdout_days, customers["customer_id"])
        except ModelFitError as error:
            refused["learnt"] = str(error)
        else:
            judged.append(("learnt", float("nan"), predicted))
    for name, log_likelihood, predicted in judged:
        customers[f"predicted_{name}"] = predicted
        groups = decile_table(predicted, actual).assign(model=name)
        deciles.append(groups)
        rows.append(
            {
                "model": name,
                "log_likelihood": log_likelihood,
                "predicted": predicted.sum(),
                "actual": actual.sum(),
                "total_error_pct": _pct(predicted.sum() - actual.sum(), actual.sum()),
                "mae": float(np.abs(predicted - actual).mean()),
                "mae_zero": float(np.abs(actual).mean()),
                "decile_error_pct": _pct(
                    np.abs(groups["predicted"] - groups["actual"]).sum(), actual.sum()
                ),
                "top10_capture_pct": top_capture(predicted * spend, revenue),
                "top10_capture_perfect_pct": top_capture(revenue, revenue),
            }
        )
    if not rows:
        raise ModelFitError(
            "no purchase model could be fitted: " + "; ".join(refused.values()), "fit_failed"
        )
    table = pd.DataFrame(rows)
    best, reason = choose(table)
    columns = ["model", "decile", "customers", "predicted", "actual"]
    return ModelComparison(
        as_of,
        holdout_days,
        table,
        pd.concat(deciles)[columns],
        customers,
        refused,
        best,
        reason,
        why_best(table, best),
    )


def _holdout(con, as_of: dt.date, holdout_days: int, unit: str) -> pd.DataFrame:
    """The calibration summary with each customer's holdout purchase days (`actual`) and
    spend (`actual_spend`), as `core.clv.backtest` counts them."""
    if holdout_days < 1:
        raise ValueError(f"holdout_days must be at least 1; got {holdout_days}")
    holdout_end = as_of + dt.timedelta(days=holdout_days)
    span = db.day_span(con, "transactions")
    if span is None:
        raise ValueError("there are no transactions, so no model can be judged on a holdout")
    if span[1] < holdout_end:
        raise ValueError(
            f"the holdout runs to {holdout_end} but the transactions end on {span[1]}: "
            "choose an earlier as_of or a shorter holdout"
        )
    summary = btyd_summary(con, as_of, unit)
    data_readiness(summary).require()
    days = con.execute(
        sql.load("purchase_days_after", con), {"after": as_of, "as_of": holdout_end}
    ).df()
    by_customer = days.groupby("customer_id").agg(
        actual=("purchased_on", "size"), actual_spend=("spend", "sum")
    )
    position = pd.Index(by_customer.index).get_indexer(summary["customer_id"])
    found = position >= 0
    for column in ("actual", "actual_spend"):
        values = np.zeros(len(summary))
        values[found] = by_customer[column].to_numpy(float)[position[found]]
        summary[column] = values
    summary["actual"] = summary["actual"].astype("int64")
    return summary


def _pct(part: float, whole: float) -> float:
    return float(part / whole * 100) if whole else float("nan")


def decile_table(predicted: np.ndarray, actual: np.ndarray) -> pd.DataFrame:
    """Customers ranked by `predicted` (highest first, ties in their given order) into
    DECILES groups of equal size (the first groups one larger when the count does not
    divide): `decile, customers, predicted, actual`, the last two summed per group."""
    order = np.argsort(-predicted, kind="stable")
    size, extra = divmod(len(order), DECILES)
    group = np.empty(len(order), dtype=np.int64)
    group[order] = np.repeat(np.arange(DECILES), size + (np.arange(DECILES) < extra))
    frame = pd.DataFrame({"decile": group + 1, "predicted": predicted, "actual": actual})
    return frame.groupby("decile", as_index=False).agg(
        customers=("predicted", "size"), predicted=("predicted", "sum"), actual=("actual", "sum")
    )


def top_capture(score: np.ndarray, revenue: np.ndarray, share: float = TOP_SHARE) -> float:
    """The percentage of `revenue` held by the `share` of customers with the highest
    `score` (the count rounded down, at least one: 235 of CDNOW's 2,357; ties in their
    given order)."""
    total = revenue.sum()
    if not len(score) or total <= 0:
        return float("nan")
    top = np.argsort(-score, kind="stable")[: max(int(share * len(score)), 1)]
    return float(revenue[top].sum() / total * 100)


def choose(table: pd.DataFrame) -> tuple[str, str]:
    """The model with the best mean rank over CRITERIA (smallest |total error|, smallest
    MAE, largest top-10% capture), ties to the smaller MAE; and why, in a sentence with the
    figures, and a warning when even the winner's MAE does not beat predicting zero (a
    marketplace of one-off buyers). No single figure decides: MAE hardly separates models
    (predicting zero comes close), the total can be right by luck, and the ranking is what
    a campaign uses."""
    ranks = pd.DataFrame(
        {
            "total_error_pct": table["total_error_pct"].abs().rank(method="min"),
            "mae": table["mae"].rank(method="min"),
            "top10_capture_pct": (-table["top10_capture_pct"]).rank(method="min"),
        }
    )
    order = np.lexsort((table["mae"].to_numpy(), ranks.mean(axis=1).to_numpy()))
    best = str(table.iloc[order[0]]["model"])
    return best, why_best(table, best).message


def why_best(table: pd.DataFrame, name: str) -> Reason:
    """Why `choose` chose `name`, as a Reason: code "best_rank" (or "best_rank_not_zero"
    when its MAE does not beat predicting zero), the figures as values and `choose`'s
    English sentence; the pages word the code in their language."""
    best = table.set_index("model").loc[name]
    values = {
        "model": name,
        "total_error_pct": float(best["total_error_pct"]),
        "mae": float(best["mae"]),
        "mae_zero": float(best["mae_zero"]),
        "capture_pct": float(best["top10_capture_pct"]),
        "capture_perfect_pct": float(best["top10_capture_perfect_pct"]),
    }
    beats_zero = bool(best["mae"] < best["mae_zero"])
    message = (
        f"{name} has the best mean rank over the holdout's total error "
        f"({best['total_error_pct']:+.1f}%), per-customer MAE ({best['mae']:.3f} against "
        f"{best['mae_zero']:.3f} for predicting zero) and the top 10% revenue capture "
        f"({best['top10_capture_pct']:.1f}%, {best['top10_capture_perfect_pct']:.1f}% at best)"
    )
    if not beats_zero:
        message += "; but no model predicts single customers better than predicting zero"
    return Reason("best_rank" if beats_zero else "best_rank_not_zero", values, message)


# --- the build's choice ------------------------------------------------------------------


def standard_holdout(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> int | None:
    """Model health's standard holdout ending on `as_of`: the longest the history allows
    (`core.clv.holdout_choices`) up to STANDARD_HOLDOUT_DAYS, or None when it allows none."""
    choices = holdout_choices(history_days(con, as_of))
    return max((d for d in choices if d <= STANDARD_HOLDOUT_DAYS), default=None)


@dataclass(frozen=True, eq=False)
class BuildChoice:
    """The purchase model the build uses: `model`, by `setting` (AUTOMATIC: the backtest's
    winner among PURCHASE_MODELS, BG/NBD when there is no backtest), with the `comparison`
    it ran (its `customers` left out when stored) or the `reason` there is none."""

    setting: str
    model: str
    comparison: ModelComparison | None = None
    reason: Reason | None = None

    def to_json(self) -> str:
        """What the build stores: the setting, the model, the comparison's table, deciles
        and why, or the reason there is no comparison."""
        found: dict = {"setting": self.setting, "model": self.model}
        found["reason"] = _reason_dict(self.reason)
        if (c := self.comparison) is not None:
            found["comparison"] = {
                "calibration_end": c.calibration_end.isoformat(),
                "holdout_days": c.holdout_days,
                "table": c.table.to_dict("records"),
                "deciles": c.deciles.to_dict("records"),
                "refused": c.refused,
                "best": c.best,
                "reason": c.reason,
                "why": _reason_dict(c.why),
            }
        return json.dumps(found, default=float)

    @classmethod
    def from_json(cls, text: str) -> BuildChoice:
        found = json.loads(text)
        comparison = None
        if (c := found.get("comparison")) is not None:
            comparison = ModelComparison(
                dt.date.fromisoformat(c["calibration_end"]),
                c["holdout_days"],
                pd.DataFrame(c["table"]),
                pd.DataFrame(c["deciles"]),
                pd.DataFrame(),
                c["refused"],
                c["best"],
                c["reason"],
                _reason_of(c["why"]),
            )
        return cls(found["setting"], found["model"], comparison, _reason_of(found["reason"]))


def _reason_dict(reason: Reason | None) -> dict | None:
    if reason is None:
        return None
    return {"code": reason.code, "values": reason.values, "message": reason.message}


def _reason_of(found: dict | None) -> Reason | None:
    return None if found is None else Reason(found["code"], found["values"], found["message"])


def build_choice(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    setting: str = AUTOMATIC,
    sample: int = COMPARED_CUSTOMERS,
) -> BuildChoice:
    """The purchase model the build uses as of `as_of`: the one `setting` names, else the
    winner among PURCHASE_MODELS on the standard holdout ending on `as_of` (at most `sample`
    customers; the learnt forecaster is left out: it gives no P(alive) to build on), else
    BG/NBD with the reason there was no comparison. The comparison runs whichever the
    setting, so Model health shows how the user's choice did. Reads on `con` (inside the
    build's transaction)."""
    days = standard_holdout(con, as_of)
    comparison, reason = None, None
    if days is None:
        reason = Reason(
            "choice_no_holdout",
            {"days": history_days(con, as_of)},
            "the history is too short to hold out a period and compare the models on it",
        )
    else:
        try:
            comparison = compare_models(
                con, as_of - dt.timedelta(days=days), days, learnt=False, sample=sample
            )
        except ModelFitError as error:  # NotReady included: too thin before the holdout
            reason = error.reason
        except ValueError as error:  # the transactions end before the as-of date
            reason = Reason("fit_failed", {"detail": str(error)}, str(error))
    if setting != AUTOMATIC:
        model = setting
    else:
        model = comparison.best if comparison is not None else "bgnbd"
    return BuildChoice(setting, model, comparison, reason)
