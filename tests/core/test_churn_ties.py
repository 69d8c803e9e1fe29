"""Two answers submitted at the same time (a survey file with dates only, two surveys on
one day): the latest is the one with the greater feedback_id, in churn_features.sql and in
ChurnHistory alike (a reviewer found the two keeping different answers)."""

import datetime as dt

import pandas as pd

from core import db
from core.build import build_staging
from core.churn import ChurnHistory, churn_features


def test_tied_answers_give_the_sqls_latest_csat(tmp_path):
    con = db.connect(tmp_path / "ties.duckdb")
    con.execute("insert into customers (customer_id, signed_up_at) values ('a', '2024-01-01')")
    lines = [
        {
            "transaction_id": f"t{i}",
            "customer_id": "a",
            "ordered_at": dt.datetime(2024, 2, 1 + i),
            "amount": 10.0,
        }
        for i in range(3)
    ]
    db.insert_frame(con, "transactions", pd.DataFrame(lines))
    day = dt.datetime(2024, 2, 10)  # both answers dated, not timed
    answers = [
        {
            "feedback_id": "f1",
            "customer_id": "a",
            "submitted_at": day,
            "kind": "survey",
            "csat": 1,
            "nps": 2,
        },
        {
            "feedback_id": "f2",
            "customer_id": "a",
            "submitted_at": day,
            "kind": "survey",
            "csat": 5,
            "nps": 9,
        },
    ]
    db.insert_frame(con, "feedback", pd.DataFrame(answers))
    build_staging(con)
    cut = dt.date(2024, 3, 1)
    expected = churn_features(con, cut)
    found, _ = ChurnHistory.read(con).features(cut)
    assert found.loc[0, ["latest_csat", "latest_nps"]].tolist() == (
        expected.loc[0, ["latest_csat", "latest_nps"]].tolist()
    )
    assert expected.loc[0, ["latest_csat", "latest_nps"]].tolist() == [5, 9]  # f2, the greater id
