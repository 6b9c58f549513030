"""The balance ledger: every change to every balance, in time order, never below zero.

Purchases, sales and refunds come from the orders. Top-ups are then added where a user's running
balance would otherwise go short (rounded up to $50, just before the spend), and a few sellers
withdraw part of what they earned, never more than their lowest later balance.
"""

from dataclasses import dataclass

import numpy as np

from .arrays import group_numbers, grouped_cummin, grouped_cumsum, grouped_suffix_min, is_group_last
from .commerce import Orders
from .people import BUYER_ID, People
from .promotions import Promotions
from .timeline import DAY, HOUR, MINUTE, Timeline

KINDS = ("top_up", "sale", "refund", "purchase", "sale_refund", "withdrawal")
TOP_UP, SALE, REFUND, PURCHASE, SALE_REFUND, WITHDRAWAL = range(len(KINDS))  # also the order within a second
NO_PURCHASE = -1
TOP_UP_STEP = 5_000  # top-ups are whole multiples of $50
WELCOME_AMOUNTS = np.array([2_000, 5_000, 10_000, 20_000, 50_000])
WELCOME_SHARE = 0.6
WITHDRAWING_SHARE = 0.3  # of sellers
DEMO_BUYER_BALANCE = 100_000  # the demo buyer ends with at least $1,000 to spend


@dataclass(frozen=True)
class Ledger:
    """Ledger rows (indexed by id - 1) and each user's final balance."""

    user: np.ndarray
    kind: np.ndarray  # index into KINDS
    amount: np.ndarray  # cents
    balance_after: np.ndarray
    purchase: np.ndarray  # purchase id or NO_PURCHASE
    created: np.ndarray
    balances: np.ndarray  # per user, indexed by id - 1


def _events(**columns: np.ndarray) -> dict[str, np.ndarray]:
    """A column dict with every column as int64."""
    return {name: np.asarray(values, dtype=np.int64) for name, values in columns.items()}


