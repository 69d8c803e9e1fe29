"""The demo business: three years of a Chinese omnichannel retailer's customers.

`build_demo(con)` fills the four raw tables with a synthetic customer base whose purchases
follow the BG/NBD story (Fader, Hardie & Lee 2005, "Counting your customers the easy way")
and whose order values follow the Gamma-Gamma story (Fader, Hardie & Lee 2005, "RFM and CLV",
after Colombo & Jiang 1999), with Chinese retail seasonality on top (Spring Festival dip,
6.18, Double 11, Double 12), so every page has something true to show and every model has
something to recover.

The output is a deterministic function of (customers, seed, end, params): one
`numpy.random.default_rng(seed)` is passed down and every step draws from it in a fixed
order. Time is simulated in days since the start of the history on a uniform clock; events
get realistic times of day only at the end (`with_time_of_day`), a monotone map within each
day, so every event stays after the ones it follows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import expit, logit
from scipy.stats import norm

from core import settings
from core.contract import RAW_TABLES, Table
from core.db import bump_data_version, insert_frame, row_counts, transaction

HISTORY_DAYS = 1_095  # three years, the last day being `end`

# Chinese New Year's day (first day of the Spring Festival). Years outside get no dip.
SPRING_FESTIVAL = (
    dt.date(2016, 2, 8),
    dt.date(2017, 1, 28),
    dt.date(2018, 2, 16),
    dt.date(2019, 2, 5),
    dt.date(2020, 1, 25),
    dt.date(2021, 2, 12),
    dt.date(2022, 2, 1),
    dt.date(2023, 1, 22),
    dt.date(2024, 2, 10),
    dt.date(2025, 1, 29),
    dt.date(2026, 2, 17),
    dt.date(2027, 2, 6),
    dt.date(2028, 1, 26),
    dt.date(2029, 2, 13),
    dt.date(2030, 2, 3),
)


# ---------------------------------------------------------------------------------------------
# The business as data. Label tables are (code or English name, Chinese) for the UI catalog.


@dataclass(frozen=True)
class AcquisitionChannel:
    """Where customers come from, what they cost and how good they turn out to be."""

    code: str
    zh: str
    share: float  # of sign-ups in the middle of the history
    trend: float  # change of log(share) from the start to the end of the history
    cost: float  # mean acquisition cost per sign-up, CNY
    never_buy: float  # share of sign-ups who never buy (prospects)
    rate: float  # multiplier on the purchase rate lambda
    dropout: float  # shift of logit(p), p the dropout probability after a purchase
    spend: float  # multiplier on the order value
    home: tuple[float, float, float, float]  # usual purchase channel: app, mini_program, web, store


ACQUISITION_CHANNELS = (
    AcquisitionChannel("wechat", "微信", 0.22, 0.0, 45, 0.17, 1.10, -0.10, 0.95, (15, 75, 5, 5)),
    AcquisitionChannel("douyin", "抖音", 0.18, 0.9, 70, 0.27, 0.85, 0.35, 0.85, (70, 20, 10, 0)),
    AcquisitionChannel("tmall", "天猫", 0.17, -0.2, 90, 0.15, 1.00, 0.00, 1.10, (70, 5, 25, 0)),
    AcquisitionChannel("jd", "京东", 0.12, -0.1, 85, 0.14, 1.00, -0.05, 1.20, (70, 5, 25, 0)),
    AcquisitionChannel(
        "offline_store", "线下门店", 0.10, -0.3, 55, 0.12, 1.20, -0.25, 1.15, (15, 15, 0, 70)
    ),
    AcquisitionChannel(
        "search_ads", "搜索广告", 0.12, -0.3, 120, 0.30, 0.80, 0.25, 1.0, (35, 5, 60, 0)
    ),
    AcquisitionChannel(
        "referral", "老客推荐", 0.09, 0.3, 30, 0.10, 1.30, -0.40, 1.05, (30, 60, 10, 0)
    ),
)
CHANNELS = tuple((c.code, c.zh) for c in ACQUISITION_CHANNELS)
REFERRAL = "referral"

PURCHASE_CHANNELS = (("app", "App"), ("mini_program", "小程序"), ("web", "网站"), ("store", "门店"))
PURCHASE_CHANNEL_MIX = {"app": 45, "mini_program": 30, "web": 15, "store": 10}  # away from usual

# (code, Chinese, gross margin, share of orders)
_CATEGORY_TABLE = (
    ("beauty", "美妆", 0.55, 20),
    ("apparel", "服饰", 0.45, 25),
    ("food", "食品", 0.25, 20),
    ("electronics", "数码家电", 0.12, 10),
    ("home", "家居", 0.35, 15),
    ("baby", "母婴", 0.30, 10),
)
CATEGORIES = tuple((code, zh) for code, zh, _, _ in _CATEGORY_TABLE)

REGIONS = (
    ("East China", "华东"),
    ("North China", "华北"),
    ("South China", "华南"),
    ("Central China", "华中"),
    ("Southwest", "西南"),
    ("Northwest", "西北"),
    ("Northeast", "东北"),
)

# (English, Chinese, region, weight ~ online shoppers)
_CITY_TABLE = (
    ("Shanghai", "上海", "East China", 10.0),
    ("Beijing", "北京", "North China", 9.0),
    ("Guangzhou", "广州", "South China", 7.0),
    ("Shenzhen", "深圳", "South China", 7.0),
    ("Hangzhou", "杭州", "East China", 5.0),
    ("Chengdu", "成都", "Southwest", 5.0),
    ("Chongqing", "重庆", "Southwest", 4.5),
    ("Wuhan", "武汉", "Central China", 4.0),
    ("Nanjing", "南京", "East China", 3.5),
    ("Suzhou", "苏州", "East China", 3.5),
    ("Xi'an", "西安", "Northwest", 3.0),
    ("Tianjin", "天津", "North China", 3.0),
    ("Changsha", "长沙", "Central China", 2.5),
    ("Zhengzhou", "郑州", "Central China", 2.5),
    ("Qingdao", "青岛", "East China", 2.0),
    ("Ningbo", "宁波", "East China", 2.0),
    ("Hefei", "合肥", "East China", 2.0),
    ("Dongguan", "东莞", "South China", 2.0),
    ("Foshan", "佛山", "South China", 2.0),
    ("Jinan", "济南", "East China", 1.8),
    ("Shenyang", "沈阳", "Northeast", 1.8),
    ("Xiamen", "厦门", "East China", 1.5),
    ("Fuzhou", "福州", "East China", 1.5),
    ("Kunming", "昆明", "Southwest", 1.5),
    ("Dalian", "大连", "Northeast", 1.5),
    ("Harbin", "哈尔滨", "Northeast", 1.5),
    ("Changchun", "长春", "Northeast", 1.2),
    ("Shijiazhuang", "石家庄", "North China", 1.2),
    ("Taiyuan", "太原", "North China", 1.0),
    ("Nanning", "南宁", "South China", 1.0),
    ("Guiyang", "贵阳", "Southwest", 1.0),
    ("Lanzhou", "兰州", "Northwest", 0.7),
    ("Urumqi", "乌鲁木齐", "Northwest", 0.6),
)
CITIES = tuple((en, zh) for en, zh, _, _ in _CITY_TABLE)

# (Chinese, pinyin, weight ~ frequency)
SURNAMES = (
    ("王", "wang", 7.1),
    ("李", "li", 7.0),
    ("张", "zhang", 6.7),
    ("刘", "liu", 5.4),
    ("陈", "chen", 4.5),
    ("杨", "yang", 3.1),
    ("黄", "huang", 2.2),
    ("赵", "zhao", 2.0),
    ("吴", "wu", 1.8),
    ("周", "zhou", 1.7),
    ("徐", "xu", 1.3),
    ("孙", "sun", 1.2),
    ("马", "ma", 1.2),
    ("朱", "zhu", 1.1),
    ("胡", "hu", 1.0),
    ("郭", "guo", 1.0),
    ("何", "he", 0.9),
    ("林", "lin", 0.9),
    ("高", "gao", 0.9),
    ("罗", "luo", 0.9),
    ("郑", "zheng", 0.8),
    ("梁", "liang", 0.8),
    ("谢", "xie", 0.7),
    ("宋", "song", 0.6),
    ("唐", "tang", 0.6),
    ("韩", "han", 0.6),
    ("冯", "feng", 0.5),
    ("邓", "deng", 0.5),
    ("曹", "cao", 0.5),
    ("彭", "peng", 0.5),
)
# (Chinese, pinyin)
GIVEN_NAMES = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("婷", "ting"),
    ("鹏", "peng"),
    ("辉", "hui"),
    ("玲", "ling"),
    ("晨", "chen"),
    ("秀英", "xiuying"),
    ("秀兰", "xiulan"),
    ("桂英", "guiying"),
    ("建华", "jianhua"),
    ("志强", "zhiqiang"),
    ("浩然", "haoran"),
    ("子涵", "zihan"),
    ("欣怡", "xinyi"),
    ("梓轩", "zixuan"),
    ("思雨", "siyu"),
    ("宇轩", "yuxuan"),
    ("雨桐", "yutong"),
    ("俊杰", "junjie"),
    ("嘉怡", "jiayi"),
    ("文博", "wenbo"),
)

INTERACTION_CHANNELS = (
    ("wechat", "微信"),
    ("sms", "短信"),
    ("email", "邮件"),
    ("phone", "电话"),
    ("visit", "拜访"),
    ("event", "活动"),
    ("app", "App"),
)
INTERACTION_KINDS = (
    ("outreach", "主动触达"),
    ("inquiry", "咨询"),
    ("complaint", "投诉"),
    ("follow_up", "回访"),
)
# Channel mixes of the touches (weights by code); visits and events go to the top buyers.
OUTREACH_MIX = {"wechat": 36, "sms": 30, "email": 25, "phone": 8.5, "visit": 0.2, "event": 0.3}
OUTREACH_MIX_TOP = {"wechat": 30, "sms": 12, "email": 13, "phone": 20, "visit": 12, "event": 13}
INQUIRY_MIX = {"wechat": 45, "phone": 25, "email": 10, "app": 20}
FOLLOW_UP_MIX = {"phone": 60, "wechat": 40}

FEEDBACK_KINDS = (("survey", "满意度调查"), ("complaint", "投诉"), ("suggestion", "建议"))
FEEDBACK_CATEGORIES = (
    ("quality", "质量"),
    ("delivery", "物流"),
    ("price", "价格"),
    ("service", "服务"),
    ("other", "其他"),
)
FEEDBACK_CHANNELS = (("app", "App"), ("wechat", "微信"), ("phone", "电话"), ("email", "邮件"))
SURVEY_CHANNEL_MIX = {"app": 45, "wechat": 35, "phone": 5, "email": 15}
COMPLAINT_CHANNEL_MIX = {"app": 25, "wechat": 35, "phone": 30, "email": 10}
SUGGESTION_CHANNEL_MIX = {"app": 50, "wechat": 30, "phone": 5, "email": 15}
COMPLAINT_CATEGORY_MIX = {"quality": 30, "delivery": 32, "price": 10, "service": 18, "other": 10}
SUGGESTION_CATEGORY_MIX = {"quality": 30, "delivery": 10, "price": 10, "service": 30, "other": 20}
DIRECTIONS = (("inbound", "呼入"), ("outbound", "外呼"))

WEEKDAY_FACTORS = (0.97, 0.96, 0.97, 0.99, 1.02, 1.06, 1.03)  # Monday .. Sunday
# Relative activity per hour of day, 0:00 .. 23:00.
CONSUMER_HOURS = (
    *(1.6, 0.8, 0.4, 0.25, 0.2, 0.3, 0.7, 1.4, 2.4, 3.1, 3.6, 4.0),
    *(4.5, 4.1, 3.6, 3.5, 3.6, 3.9, 4.3, 5.2, 6.4, 7.1, 6.5, 3.9),
)
DOUBLE_11_HOURS = (30.0, *CONSUMER_HOURS[1:])  # the midnight rush when the sale opens
BUSINESS_HOURS = (
    *(0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.05, 0.5, 3.0, 5.0, 5.0),
    *(2.5, 3.5, 5.0, 5.0, 4.5, 3.0, 1.5, 1.2, 0.8, 0.3, 0.01, 0.01),
)


@dataclass(frozen=True)
class DemoParams:
    """The knobs of the generative story; defaults give buyers ~5 orders in three years."""

    # BG/NBD: lambda ~ Gamma(r, scale=1/alpha) purchases per day, p ~ Beta(a, b)
    r: float = 1.0
    alpha: float = 50.0
    a: float = 1.0
    b: float = 6.0
    max_rate: float = 0.25  # cap on lambda (a purchase every four days)
    # Gamma-Gamma: nu ~ Gamma(q, scale=1/gamma), order value ~ Gamma(p, scale=1/nu)
    p: float = 6.0
    q: float = 3.8
    gamma: float = 140.0
    # sign-ups and the first purchase
    signup_growth: float = 0.6  # daily sign-ups at the end of the history / at the start - 1
    signup_seasonality: float = 0.4  # share of the purchase seasonality seen in sign-ups
    referral_ramp_days: float = 30.0  # the referral programme starts with the history
    same_session: float = 0.4  # share of first purchases within the sign-up session
    first_delay_days: float = 4.0  # median delay of the other first purchases (lognormal)
    # orders
    usual_channel: float = 0.7  # share of orders through the customer's usual channel
    favourite_category: float = 0.55  # share of orders in the customer's favourite category
    quantity_mix: tuple[float, ...] = (55, 22, 12, 7, 4)  # 1 .. 5 items
    cost_noise: float = 0.06  # sd of log(cost / expected cost)
    refund_rate: float = 0.031
    refund_delay_days: float = 6.0  # median
    # satisfaction: a standard-normal latent per customer
    dropout_satisfaction: float = 0.9  # logit(p) falls by this per sd of satisfaction
    refund_satisfaction: float = 0.35  # log refund odds fall by this per sd
    survey_rate: float = 0.15  # share of orders followed by a survey
    csat_mix: tuple[float, ...] = (5, 7, 13, 35, 40)  # 1 .. 5, for an average customer
    nps_mix: tuple[float, ...] = (3, 1.5, 2, 2.5, 3, 7, 13, 15, 19, 15, 19)  # 0 .. 10
    refund_csat_drop: float = 0.8  # sd of the survey score lost on a refunded order
    complaint_rate: float = 0.015  # per order, for an average customer
    complaint_satisfaction: float = 0.8  # log complaint rate falls by this per sd
    refund_complaint: float = 0.25  # extra complaint probability on a refunded order
    resolution_hours: float = 30.0  # median time to resolve a complaint (lognormal)
    resolution_sigma: float = 0.75
    suggestion_rate: float = 0.006  # per order
    # interactions
    outreach_per_year: float = 1.5  # outbound touches per year for a prospect
    outreach_value: float = 3.0  # extra touches per year per log(1 + value / median value)
    outreach_after_days: float = 120.0  # outreach stops this long after sign-up or a purchase
    top_value_share: float = 0.10  # buyers who also get visits and events
    inquiry_rate: float = 0.12  # inbound inquiries per order
    prospect_inquiry: float = 0.3  # inquiries per prospect
    follow_up_rate: float = 0.65  # complaints followed up by an outbound call or message


DEMO_PARAMS = DemoParams()


# ---------------------------------------------------------------------------------------------
# Entry points


def build_demo(
    con: duckdb.DuckDBPyConnection,
    customers: int = 20_000,
    seed: int = 0,
    end: dt.date | None = None,
    *,
    replace: bool = False,
    params: DemoParams = DEMO_PARAMS,
) -> dict[str, int]:
    """Fill the four raw tables (customers, transactions, interactions, feedback) with a demo
    business; returns row counts per table.

    The history is the HISTORY_DAYS days ending with `end` (default today), `end` included.
    Refuses a database whose raw tables hold rows unless `replace`, which empties them first.
    Everything is written in one transaction.
    """
    held = {name: n for name, n in row_counts(con).items() if n}
    if held and not replace:
        rows = ", ".join(f"{name}: {n:,} rows" for name, n in held.items())
        raise ValueError(
            f"the database already holds data ({rows}); pass replace=True to overwrite it"
        )
    tables = generate_demo(customers, seed, end, params)
    with transaction(con):
        for name in RAW_TABLES:
            con.execute(f"delete from {name}")
        for name, frame in tables.items():
            insert_frame(con, name, frame)
        settings.put(con, "currency", "CNY", bump=False)  # the demo sells in yuan
        bump_data_version(con)
    return {name: len(frame) for name, frame in tables.items()}


def generate_demo(
    customers: int = 20_000,
    seed: int = 0,
    end: dt.date | None = None,
    params: DemoParams = DEMO_PARAMS,
) -> dict[str, pd.DataFrame]:
    """The four raw tables of the demo business as DataFrames in contract column order."""
    if isinstance(customers, bool) or not isinstance(customers, (int, np.integer)):
        raise ValueError(f"customers must be a whole number, got {customers!r}")
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers:,}")
    end = _as_date(end)
    rng = np.random.default_rng(seed)
    cal = calendar(end)
    people = sign_ups(rng, int(customers), cal, params)
    orders = purchases(rng, people, cal, params)
    referrers = referred_by(rng, people, orders)
    refunds = refund_rows(rng, people, orders, cal, params)
    feedback = feedback_rows(rng, people, orders, refunds, cal, params)
    touches = interaction_rows(rng, people, orders, feedback, cal, params)
    ids = _ids("C", int(customers), width=7)
    tables = {
        "customers": customers_frame(rng, people, referrers, ids, cal),
        "transactions": transactions_frame(orders, refunds, ids, cal),
        "interactions": interactions_frame(touches, ids, cal),
        "feedback": feedback_frame(feedback, ids, cal),
    }
    return {name: _contract_columns(RAW_TABLES[name], frame) for name, frame in tables.items()}


def _contract_columns(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the table's columns in contract order; the fields the demo does not
    fill (an order is one row, so no order_id; no product_id) are empty."""
    missing = {c: pd.Series([None] * len(frame), dtype=object) for c in table.columns}
    missing = {c: v for c, v in missing.items() if c not in frame.columns}
    return frame.assign(**missing)[table.columns]


