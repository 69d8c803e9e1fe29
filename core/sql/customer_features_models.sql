-- customer_features_models: customer_features (one row per customer signed up by the
-- as-of date) with the model outputs of the registered frame `model_outputs` (see
-- core/value.py: model_outputs): the BTYD summary in weeks, P(alive), expected purchases
-- and predicted CLV over 12 months, churn risk over 90 days. Null for customers without a
-- purchase, for customers the churn model does not score (no purchase in the last 365
-- days) and for every customer when a model did not run.
with

features as (
    select * from customer_features
),

models as (
    select * from model_outputs
),

final as (
    select
        f.*,
        m.btyd_frequency::double as btyd_frequency,
        m.btyd_recency_weeks::double as btyd_recency_weeks,
        m.btyd_t_weeks::double as btyd_t_weeks,
        m.btyd_monetary::double as btyd_monetary,
        m.p_alive::double as p_alive,
        m.expected_purchases_12m::double as expected_purchases_12m,
        m.predicted_clv_12m::double as predicted_clv_12m,
        m.churn_risk::double as churn_risk
    from features as f
    left join models as m on m.customer_id = f.customer_id
)

select * from final
