"""Revenue: subscriptions and invoices, and the finance around them (spend, costs, budgets, cash).

Billing is a per-customer state machine (free -> trial -> paid -> up/downgrade, past due, cancel,
churn, reactivation) whose periods abut, so MRR movements add up. Marketing spend is derived from
the same expected signups as the users, so CAC by channel means something, and cash is revenue in
minus costs out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from nexus_pipelines.generator.columns import DAY, NULL, Cat, Table, ids, ranges, text
from nexus_pipelines.generator.world import (
    CHANNEL_SHARE,
    CHANNELS,
    PLANS,
    PRODUCT_IDS,
    PRODUCTS,
    Clock,
    Users,
    World,
)

_MONTHLY_PRICE = np.array([0, 1900, 4900, 14900])  # cents per PLANS; an annual plan costs 10 months
_TAX_RATE = np.array([0, 20, 19, 20, 21, 21, 22, 25, 23, 5, 10, 18, 0, 10]) / 100  # per COUNTRIES
_CHANNEL_COST_PER_SIGNUP = np.array([0.0, 60.0, 48.0, 9.0, 12.0, 20.0])  # EUR per CHANNELS
# channel (index or -1), campaign, vendor, share of the channel's spend
_SPEND_LINES = (
    (1, "search_generic", "google_ads", 0.6),
    (1, "search_competitor", "google_ads", 0.4),
    (2, "social_prospecting", "meta_ads", 0.7),
    (2, "social_retargeting", "meta_ads", 0.3),
    (3, "referral_rewards", "referral_program", 1.0),
    (4, "creator_partnerships", "creator_network", 1.0),
    (5, "seo_articles", "content_agency", 1.0),
    (-1, "brand_awareness", "brand_agency", 1.0),
    (-1, None, "events_company", 1.0),
)
_VENDORS = sorted({x[2] for x in _SPEND_LINES})
_CATEGORIES = ("infrastructure", "marketing", "team", "tools")


class _Periods(NamedTuple):
    """Subscription periods sorted by customer and start; ended is NULL while open."""

    customer: np.ndarray
    number: np.ndarray  # 0, 1, ... per customer
    subscription: np.ndarray
    plan: np.ndarray
    yearly: np.ndarray
    status: np.ndarray  # index into trialing, active, past_due, canceled
    started: np.ndarray
    ended: np.ndarray


class _Receipts(NamedTuple):
    """Invoiced amounts by issue time; refunds are negative."""

    issued: np.ndarray
    amount: np.ndarray


def tables(world: World) -> Iterator[Table]:
    """Two streams, each shared by its tables in this order: billing, then money."""
    c, u = world.clock, world.users
    billing = world.rng("billing")
    periods = _periods(billing, c, u)
    yield _subscription_periods(periods)
    invoices, receipts = _invoices(billing, c, u, periods)
    yield invoices
    money = world.rng("money")
    spend, marketing = _marketing_spend(money, c, world.signup_rate, world.scale)
    yield spend
    costs, actual = _costs(money, world, marketing)
    yield costs
    yield _budgets(money, c, actual)
    yield _cash_balances(c, receipts, actual, world.scale)


def _periods(rng: np.random.Generator, c: Clock, u: Users) -> _Periods:
    """A per-customer state machine stepped for all customers at once; periods abut."""
    n = u.signup.size
    free, trial, paid, past_due, canceled, churned, done = range(7)
    month = int(30.44 * DAY)
    state = np.where(u.plan > 0, trial, free)
    plan = u.plan.copy()
    yearly = np.zeros(n, bool)
    time = u.signup.copy()
    subscription = np.ones(n, np.int64)
    period_no = np.zeros(n, np.int64)
    may_trial = np.ones(n, bool)
    try_p = np.clip(0.04 + 0.22 * u.activated + 0.30 * u.long_lived, 0, 0.9)
    convert_p = np.clip(0.12 + 0.25 * u.activated + 0.30 * u.long_lived, 0, 0.85)
    out: list[tuple[np.ndarray, ...]] = []
    active = np.arange(n)
    while active.size:
        st, m = state[active], active.size
        r = rng.random(m)
        duration = np.full(m, 10 * c.end, np.int64)  # "forever"
        nxt, new_plan, new_yearly = np.full(m, done), plan[active].copy(), yearly[active].copy()

        is_free = st == free
        goes = is_free & may_trial[active] & (r < try_p[active])
        duration[goes] = (DAY + rng.exponential(45 * DAY, m)).astype(np.int64)[goes]
        nxt[goes] = trial
        new_plan[goes] = rng.choice([1, 2, 3], m, p=[0.55, 0.35, 0.10])[goes]

        is_trial = st == trial
        converts = r < convert_p[active]
        duration[is_trial] = 14 * DAY
        nxt[is_trial] = np.where(converts, paid, free)[is_trial]
        new_plan[is_trial & ~converts] = 0
        new_yearly[is_trial] = (converts & (rng.random(m) < 0.2))[is_trial]
        may_trial[active[is_trial & ~converts]] = False

        is_paid = st == paid
        is_year = yearly[active]
        months = np.where(is_year, 12 * rng.geometric(0.45, m), rng.exponential(12.0, m) + 0.3)
        duration[is_paid] = (months * month).astype(np.int64)[is_paid]
        up = np.where(is_year, r < 0.15, r < 0.18) & (plan[active] < 3)
        down = ~is_year & (r >= 0.18) & (r < 0.30) & (plan[active] > 1)
        to_past_due = ~is_year & (r >= 0.30) & (r < 0.42)
        switch = np.where(is_year, (r >= 0.15) & (r < 0.35), (r >= 0.42) & (r < 0.47))
        leaves = ~(up | down | to_past_due | switch)
        cancels_first = rng.random(m) < 0.4
        outcome = [up | down | switch, to_past_due, leaves & cancels_first]
        nxt[is_paid] = np.select(outcome, [paid, past_due, canceled], churned)[is_paid]
        new_plan[is_paid & up] += 1
        new_plan[is_paid & down] -= 1
        new_yearly[is_paid & switch] = ~is_year[is_paid & switch]

        is_due = st == past_due
        duration[is_due] = rng.integers(3 * DAY, 14 * DAY, m)[is_due]
        nxt[is_due] = np.where(r < 0.7, paid, churned)[is_due]

        is_canceled = st == canceled
        duration[is_canceled] = rng.integers(DAY, 30 * DAY, m)[is_canceled]
        nxt[is_canceled] = churned

        # Churned customers emit no period; some come back months later on a new subscription.
        is_churned = st == churned
        returns = is_churned & (r < 0.15)
        duration[returns] = (30 * DAY + rng.exponential(120 * DAY, m)).astype(np.int64)[returns]
        nxt[returns] = paid
        new_plan[returns] = rng.choice([1, 2, 3], m, p=[0.5, 0.4, 0.1])[returns]
        new_yearly[returns] = False
        subscription[active[returns]] += 1

        emits = ~is_churned
        ends = time[active] + duration
        open_ = ends >= c.end
        status = np.select([is_trial, is_due, is_canceled], [0, 2, 3], 1)
        e = active[emits]
        out.append(
            (
                e,
                period_no[e],
                subscription[e],
                plan[e],
                yearly[e],
                status[emits],
                time[e],
                np.where(open_, NULL, ends)[emits],
            )
        )
        period_no[e] += 1
        state[active], plan[active], yearly[active] = nxt, new_plan, new_yearly
        time[active] = ends
        active = active[~open_ & (nxt != done)]

    periods = _Periods(*(np.concatenate(x) for x in zip(*out, strict=True)))
    order = np.lexsort((periods.started, periods.customer))
    return _Periods(*(x[order] for x in periods))


def _subscription_periods(periods: _Periods) -> Table:
    cust, number, sub, plan_, year, status, started, ended = periods
    amount = np.where(year, np.round(_MONTHLY_PRICE[plan_] * 10 / 12), _MONTHLY_PRICE[plan_])
    return Table(
        "subscription_periods",
        {
            "period_id": text("per_", cust + 1, "_", number + 1),
            "subscription_id": text("sub_", cust + 1, "_", sub),
            "customer_id": cust + 1,
            "plan": Cat(plan_, PLANS),
            "billing_interval": Cat(year.astype(np.int8), ("month", "year")),
            "monthly_amount": amount.astype(np.int64),
            "status": Cat(status, ("trialing", "active", "past_due", "canceled")),
            "started_at": started,
            "ended_at": ended,
        },
    )


def _invoices(
    rng: np.random.Generator, c: Clock, u: Users, periods: _Periods
) -> tuple[Table, _Receipts]:
    """A subscription invoice per billing cycle of paid periods, plus one-offs and refunds."""
    cust, _, _, plan, year, status, started, ended = periods
    billed = (plan > 0) & ((status == 1) | (status == 2))
    cycle = np.where(year, 365 * DAY, int(30.44 * DAY))
    stop = np.where(ended == NULL, c.end, ended)
    count = np.where(status == 2, 1, -(-(stop - started) // cycle))
    count = np.where(billed, np.maximum(count, 1), 0)
    period = np.repeat(np.arange(cust.size), count)
    issued = started[period] + ranges(count) * cycle[period]
    who = cust[period]
    amount = np.where(year[period], _MONTHLY_PRICE[plan[period]] * 10, _MONTHLY_PRICE[plan[period]])
    kind = np.zeros(who.size, np.int8)

    payers = np.unique(who)
    one_off = payers[rng.random(payers.size) < 0.04]
    first_paid = u.signup[one_off] + rng.integers(DAY, 40 * DAY, one_off.size)
    one_amount = rng.choice([25000, 50000, 150000], one_off.size, p=[0.5, 0.35, 0.15])
    refunded = rng.random(who.size) < 0.025
    refund_amount = np.where(rng.random(who.size) < 0.6, amount, amount // 2)[refunded]
    refund_time = issued[refunded] + rng.integers(DAY, 10 * DAY, int(refunded.sum()))

    who = np.concatenate([who, one_off, who[refunded]])
    issued = np.concatenate([issued, first_paid, refund_time])
    amount = np.concatenate([amount, one_amount, refund_amount]).astype(np.int64)
    kind = np.concatenate([kind, np.full(one_off.size, 1), np.full(refund_time.size, 2)])
    keep = issued < c.end
    who, issued, amount, kind = who[keep], issued[keep], amount[keep], kind[keep]
    order = np.lexsort((kind, who, issued))
    who, issued, amount, kind = who[order], issued[order], amount[order], kind[order]
    tax = np.round(amount * _TAX_RATE[u.country[who]]).astype(np.int64)
    table = Table(
        "invoices",
        {
            "invoice_id": ids("inv_", np.arange(1, who.size + 1), 8),
            "customer_id": who + 1,
            "issued_at": issued,
            "kind": Cat(kind, ("subscription", "one_off", "refund")),
            "amount": amount,
            "tax_amount": tax,
        },
    )
    return table, _Receipts(issued, np.where(kind == 2, -amount, amount))


def _marketing_spend(
    rng: np.random.Generator, c: Clock, expected: np.ndarray, scale: float
) -> tuple[Table, np.ndarray]:
    """Spend follows expected signups; also returns it per month and vendor for the costs."""
    days = np.arange(c.days)
    per_line = []
    for channel, _, _, share in _SPEND_LINES[:-2]:
        cpa = _CHANNEL_COST_PER_SIGNUP[channel]
        per_line.append(expected * CHANNEL_SHARE[channel] * cpa * share)
    per_line.append(0.15 * np.sum(per_line, axis=0))  # brand: no channel can claim it
    per_line.append(np.where(c.day_of_month(days) == 15, 4000.0 * scale, 0.0))
    spend = np.array(per_line) * rng.lognormal(0, 0.2, (len(_SPEND_LINES), c.days))
    cents = np.round(spend * 100).astype(np.int64)
    line, day = np.nonzero(cents > 0)
    order = np.lexsort((line, day))
    line, day = line[order], day[order]
    amount = cents[line, day]
    line_channel = np.array([x[0] for x in _SPEND_LINES])
    named = np.array([x[1] is not None for x in _SPEND_LINES])
    campaigns = [x[1] or "" for x in _SPEND_LINES]
    table = Table(
        "marketing_spend",
        {
            "spend_id": ids("sp_", np.arange(1, day.size + 1), 7),
            "spend_date": c.day0 + day,
            "channel": Cat(line_channel[line], CHANNELS),
            "campaign": Cat(np.where(named, np.arange(len(_SPEND_LINES)), -1)[line], campaigns),
            "amount": amount,
        },
    )

    months = c.months()
    month_of_day = np.searchsorted(months, days, side="right") - 1
    vendor_of_line = np.array([_VENDORS.index(x[2]) for x in _SPEND_LINES])
    counted = month_of_day[day] >= 0
    marketing = np.zeros((months.size, len(_VENDORS)), np.int64)
    np.add.at(
        marketing, (month_of_day[day][counted], vendor_of_line[line][counted]), amount[counted]
    )
    return table, marketing


def _costs(
    rng: np.random.Generator, world: World, marketing: np.ndarray
) -> tuple[Table, np.ndarray]:
    """Monthly costs per category and vendor; also returns their total per month and category."""
    c, staff, scale = world.clock, world.staff, world.scale
    launch, sunset = world.launch, world.sunset
    months = c.months()
    staff_months = staff.employed(months).sum(axis=0)
    alive = _alive_by_product(world.users, months)
    # category, vendor, product index (-1 = shared), EUR per month; marketing comes from the spend
    items: list[tuple[int, str, int, np.ndarray]] = []
    for p in range(len(PRODUCTS)):
        launched = (months >= launch[p]) & (months < sunset[p] + 60)
        items.append((0, "aws", p, launched * (800 * scale + 0.6 * alive[:, p])))
        items.append((2, "contractors", p, launched * 6000.0))
    total_alive = alive.sum(axis=1)
    items += [
        (0, "aws", -1, 1500 * scale + 0.3 * total_alive),
        (0, "cloudflare", -1, np.full(months.size, 300 + 200 * scale)),
        (2, "payroll", -1, staff_months * 5200.0),
        (3, "github", -1, staff_months * 21.0),
        (3, "slack", -1, staff_months * 8.0),
        (3, "datadog", -1, 400 * scale + 0.05 * total_alive),
        (3, "zendesk", -1, np.full(months.size, 300 + 600 * scale)),
        (3, "hubspot", -1, np.full(months.size, 800.0)),
    ]
    cat, vendor, product, month_idx, value = [], [], [], [], []
    for category, name, p, base in items:
        cents_ = np.round(base * rng.lognormal(0, 0.05, months.size) * 100).astype(np.int64)
        used = np.flatnonzero(cents_ > 0)
        cat.append(np.full(used.size, category))
        vendor.append(np.full(used.size, name, dtype=object))
        product.append(np.full(used.size, p))
        month_idx.append(used)
        value.append(cents_[used])
    m_idx, v_idx = np.nonzero(marketing)
    cat.append(np.full(m_idx.size, 1))
    vendor.append(np.array(_VENDORS, dtype=object)[v_idx])
    product.append(np.full(m_idx.size, -1))
    month_idx.append(m_idx)
    value.append(marketing[m_idx, v_idx])
    cat_, vendor_, product_, month_, value_ = (
        np.concatenate(x) for x in (cat, vendor, product, month_idx, value)
    )
    order = np.lexsort((cat_, month_))
    cat_, vendor_, product_, month_, value_ = (
        x[order] for x in (cat_, vendor_, product_, month_, value_)
    )
    table = Table(
        "costs",
        {
            "cost_id": ids("cost_", np.arange(1, cat_.size + 1), 6),
            "month": c.day0 + months[month_],
            "category": Cat(cat_, _CATEGORIES),
            "vendor": vendor_,
            "product_id": Cat(product_, PRODUCT_IDS),
            "amount": value_,
        },
    )

    actual = np.zeros((months.size, 4), np.int64)
    np.add.at(actual, (month_, cat_), value_)
    return table, actual


def _budgets(rng: np.random.Generator, c: Clock, actual: np.ndarray) -> Table:
    """Actuals with planning error (some months over), and the next three months."""
    months = c.months()
    future = c.months(extra=3)
    future = future[future >= c.days]
    trend = actual[-2:].max(axis=0)  # the last month may be partial
    planned = np.vstack(
        [actual * rng.uniform(0.9, 1.12, actual.shape)]
        + [trend * 1.04 ** (k + 1) for k in range(future.size)]
    )
    planned = (np.round(planned / 10000) * 10000).astype(np.int64)
    budget_months = np.concatenate([months, future])
    return Table(
        "budgets",
        {
            "month": np.repeat(c.day0 + budget_months, 4),
            "category": Cat(np.tile(np.arange(4), budget_months.size), _CATEGORIES),
            "amount": planned.reshape(-1),
        },
    )


def _cash_balances(c: Clock, receipts: _Receipts, actual: np.ndarray, scale: float) -> Table:
    """Cash at the start of the window and of every month: revenue in, costs out."""
    months = c.months()
    dates = c.snapshot_days()
    issued, revenue = receipts
    received = np.concatenate([[0], np.cumsum(revenue[np.argsort(issued)])])
    cash_in = received[np.searchsorted(np.sort(issued), c.t0 + dates * DAY)]
    spent = np.concatenate([[0], np.cumsum(actual.sum(axis=1))])
    cash_out = spent[np.searchsorted(months, dates)]
    opening = round(3_000_000 + 2_000_000 * scale) * 100
    return Table(
        "cash_balances",
        {"as_of_date": c.day0 + dates, "cash_amount": opening + cash_in - cash_out},
    )


def _alive_by_product(u: Users, months: np.ndarray) -> np.ndarray:
    """Users alive at each month start per product (drives infrastructure cost)."""
    end_day = u.day + u.life
    alive = (u.day[None, :] <= months[:, None]) & (end_day[None, :] >= months[:, None])
    return np.stack([(alive & (u.product == p)).sum(axis=1) for p in range(len(PRODUCTS))], 1)