def _concat(*parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Stack event dicts that have the same columns."""
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _take(events: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    """The events at the given positions, in that order."""
    return {name: values[index] for name, values in events.items()}


def _order_events(orders: Orders, promotions: Promotions) -> dict[str, np.ndarray]:
    """Purchase debits (what was paid in money), one sale credit per (purchase, seller) for the sellers'
    proceeds, and both sides of each cancellation; none for nothing (a ledger amount is never zero)."""
    purchase_ids = np.arange(1, len(orders.purchase_buyer) + 1)
    proceeds, paid = promotions.line_proceeds, promotions.line_paid
    # Lines are sorted by purchase then seller, so each (purchase, seller) is one run.
    runs = group_numbers(orders.line_purchase * (int(orders.line_seller.max(initial=0)) + 1) + orders.line_seller)
    last = is_group_last(runs)
    sale_amounts = grouped_cumsum(proceeds, runs)[last]
    cancelled = orders.line_is_cancelled
    count, sales, refunds = len(purchase_ids), int(last.sum()), int(cancelled.sum())
    events = _concat(
        _events(
            user=orders.purchase_buyer,
            kind=np.full(count, PURCHASE),
            amount=-promotions.purchase_paid,
            purchase=purchase_ids,
            created=orders.purchase_created,
        ),
        _events(
            user=orders.line_seller[last],
            kind=np.full(sales, SALE),
            amount=sale_amounts,
            purchase=orders.line_purchase[last],
            created=orders.line_ordered[last],
        ),
        _events(
            user=orders.line_buyer[cancelled],
            kind=np.full(refunds, REFUND),
            amount=paid[cancelled],
            purchase=orders.line_purchase[cancelled],
            created=orders.line_cancelled[cancelled],
        ),
        _events(
            user=orders.line_seller[cancelled],
            kind=np.full(refunds, SALE_REFUND),
            amount=-proceeds[cancelled],
            purchase=orders.line_purchase[cancelled],
            created=orders.line_cancelled[cancelled],
        ),
    )
    return _take(events, np.flatnonzero(events["amount"] != 0))


def _welcome_top_ups(people: People, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A first top-up soon after registering, for most users."""
    users = np.flatnonzero(rng.random(people.count) < WELCOME_SHARE) + 1
    delay = MINUTE + (rng.random(len(users)) * 3 * DAY).astype(np.int64)
    return _events(
        user=users,
        kind=np.full(len(users), TOP_UP),
        amount=rng.choice(WELCOME_AMOUNTS, size=len(users)),
        purchase=np.full(len(users), NO_PURCHASE),
        created=people.created_at[users - 1] + delay,
    )


def _sorted_with_steps(events: dict[str, np.ndarray], step_size: int) -> dict[str, np.ndarray]:
    """Events sorted per user by time and kind, with a per-user position spaced `step_size` apart."""
    order = np.lexsort((events["purchase"], events["kind"], events["created"], events["user"]))
    events = _take(events, order)
    events["step"] = np.arange(len(order), dtype=np.int64) * step_size + 1
    return events


def _needed_top_ups(events: dict[str, np.ndarray], people: People, rng) -> dict[str, np.ndarray]:
    """Top-ups just before each spend that would take a balance below zero."""
    groups = group_numbers(events["user"])
    deficit = np.maximum(-grouped_cummin(grouped_cumsum(events["amount"], groups), groups), 0)
    cushion = rng.choice(np.array([0, 2_000, 5_000, 10_000]), size=people.count)[events["user"] - 1]
    # Cumulative top-ups needed by each event, rounded up to $50 with a per-user cushion; rising.
    needed = np.where(deficit > 0, -(-(deficit + cushion) // TOP_UP_STEP) * TOP_UP_STEP, 0)
    first = np.concatenate(([True], groups[1:] != groups[:-1]))
    earlier = np.where(first, 0, np.concatenate(([0], needed[:-1])))
    amount = needed - earlier
    at = np.flatnonzero(amount > 0)
    registered = people.created_at[events["user"][at] - 1]
    previous = np.where(first[at], registered, events["created"][np.maximum(at - 1, 0)])
    lead = (5 * MINUTE + rng.random(len(at)) * 2 * HOUR).astype(np.int64)
    return _events(
        user=events["user"][at],
        kind=np.full(len(at), TOP_UP),
        amount=amount[at],
        purchase=np.full(len(at), NO_PURCHASE),
        created=np.maximum(previous, events["created"][at] - lead),
        step=events["step"][at] - 1,
    )


def _merge(events: dict[str, np.ndarray], extra: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Both sets of events in per-user step order, with running balances."""
    merged = _concat({name: values for name, values in events.items() if name != "balance"}, extra)
    merged = _take(merged, np.lexsort((merged["step"], merged["user"])))
    merged["balance"] = grouped_cumsum(merged["amount"], group_numbers(merged["user"]))
    return merged


def _withdrawals(events: dict[str, np.ndarray], people: People, timeline: Timeline, rng) -> dict[str, np.ndarray]:
    """One withdrawal for some sellers, after a random non-top-up event, never more than their lowest later balance."""
    groups = group_numbers(events["user"])
    headroom = grouped_suffix_min(events["balance"], groups)
    withdrawing = people.is_seller & (rng.random(people.count) < WITHDRAWING_SHARE)
    candidates = withdrawing[events["user"] - 1] & (events["kind"] != TOP_UP) & (headroom >= 2_000)
    # A random candidate per user: the largest random key wins within each user's run.
    keys = np.where(candidates, rng.random(len(groups)), -1.0)
    order = np.lexsort((keys, groups))
    last = is_group_last(groups[order])
    at = order[last]
    at = at[keys[at] >= 0]
    amount = (headroom[at] * rng.uniform(0.3, 0.8, len(at)) // 100 * 100).astype(np.int64)
    following = np.where(
        is_group_last(groups)[at], timeline.now, events["created"][np.minimum(at + 1, len(groups) - 1)]
    )
    created = events["created"][at] + np.minimum(HOUR, (following - events["created"][at]) // 2)
    return _events(
        user=events["user"][at],
        kind=np.full(len(at), WITHDRAWAL),
        amount=-amount,
        purchase=np.full(len(at), NO_PURCHASE),
        created=created,
        step=events["step"][at] + 1,
    )


def _demo_buyer_top_up(events: dict[str, np.ndarray], timeline: Timeline) -> dict[str, np.ndarray]:
    """A last top-up so the demo buyer has money to try checkout with."""
    mine = events["user"] == BUYER_ID
    balance = int(events["balance"][mine][-1]) if mine.any() else 0
    amount = max(0, -(-(DEMO_BUYER_BALANCE - balance) // TOP_UP_STEP) * TOP_UP_STEP)
    count = 1 if amount > 0 else 0
    return _events(
        user=np.full(count, BUYER_ID),
        kind=np.full(count, TOP_UP),
        amount=np.full(count, amount),
        purchase=np.full(count, NO_PURCHASE),
        created=np.full(count, timeline.now - HOUR),
        step=np.full(count, int(events["step"].max(initial=0)) + 1),
    )


def make_ledger(
    people: People, orders: Orders, promotions: Promotions, timeline: Timeline, rng: np.random.Generator
) -> Ledger:
    """Write every user's ledger and work out their balances."""
    events = _sorted_with_steps(_concat(_order_events(orders, promotions), _welcome_top_ups(people, rng)), step_size=4)
    events = _merge(events, _needed_top_ups(events, people, rng))
    events = _merge(events, _withdrawals(events, people, timeline, rng))
    events = _merge(events, _demo_buyer_top_up(events, timeline))
    balances = np.zeros(people.count, dtype=np.int64)
    last = is_group_last(group_numbers(events["user"]))
    balances[events["user"][last] - 1] = events["balance"][last]
    # Ids follow time; a user's rows keep their step order within one second.
    order = np.lexsort((events["step"], events["user"], events["created"]))
    events = _take(events, order)
    return Ledger(
        user=events["user"],
        kind=events["kind"],
        amount=events["amount"],
        balance_after=events["balance"],
        purchase=events["purchase"],
        created=events["created"],
        balances=balances,
    )
