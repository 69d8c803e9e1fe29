-- customer_features_models: fills the model columns of customer_features (one row per
-- customer signed up by the as-of date; core/value.py: add_model_outputs adds the columns,
-- empty, first) from the registered frame `model_outputs` (core/value.py: model_outputs):
-- the BTYD summary in weeks, P(alive), expected purchases and predicted CLV over 12 months,
-- churn risk over 90 days. They stay null for customers without a purchase, for customers
-- the churn model does not score (no purchase in the last 365 days) and for every customer
-- when a model did not run. Only these columns are written, not the whole table again.
update customer_features as f
set
    btyd_frequency = m.btyd_frequency::double,
    btyd_recency_weeks = m.btyd_recency_weeks::double,
    btyd_t_weeks = m.btyd_t_weeks::double,
    btyd_monetary = m.btyd_monetary::double,
    p_alive = m.p_alive::double,
    expected_purchases_12m = m.expected_purchases_12m::double,
    predicted_clv_12m = m.predicted_clv_12m::double,
    churn_risk = m.churn_risk::double
from model_outputs as m
where m.customer_id = f.customer_id