def _as_date(end: dt.date | None) -> dt.date:
    if end is None:
        return dt.date.today()
    if isinstance(end, dt.datetime):
        return end.date()
    if isinstance(end, dt.date):
        return end
    raise ValueError(f"end must be a date, got {end!r}")


# ---------------------------------------------------------------------------------------------
# Calendar and clock


@dataclass(frozen=True)
class Calendar:
    """The days of the history: day 0 is `start`, the last day is `end`."""

    start: dt.date
    end: dt.date
    days: np.ndarray  # datetime64[D], one per day
    season: np.ndarray  # daily purchase multiplier, mean 1
    is_double_11: np.ndarray  # bool per day

    @property
    def horizon(self) -> float:
        """The end of the history in days since the start (the midnight after `end`)."""
        return float(len(self.days))


def calendar(end: dt.date) -> Calendar:
    """The HISTORY_DAYS days ending with `end` and their seasonality."""
    start = end - dt.timedelta(days=HISTORY_DAYS - 1)
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    index = pd.DatetimeIndex(days)
    is_double_11 = (index.month == 11) & (index.day == 11)
    return Calendar(start, end, days, seasonality(days), np.asarray(is_double_11))


def seasonality(days: np.ndarray) -> np.ndarray:
    """Relative purchase intensity of each day (datetime64[D]), scaled to mean 1 over `days`.

    The product of a mild weekly pattern, the Spring Festival dip and the shopping festivals.
    """
    index = pd.DatetimeIndex(days)
    weekly = np.asarray(WEEKDAY_FACTORS)[index.day_of_week]
    factor = (
        weekly
        * spring_festival_factor(days)
        * shopping_festival_factor(np.asarray(index.month), np.asarray(index.day))
    )
    return factor / factor.mean()


def spring_festival_factor(days: np.ndarray) -> np.ndarray:
    """~0.45 for the two weeks around Chinese New Year (shops and couriers rest), ramping
    over three days either side, after a small New Year shopping bump in the weeks before."""
    offset = _days_from_nearest(days, np.array(SPRING_FESTIVAL, dtype="datetime64[D]"))
    dip = np.clip(np.minimum(offset + 11, 10 - offset) / 3.0, 0.0, 1.0)
    bump = (offset >= -25) & (offset <= -12)
    return (1.0 - 0.55 * dip) * np.where(bump, 1.15, 1.0)


def _days_from_nearest(days: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Signed days from each day to the nearest anchor date (negative = before it)."""
    pos = np.searchsorted(anchors, days)
    after = anchors[np.clip(pos, 0, len(anchors) - 1)]
    before = anchors[np.clip(pos - 1, 0, len(anchors) - 1)]
    to_after = (days - after).astype(np.int64)
    to_before = (days - before).astype(np.int64)
    return np.where(np.abs(to_after) < np.abs(to_before), to_after, to_before)


def shopping_festival_factor(month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """6.18 (build-up through June, peak on the 18th), Double 11 (pre-sales from late
    October, build-up, the big peak on November 11) and a small Double 12."""
    conditions = [
        (month == 6) & (day < 18),
        (month == 6) & (day == 18),
        (month == 6) & (day <= 20),
        (month == 10) & (day >= 24),
        (month == 11) & (day <= 10),
        (month == 11) & (day == 11),
        (month == 11) & (day == 12),
        (month == 11) & (day <= 14),
        (month == 12) & (day == 12),
        (month == 12) & ((day == 10) | (day == 11)),
    ]
    values = [
        1.15 + 0.35 * (day - 1) / 16,
        2.6,
        1.15,
        1.2,
        1.3 + 0.5 * (day - 1) / 9,
        4.5,
        1.5,
        1.15,
        1.8,
        1.15,
    ]
    return np.select(conditions, values, default=1.0)


def with_time_of_day(
    t: np.ndarray, hours: tuple[float, ...], cal: Calendar | None = None
) -> np.ndarray:
    """Times `t` (days, uniform within each day) moved within their day so the hour of day
    follows the weights `hours`; with `cal`, Double 11 gets its midnight rush.

    The map is monotone within a day, so events keep their order.
    """
    day = np.floor(t)
    fraction = t - day
    tod = _hour_quantile(fraction, hours)
    if cal is not None:
        on_double_11 = cal.is_double_11[day.astype(np.int64)]
        tod = np.where(on_double_11, _hour_quantile(fraction, DOUBLE_11_HOURS), tod)
    return day + np.minimum(tod, 86_399 / 86_400)


def _hour_quantile(fraction: np.ndarray, hours: tuple[float, ...]) -> np.ndarray:
    weights = np.asarray(hours, dtype=float)
    cdf = np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    return np.interp(fraction, cdf, np.arange(25) / 24.0)


def timestamps(cal: Calendar, t: np.ndarray) -> np.ndarray:
    """Days since the start as datetime64[us], truncated to the second."""
    seconds = np.floor(np.asarray(t) * 86_400).astype(np.int64)
    start = np.datetime64(cal.start, "s")
    return (start + seconds.astype("timedelta64[s]")).astype("datetime64[us]")


def _choice(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """Indices drawn with probability proportional to `weights`."""
    return _pick(weights, rng.random(size))


def _pick(weights, u: np.ndarray) -> np.ndarray:
    """The index whose share of the cumulative `weights` holds each uniform `u`."""
    cdf = np.cumsum(np.asarray(weights, dtype=float))
    return np.minimum(np.searchsorted(cdf / cdf[-1], u, side="right"), len(cdf) - 1)


def _choice_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One index per row of the (rows x options) `weights`, proportional to that row."""
    cdf = np.cumsum(weights, axis=1)
    u = rng.random(len(weights))[:, None] * cdf[:, -1:]
    return np.minimum((u >= cdf).sum(axis=1), weights.shape[1] - 1)


def _draw(rng: np.random.Generator, table, mix: dict[str, float], size: int) -> np.ndarray:
    """Indices into `table` ((code, label) pairs) drawn with the weights `mix` gives codes."""
    return _choice(rng, _weights(table, mix), size)


def _weights(table, mix: dict[str, float]) -> np.ndarray:
    """`mix` as one weight per entry of `table` (0 where it does not name the code)."""
    codes = [code for code, _ in table]
    unknown = set(mix) - set(codes)
    if unknown:
        raise ValueError(f"unknown codes {sorted(unknown)}: choose from {', '.join(codes)}")
    return np.array([mix.get(code, 0.0) for code in codes], dtype=float)


def _index(table, code: str) -> int:
    """Position of `code` in `table` ((code, label) pairs)."""
    return [c for c, _ in table].index(code)


def _lognormal(rng: np.random.Generator, median: float, sigma: float, size: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(size))


# ---------------------------------------------------------------------------------------------
# Customers and their latent traits


@dataclass(frozen=True)
class People:
    """Every customer's sign-up and latent traits, in sign-up order (index = id - 1)."""

    signup: np.ndarray  # days since the start, uniform clock
    channel: np.ndarray  # index into ACQUISITION_CHANNELS
    first: np.ndarray  # first purchase time (inf for those who never buy)
    rate: np.ndarray  # lambda, purchases per day while alive
    dropout: np.ndarray  # p, dropout probability after each purchase
    spend_scale: np.ndarray  # order value ~ Gamma(p, scale=spend_scale)
    satisfaction: np.ndarray  # standard normal
    usual_channel: np.ndarray  # index into PURCHASE_CHANNELS
    favourite: np.ndarray  # index into CATEGORIES

    def __len__(self) -> int:
        return len(self.signup)


def sign_ups(rng: np.random.Generator, n: int, cal: Calendar, params: DemoParams) -> People:
    """`n` customers signing up over the history (growing, seasonal), with their traits."""
    horizon = len(cal.days)
    growth = 1.0 + params.signup_growth * np.arange(horizon) / horizon
    intensity = growth * (1.0 + params.signup_seasonality * (cal.season - 1.0))
    signup = np.sort(_choice(rng, intensity, n) + rng.random(n))
    channel = acquisition_channels(rng, signup, horizon, params)
    profile = _channel_profile(channel)
    buys = rng.random(n) >= profile["never_buy"]
    delay = np.where(
        rng.random(n) < params.same_session,
        rng.exponential(1 / 24, n),
        _lognormal(rng, params.first_delay_days, 1.0, n),
    )
    first = np.where(buys, signup + delay, np.inf)
    satisfaction = rng.standard_normal(n)
    rate = np.clip(
        rng.gamma(params.r, 1 / params.alpha, n) * profile["rate"], 1e-9, params.max_rate
    )
    p = np.clip(rng.beta(params.a, params.b, n), 1e-6, 1 - 1e-6)
    dropout = expit(logit(p) + profile["dropout"] - params.dropout_satisfaction * satisfaction)
    spend_scale = profile["spend"] / rng.gamma(params.q, 1 / params.gamma, n)
    usual = _choice_rows(rng, np.array([c.home for c in ACQUISITION_CHANNELS], float)[channel])
    favourite = _choice(rng, _category_shares(), n)
    return People(
        signup, channel, first, rate, dropout, spend_scale, satisfaction, usual, favourite
    )


def acquisition_channels(
    rng: np.random.Generator, signup: np.ndarray, horizon: int, params: DemoParams
) -> np.ndarray:
    """Each customer's acquisition channel; the mix drifts over time (douyin grows) and the
    referral programme ramps up from the start, when there is no one to refer yet."""
    share = np.array([c.share for c in ACQUISITION_CHANNELS])
    trend = np.array([c.trend for c in ACQUISITION_CHANNELS])
    position = signup[:, None] / horizon - 0.5
    weights = share * np.exp(trend * position)
    referral = _index(CHANNELS, REFERRAL)
    weights[:, referral] *= 1.0 - np.exp(-signup / params.referral_ramp_days)
    return _choice_rows(rng, weights)


def _channel_profile(channel: np.ndarray) -> dict[str, np.ndarray]:
    """Per-customer channel parameters (never_buy, rate, dropout, spend, cost)."""
    names = ("never_buy", "rate", "dropout", "spend", "cost")
    return {f: np.array([getattr(c, f) for c in ACQUISITION_CHANNELS])[channel] for f in names}


# ---------------------------------------------------------------------------------------------
# Purchases


@dataclass(frozen=True)
class Orders:
    """All orders, sorted by customer then time (uniform clock)."""

    customer: np.ndarray
    t: np.ndarray
    amount: np.ndarray
    cost: np.ndarray
    quantity: np.ndarray
    category: np.ndarray
    channel: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


def purchases(
    rng: np.random.Generator, people: People, cal: Calendar, params: DemoParams
) -> Orders:
    """Every order: when (BG/NBD with seasonality), how much (Gamma-Gamma), what and where."""
    customer, t = purchase_times(rng, people.first, people.rate, people.dropout, cal.season)
    order = np.lexsort((t, customer))
    customer, t = customer[order], t[order]
    m = len(t)
    amount = np.maximum(np.round(rng.gamma(params.p, people.spend_scale[customer]), 2), 1.0)
    same = rng.random(m) < params.favourite_category
    category = np.where(same, people.favourite[customer], _choice(rng, _category_shares(), m))
    margin = np.array([margin for _, _, margin, _ in _CATEGORY_TABLE])[category]
    noise = np.exp(params.cost_noise * rng.standard_normal(m))
    cost = np.round(amount * (1.0 - margin) * noise, 2)
    quantity = 1.0 + _choice(rng, params.quantity_mix, m)
    usual = rng.random(m) < params.usual_channel
    other = _draw(rng, PURCHASE_CHANNELS, PURCHASE_CHANNEL_MIX, m)
    channel = np.where(usual, people.usual_channel[customer], other)
    return Orders(customer, t, amount, cost, quantity, category, channel)


def _category_shares() -> list[float]:
    return [share for *_, share in _CATEGORY_TABLE]


def purchase_times(
    rng: np.random.Generator,
    first: np.ndarray,
    rate: np.ndarray,
    dropout: np.ndarray,
    season: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(customer, time) of every purchase before the horizon len(season), unsorted.

    BG/NBD (Fader, Hardie & Lee 2005, sec. 2) with seasonal thinning: customer i buys first
    at first[i]; after every purchase, the first included, they drop out with probability
    dropout[i]; while alive, candidates arrive at rate rate[i] * max(season) and one at day t
    is kept with probability season[t] / max(season) (Lewis & Shedler 1979), so purchases
    arrive at rate[i] * season[t]. Loops over purchase rounds, never over customers.
    """
    horizon = len(season)
    peak = season.max()
    who = np.flatnonzero(first < horizon)
    t = first[who]
    found_who, found_t = [who], [t]
    alive = rng.random(len(who)) >= dropout[who]
    who, t = who[alive], t[alive]
    while len(who):
        t = t + rng.exponential(1.0 / (rate[who] * peak))
        inside = t < horizon
        who, t = who[inside], t[inside]
        bought = rng.random(len(who)) * peak < season[t.astype(np.int64)]
        found_who.append(who[bought])
        found_t.append(t[bought])
        stays = ~(bought & (rng.random(len(who)) < dropout[who]))
        who, t = who[stays], t[stays]
    return np.concatenate(found_who), np.concatenate(found_t)


def referred_by(rng: np.random.Generator, people: People, orders: Orders) -> np.ndarray:
    """For referral customers, the index of their referrer (-1 for everyone else).

    The referrer bought before the new customer signed up, chosen with probability
    proportional to revenue ** 0.75 (valuable customers refer more); -1 when no one had.
    """
    n = len(people)
    revenue = np.bincount(orders.customer, weights=orders.amount, minlength=n)
    first_purchase = np.full(n, np.inf)
    np.minimum.at(first_purchase, orders.customer, orders.t)
    candidates = np.flatnonzero(np.isfinite(first_purchase))
    candidates = candidates[np.argsort(first_purchase[candidates], kind="stable")]
    cumulative = np.cumsum(revenue[candidates] ** 0.75)
    referral = _index(CHANNELS, REFERRAL)
    referees = np.flatnonzero(people.channel == referral)
    eligible = np.searchsorted(first_purchase[candidates], people.signup[referees])
    u = rng.random(len(referees))
    result = np.full(n, -1, dtype=np.int64)
    has = eligible > 0
    limit = cumulative[np.maximum(eligible - 1, 0)] if len(candidates) else np.zeros(0)
    pick = np.searchsorted(cumulative, u[has] * limit[has], side="right")
    result[referees[has]] = candidates[np.minimum(pick, eligible[has] - 1)]
    return result


@dataclass(frozen=True)
class Refunds:
    """Refunded orders: the order's row index and when the refund was booked."""

    order: np.ndarray
    t: np.ndarray


def refund_rows(
    rng: np.random.Generator, people: People, orders: Orders, cal: Calendar, params: DemoParams
) -> Refunds:
    """About `refund_rate` of orders refunded some days later (more for unhappy customers)."""
    z = people.satisfaction[orders.customer]
    k = params.refund_satisfaction
    chance = params.refund_rate * np.exp(-k * z - k * k / 2)
    refunded = rng.random(len(orders)) < chance
    order = np.flatnonzero(refunded)
    t = orders.t[order] + _lognormal(rng, params.refund_delay_days, 0.6, len(order))
    keep = t < cal.horizon
    return Refunds(order[keep], t[keep])


# ---------------------------------------------------------------------------------------------
# Feedback


@dataclass(frozen=True)
class Feedback:
    """Surveys, complaints and suggestions; times are final (with time of day)."""

    customer: np.ndarray
    submitted: np.ndarray
    kind: np.ndarray  # index into FEEDBACK_KINDS
    csat: np.ndarray  # 1..5, -1 where not a survey
    nps: np.ndarray  # 0..10, -1 where not a survey
    category: np.ndarray  # index into FEEDBACK_CATEGORIES, -1 for surveys
    channel: np.ndarray  # index into FEEDBACK_CHANNELS
    resolved: np.ndarray  # days since the start, nan when open or not a complaint

    def __len__(self) -> int:
        return len(self.customer)


def feedback_rows(
    rng: np.random.Generator,
    people: People,
    orders: Orders,
    refunds: Refunds,
    cal: Calendar,
    params: DemoParams,
) -> Feedback:
    """Surveys after some orders, complaints (unhappy customers and refunds), suggestions."""
    was_refunded = np.zeros(len(orders), dtype=bool)
    was_refunded[refunds.order] = True
    parts = [
        surveys(rng, people, orders, was_refunded, cal, params),
        complaints(rng, people, orders, was_refunded, cal, params),
        suggestions(rng, orders, cal, params),
    ]
    return Feedback(
        *(np.concatenate([getattr(f, x.name) for f in parts]) for x in fields(Feedback))
    )


def surveys(
    rng: np.random.Generator,
    people: People,
    orders: Orders,
    was_refunded: np.ndarray,
    cal: Calendar,
    params: DemoParams,
) -> Feedback:
    """A survey after `survey_rate` of orders, a day or two later. CSAT and NPS are ordinal
    cuts of scores that share the customer's satisfaction (correlation ~0.8 with each other);
    the cut points give `csat_mix` and `nps_mix` for an average customer."""
    order = np.flatnonzero(rng.random(len(orders)) < params.survey_rate)
    t = orders.t[order] + _lognormal(rng, 30.0, 0.7, len(order)) / 24
    keep = t < cal.horizon
    order, t = order[keep], t[keep]
    n = len(order)
    customer = orders.customer[order]
    z = people.satisfaction[customer] - params.refund_csat_drop * was_refunded[order]
    e1, e2 = rng.standard_normal(n), rng.standard_normal(n)
    csat = 1 + np.searchsorted(_cuts(params.csat_mix), 0.75 * z + 0.66 * e1)
    nps = np.searchsorted(_cuts(params.nps_mix), 0.75 * z + 0.40 * e1 + 0.53 * e2)
    return Feedback(
        customer=customer,
        submitted=with_time_of_day(t, CONSUMER_HOURS, cal),
        kind=np.full(n, _index(FEEDBACK_KINDS, "survey")),
        csat=csat,
        nps=nps,
        category=np.full(n, -1),
        channel=_draw(rng, FEEDBACK_CHANNELS, SURVEY_CHANNEL_MIX, n),
        resolved=np.full(n, np.nan),
    )


def _cuts(mix: tuple[float, ...]) -> np.ndarray:
    """Standard-normal cut points splitting a score into classes with shares `mix`."""
    shares = np.cumsum(mix) / np.sum(mix)
    return norm.ppf(shares[:-1])


def complaints(
    rng: np.random.Generator,
    people: People,
    orders: Orders,
    was_refunded: np.ndarray,
    cal: Calendar,
    params: DemoParams,
) -> Feedback:
    """Complaints a few days after some orders, far more often from unhappy customers and
    after refunds; resolved a lognormal number of hours later (open when that is after end)."""
    z = people.satisfaction[orders.customer]
    k = params.complaint_satisfaction
    chance = params.complaint_rate * np.exp(-k * z - k * k / 2)
    chance = chance + params.refund_complaint * was_refunded
    order = np.flatnonzero(rng.random(len(orders)) < chance)
    t = orders.t[order] + _lognormal(rng, 2.0, 0.8, len(order))
    keep = t < cal.horizon
    order, t = order[keep], t[keep]
    n = len(order)
    submitted = with_time_of_day(t, CONSUMER_HOURS, cal)
    hours = _lognormal(rng, params.resolution_hours, params.resolution_sigma, n)
    resolved = submitted + hours / 24
    return Feedback(
        customer=orders.customer[order],
        submitted=submitted,
        kind=np.full(n, _index(FEEDBACK_KINDS, "complaint")),
        csat=np.full(n, -1),
        nps=np.full(n, -1),
        category=_draw(rng, FEEDBACK_CATEGORIES, COMPLAINT_CATEGORY_MIX, n),
        channel=_draw(rng, FEEDBACK_CHANNELS, COMPLAINT_CHANNEL_MIX, n),
        resolved=np.where(resolved < cal.horizon, resolved, np.nan),
    )


def suggestions(
    rng: np.random.Generator, orders: Orders, cal: Calendar, params: DemoParams
) -> Feedback:
    """A few suggestions, some days after an order."""
    order = np.flatnonzero(rng.random(len(orders)) < params.suggestion_rate)
    t = orders.t[order] + _lognormal(rng, 3.0, 0.8, len(order))
    keep = t < cal.horizon
    order, t = order[keep], t[keep]
    n = len(order)
    return Feedback(
        customer=orders.customer[order],
        submitted=with_time_of_day(t, CONSUMER_HOURS, cal),
        kind=np.full(n, _index(FEEDBACK_KINDS, "suggestion")),
        csat=np.full(n, -1),
        nps=np.full(n, -1),
        category=_draw(rng, FEEDBACK_CATEGORIES, SUGGESTION_CATEGORY_MIX, n),
        channel=_draw(rng, FEEDBACK_CHANNELS, SUGGESTION_CHANNEL_MIX, n),
        resolved=np.full(n, np.nan),
    )


# ---------------------------------------------------------------------------------------------
# Interactions


@dataclass(frozen=True)
class Touches:
    """Interactions; times are final (with time of day)."""

    customer: np.ndarray
    t: np.ndarray
    channel: np.ndarray  # index into INTERACTION_CHANNELS
    kind: np.ndarray  # index into INTERACTION_KINDS
    outbound: np.ndarray  # bool


def interaction_rows(
    rng: np.random.Generator,
    people: People,
    orders: Orders,
    feedback: Feedback,
    cal: Calendar,
    params: DemoParams,
) -> Touches:
    """Outreach (more for valuable customers), inquiries, complaints and their follow-ups."""
    parts = [
        outreach(rng, people, orders, cal, params),
        inquiries(rng, people, orders, cal, params),
        *complaint_touches(rng, feedback, cal, params),
    ]
    return Touches(*(np.concatenate([getattr(p, x.name) for p in parts]) for x in fields(Touches)))


def expected_value(people: People, params: DemoParams, horizon: float) -> np.ndarray:
    """Each customer's expected spend over the history from their latent traits: mean order
    value p x spend_scale times expected orders (1 / dropout, at most 1 + lambda x horizon);
    0 for those who do not buy before the horizon."""
    orders = np.minimum(1.0 / people.dropout, 1.0 + people.rate * horizon)
    value = params.p * people.spend_scale * orders
    return np.where(people.first < horizon, value, 0.0)


def outreach(
    rng: np.random.Generator, people: People, orders: Orders, cal: Calendar, params: DemoParams
) -> Touches:
    """Outbound touches, decided only from what the business knows on the day: runs of
    touches ~ Poisson(yearly rate x years), one from the day after sign-up until the first
    purchase at `outreach_per_year`, and one from the day after each purchase until the next
    at a yearly rate rising with expected value; a run stops once `outreach_after_days` pass
    without a purchase, and the next purchase starts a new one. Visits and events go mostly
    to the top `top_value_share` of buyers.

    Nothing looks ahead: stopping a fixed time after the last-ever purchase instead would
    make the touches up to a date tell of the purchases after it."""
    n = len(people)
    value = expected_value(people, params, cal.horizon)
    buyers = value[value > 0]
    median = np.median(buyers) if len(buyers) else 1.0
    top_cut = np.quantile(buyers, 1 - params.top_value_share) if len(buyers) else np.inf
    per_year = params.outreach_per_year + params.outreach_value * np.log1p(value / median)
    # one run per customer from sign-up, then one per order (orders: by customer, then time)
    pause = params.outreach_after_days
    following = np.full(len(orders), np.inf)  # the customer's next order, if any
    same = orders.customer[1:] == orders.customer[:-1]
    following[:-1][same] = orders.t[1:][same]
    who = np.concatenate([np.arange(n), orders.customer])
    start = np.floor(np.concatenate([people.signup, orders.t])) + 1.0
    stop = np.concatenate(
        [np.minimum(people.first, people.signup + pause), np.minimum(following, orders.t + pause)]
    )
    rate = np.concatenate([np.full(n, params.outreach_per_year), per_year[orders.customer]])
    span = np.maximum(np.minimum(stop, cal.horizon) - start, 0.0)
    run = np.repeat(np.arange(len(span)), rng.poisson(rate * span / 365.0))
    customer = who[run]
    t = start[run] + rng.random(len(run)) * span[run]
    u = rng.random(len(customer))
    channel = np.where(
        value[customer] >= top_cut,
        _pick(_weights(INTERACTION_CHANNELS, OUTREACH_MIX_TOP), u),
        _pick(_weights(INTERACTION_CHANNELS, OUTREACH_MIX), u),
    )
    return Touches(
        customer=customer,
        t=with_time_of_day(t, BUSINESS_HOURS),
        channel=channel,
        kind=np.full(len(customer), _index(INTERACTION_KINDS, "outreach")),
        outbound=np.ones(len(customer), dtype=bool),
    )


def inquiries(
    rng: np.random.Generator, people: People, orders: Orders, cal: Calendar, params: DemoParams
) -> Touches:
    """Inbound inquiries: some before an order, some from prospects soon after sign-up."""
    order = np.flatnonzero(rng.random(len(orders)) < params.inquiry_rate)
    customer = orders.customer[order]
    t = orders.t[order] - rng.exponential(1.5, len(order))
    keep = t > people.signup[customer]
    customer, t = customer[keep], t[keep]
    prospects = np.flatnonzero(~np.isfinite(people.first))
    asking = prospects[rng.random(len(prospects)) < params.prospect_inquiry]
    t_prospect = people.signup[asking] + rng.exponential(7.0, len(asking))
    inside = t_prospect < cal.horizon
    customer = np.concatenate([customer, asking[inside]])
    t = np.concatenate([t, t_prospect[inside]])
    return Touches(
        customer=customer,
        t=with_time_of_day(t, CONSUMER_HOURS, cal),
        channel=_draw(rng, INTERACTION_CHANNELS, INQUIRY_MIX, len(t)),
        kind=np.full(len(t), _index(INTERACTION_KINDS, "inquiry")),
        outbound=np.zeros(len(t), dtype=bool),
    )


def complaint_touches(
    rng: np.random.Generator, feedback: Feedback, cal: Calendar, params: DemoParams
) -> tuple[Touches, Touches]:
    """Each complaint as an inbound interaction on its channel, and the outbound follow-ups
    (phone or WeChat, some hours later) after `follow_up_rate` of them."""
    is_complaint = feedback.kind == _index(FEEDBACK_KINDS, "complaint")
    customer = feedback.customer[is_complaint]
    t = feedback.submitted[is_complaint]
    same_channel = np.array([_index(INTERACTION_CHANNELS, code) for code, _ in FEEDBACK_CHANNELS])
    n = len(t)
    inbound = Touches(
        customer=customer,
        t=t,
        channel=same_channel[feedback.channel[is_complaint]],
        kind=np.full(n, _index(INTERACTION_KINDS, "complaint")),
        outbound=np.zeros(n, dtype=bool),
    )
    chosen = np.flatnonzero(rng.random(n) < params.follow_up_rate)
    t_follow = t[chosen] + _lognormal(rng, 20.0, 0.8, len(chosen)) / 24
    inside = t_follow < cal.horizon
    chosen, t_follow = chosen[inside], t_follow[inside]
    follow_up = Touches(
        customer=customer[chosen],
        t=t_follow,
        channel=_draw(rng, INTERACTION_CHANNELS, FOLLOW_UP_MIX, len(chosen)),
        kind=np.full(len(chosen), _index(INTERACTION_KINDS, "follow_up")),
        outbound=np.ones(len(chosen), dtype=bool),
    )
    return inbound, follow_up


# ---------------------------------------------------------------------------------------------
# The four tables


def customers_frame(
    rng: np.random.Generator,
    people: People,
    referrers: np.ndarray,
    ids: pa.Array,
    cal: Calendar,
) -> pd.DataFrame:
    """The customers table: identity, sign-up, place, channel, cost, birthday, referrer."""
    n = len(people)
    surname = _choice(rng, [w for *_, w in SURNAMES], n)
    given = rng.integers(0, len(GIVEN_NAMES), n)
    combo = surname * len(GIVEN_NAMES) + given
    names = [s + g for s, _, _ in SURNAMES for g, _ in GIVEN_NAMES]
    handles = [f"{s}.{g}" for _, s, _ in SURNAMES for _, g in GIVEN_NAMES]
    number = pa.array(1_000 + rng.permutation(n)).cast(pa.string())
    email = pc.binary_join_element_wise(_take(handles, combo), number, "@example.com", "")
    city = _choice(rng, [w for *_, w in _CITY_TABLE], n)
    region = np.array([_index(REGIONS, region) for _, _, region, _ in _CITY_TABLE])[city]
    noise = np.exp(0.35 * rng.standard_normal(n) - 0.35**2 / 2)
    cost = np.round(_channel_profile(people.channel)["cost"] * noise, 2)
    return pd.DataFrame(
        {
            "customer_id": _text(ids),
            "name": _text(_take(names, combo)),
            "email": _text(email),
            "phone": _text(_phones(rng, n)),
            "signed_up_at": timestamps(cal, with_time_of_day(people.signup, CONSUMER_HOURS, cal)),
            "region": _labels(REGIONS, region),
            "city": _labels(CITIES, city),
            "acquisition_channel": _labels(CHANNELS, people.channel),
            "acquisition_cost": cost,
            "birth_date": _birth_dates(rng, n, cal),
            "referred_by": _text(ids.take(_nullable(referrers))),
        }
    )


def _phones(rng: np.random.Generator, n: int) -> pa.Array:
    """Fake mainland mobile numbers, 1[3-9] + 9 digits, all different: the last nine digits
    are an invertible scramble (x * 3**18 + c mod 10**9) of distinct numbers x."""
    second = pa.array(rng.integers(3, 10, n)).cast(pa.string())
    rest = (np.arange(n, dtype=np.int64) * 387_420_489 + rng.integers(0, 10**9)) % 10**9
    rest = pc.utf8_lpad(pa.array(rest).cast(pa.string()), 9, "0")
    return pc.binary_join_element_wise("1", second, rest, "")


def _birth_dates(rng: np.random.Generator, n: int, cal: Calendar) -> np.ndarray:
    """Birth dates for ~70% of customers (NaT for the rest), adults aged ~20-60 at `end`."""
    age_years = np.clip(18 + rng.gamma(3.0, 6.0, n), 18, 75)
    known = rng.random(n) < 0.7
    days = np.round(age_years * 365.25).astype(np.int64)
    birth = np.datetime64(cal.end, "D") - days.astype("timedelta64[D]")
    return np.where(known, birth, np.datetime64("NaT")).astype("datetime64[s]")


def transactions_frame(
    orders: Orders, refunds: Refunds, ids: pa.Array, cal: Calendar
) -> pd.DataFrame:
    """Orders and refund rows (negative amount, cost and quantity), ids in time order."""
    t = np.concatenate([orders.t, refunds.t])
    when = timestamps(cal, with_time_of_day(t, CONSUMER_HOURS, cal))
    sign = np.concatenate([np.ones(len(orders)), -np.ones(len(refunds.order))])
    rows = np.concatenate([np.arange(len(orders)), refunds.order])
    order = np.lexsort((np.arange(len(t)), when))
    rows, sign = rows[order], sign[order]
    return pd.DataFrame(
        {
            "transaction_id": _text(_ids("T", len(t), width=8)),
            "customer_id": _text(ids.take(orders.customer[rows])),
            "ordered_at": when[order],
            "amount": sign * orders.amount[rows],
            "cost": sign * orders.cost[rows],
            "quantity": sign * orders.quantity[rows],
            "product_category": _labels(CATEGORIES, orders.category[rows]),
            "channel": _labels(PURCHASE_CHANNELS, orders.channel[rows]),
        }
    )


def interactions_frame(touches: Touches, ids: pa.Array, cal: Calendar) -> pd.DataFrame:
    """The interactions table, ids in time order."""
    when = timestamps(cal, touches.t)
    order = np.lexsort((np.arange(len(when)), when))
    return pd.DataFrame(
        {
            "interaction_id": _text(_ids("I", len(when), width=8)),
            "customer_id": _text(ids.take(touches.customer[order])),
            "occurred_at": when[order],
            "channel": _labels(INTERACTION_CHANNELS, touches.channel[order]),
            "kind": _labels(INTERACTION_KINDS, touches.kind[order]),
            "direction": _labels(DIRECTIONS, touches.outbound[order].astype(np.int64)),
        }
    )


def feedback_frame(feedback: Feedback, ids: pa.Array, cal: Calendar) -> pd.DataFrame:
    """The feedback table, ids in time order; csat and nps only on surveys."""
    when = timestamps(cal, feedback.submitted)
    order = np.lexsort((np.arange(len(when)), when))
    survey = feedback.kind[order] == _index(FEEDBACK_KINDS, "survey")
    resolved = feedback.resolved[order]
    open_ = np.isnan(resolved)
    return pd.DataFrame(
        {
            "feedback_id": _text(_ids("F", len(when), width=8)),
            "customer_id": _text(ids.take(feedback.customer[order])),
            "submitted_at": when[order],
            "kind": _labels(FEEDBACK_KINDS, feedback.kind[order]),
            "csat": pd.arrays.IntegerArray(feedback.csat[order].astype(np.int64), ~survey),
            "nps": pd.arrays.IntegerArray(feedback.nps[order].astype(np.int64), ~survey),
            "category": _labels(FEEDBACK_CATEGORIES, feedback.category[order]),
            "channel": _labels(FEEDBACK_CHANNELS, feedback.channel[order]),
            "resolved_at": np.where(
                open_, np.datetime64("NaT"), timestamps(cal, np.where(open_, 0.0, resolved))
            ),
        }
    )


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    """prefix + 1..n zero-padded to `width` digits (wider when n needs it): T00000001."""
    width = max(width, len(str(n)))
    digits = pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _nullable(codes: np.ndarray) -> pa.Array:
    """Indices for `take`, null where negative."""
    codes = np.asarray(codes, dtype=np.int64)
    return pa.array(np.maximum(codes, 0), mask=codes < 0)


def _take(values: list[str], codes: np.ndarray) -> pa.Array:
    """values[code] for each code, null where the code is negative."""
    return pa.array(values, pa.string()).take(_nullable(codes))


def _labels(table: tuple[tuple[str, str], ...], codes: np.ndarray) -> pd.Series:
    """The English code or name of table[code] for each code, as a text column."""
    return _text(_take([code for code, _ in table], codes))


def _text(values: pa.Array) -> pd.Series:
    return pd.Series(values, dtype="str")
