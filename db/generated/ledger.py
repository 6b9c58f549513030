"""The balance ledger: every change to every balance, in time order, never below zero.

Each user has two accounts: available (users.balance) and pending (users.pending_balance, the
sellers' money held in escrow until delivery). Purchases debit available; sales credit pending;
refunds of cancelled and returned lines go from the seller's pending to the buyer's available;
releases move a delivered line's money, past its return window, from pending to available; a
shipment's fee follows its last line (journey.py). Top-ups are then added where a user's running
available balance would otherwise go short (rounded up to $50, just before the spend), and a few
sellers withdraw part of what is available, never more than their lowest later balance.
"""

from dataclasses import dataclass

import numpy as np

from .arrays import group_numbers, grouped_cummin, grouped_cumsum, grouped_suffix_min, is_group_last
from .commerce import Orders
from .journey import CANCELLED, REFUNDED, Journey
from .people import BUYER_ID, People
from .promotions import Promotions
from .timeline import DAY, HOUR, MINUTE, NO_TIME, Timeline

KINDS = ("top_up", "sale", "refund", "purchase", "sale_refund", "withdrawal", "release", "adjustment")
# Also the order within a second; an adjustment is an administrator's, with a note (console.py adds them last).
TOP_UP, SALE, REFUND, PURCHASE, SALE_REFUND, WITHDRAWAL, RELEASE, ADJUSTMENT = range(len(KINDS))
ACCOUNTS = ("available", "pending")
AVAILABLE, PENDING = range(len(ACCOUNTS))
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
    account: np.ndarray  # index into ACCOUNTS
    amount: np.ndarray  # cents
    balance_after: np.ndarray  # of the row's account
    purchase: np.ndarray  # purchase id or NO_PURCHASE
    created: np.ndarray
    balances: np.ndarray  # available, per user, indexed by id - 1
    pending_balances: np.ndarray  # pending, per user
    note: np.ndarray  # COPY-escaped, "" for none (only adjustments have one)


def _events(**columns: np.ndarray) -> dict[str, np.ndarray]:
    """A column dict with every column as int64, on the available account unless it says otherwise;
    `wallet` (user and account) is what running balances group by."""
    events = {name: np.asarray(values, dtype=np.int64) for name, values in columns.items()}
    events.setdefault("account", np.full(len(events["user"]), AVAILABLE, dtype=np.int64))
    events["wallet"] = events["user"] * len(ACCOUNTS) + events["account"]
    return events


def _concat(*parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Stack event dicts that have the same columns."""
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _take(events: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    """The events at the given positions, in that order."""
    return {name: values[index] for name, values in events.items()}


def _order_events(orders: Orders, promotions: Promotions, journey: Journey) -> dict[str, np.ndarray]:
    """Purchase debits (what was paid in money, fees included), one sale credit per (purchase, seller)
    to the seller's pending account for their proceeds and fee, both sides of each refund, each
    release, and each settled fee; none for nothing (a ledger amount is never zero)."""
    purchase_ids = np.arange(1, len(orders.purchase_buyer) + 1)
    proceeds, paid = promotions.line_proceeds, promotions.line_paid
    # Lines are sorted by purchase then seller, so each (purchase, seller) is one run: a shipment.
    runs = group_numbers(orders.line_purchase * (int(orders.line_seller.max(initial=0)) + 1) + orders.line_seller)
    last = is_group_last(runs)
    sale_amounts = grouped_cumsum(proceeds, runs)[last] + journey.shipment_fee
    status = journey.lines.status
    refunded = (status == CANCELLED) | (status == REFUNDED)
    refunded_at = np.where(status == CANCELLED, orders.line_cancelled, journey.lines.refunded)[refunded]
    released = (journey.lines.released != NO_TIME) & (journey.line_held > 0)
    fee_settled = (journey.shipment_settled != NO_TIME) & (journey.shipment_fee > 0)
    fee_back, fee_kept = fee_settled & journey.shipment_refunded, fee_settled & ~journey.shipment_refunded
    fee_buyer = orders.purchase_buyer[journey.shipment_purchase - 1]
    count, sales = len(purchase_ids), int(last.sum())
    parts = [
        _events(
            user=orders.purchase_buyer,
            kind=np.full(count, PURCHASE),
            amount=-(promotions.purchase_paid + journey.purchase_fees),
            purchase=purchase_ids,
            created=orders.purchase_created,
        ),
        _events(
            user=orders.line_seller[last],
            kind=np.full(sales, SALE),
            account=np.full(sales, PENDING),
            amount=sale_amounts,
            purchase=orders.line_purchase[last],
            created=orders.line_ordered[last],
        ),
        _moves(orders.line_seller[refunded], orders.line_buyer[refunded], proceeds[refunded], paid[refunded],
               orders.line_purchase[refunded], refunded_at, SALE_REFUND, REFUND),
        _moves(orders.line_seller[released], orders.line_seller[released], journey.line_held[released],
               journey.line_held[released], orders.line_purchase[released], journey.lines.released[released],
               RELEASE, RELEASE),
        _moves(journey.shipment_seller[fee_back], fee_buyer[fee_back], journey.shipment_fee[fee_back],
               journey.shipment_fee[fee_back], journey.shipment_purchase[fee_back], journey.shipment_settled[fee_back],
               SALE_REFUND, REFUND),
        _moves(journey.shipment_seller[fee_kept], journey.shipment_seller[fee_kept], journey.shipment_fee[fee_kept],
               journey.shipment_fee[fee_kept], journey.shipment_purchase[fee_kept], journey.shipment_settled[fee_kept],
               RELEASE, RELEASE),
    ]  # fmt: skip
    events = _concat(*parts)
    return _take(events, np.flatnonzero(events["amount"] != 0))


def _moves(sellers, receivers, taken, given, purchases, times, taken_kind: int, given_kind: int) -> dict:
    """Money leaving sellers' pending accounts (`taken`) for an available account (`given`): a
    buyer's refund, or the seller's own release."""
    count = len(sellers)
    return _concat(
        _events(
            user=sellers,
            kind=np.full(count, taken_kind),
            account=np.full(count, PENDING),
            amount=-taken,
            purchase=purchases,
            created=times,
        ),
        _events(user=receivers, kind=np.full(count, given_kind), amount=given, purchase=purchases, created=times),
    )


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
    order = np.lexsort((events["purchase"], events["kind"], events["created"], events["wallet"]))
    events = _take(events, order)
    events["step"] = np.arange(len(order), dtype=np.int64) * step_size + 1
    return events


def _needed_top_ups(events: dict[str, np.ndarray], people: People, rng) -> dict[str, np.ndarray]:
    """Top-ups just before each spend that would take an available balance below zero (a pending one
    never goes short: its credits come first)."""
    groups = group_numbers(events["wallet"])
    deficit = np.maximum(-grouped_cummin(grouped_cumsum(events["amount"], groups), groups), 0)
    deficit = np.where(events["account"] == AVAILABLE, deficit, 0)
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
    merged = _take(merged, np.lexsort((merged["step"], merged["wallet"])))
    merged["balance"] = grouped_cumsum(merged["amount"], group_numbers(merged["wallet"]))
    return merged


def _withdrawals(events: dict[str, np.ndarray], people: People, timeline: Timeline, rng) -> dict[str, np.ndarray]:
    """One withdrawal for some sellers, from available money after a random non-top-up event, never more
    than their lowest later balance."""
    groups = group_numbers(events["wallet"])
    headroom = grouped_suffix_min(events["balance"], groups)
    withdrawing = people.is_seller & (rng.random(people.count) < WITHDRAWING_SHARE)
    candidates = withdrawing[events["user"] - 1] & (events["kind"] != TOP_UP) & (headroom >= 2_000)
    candidates &= events["account"] == AVAILABLE
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
    mine = (events["user"] == BUYER_ID) & (events["account"] == AVAILABLE)
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
    people: People,
    orders: Orders,
    promotions: Promotions,
    journey: Journey,
    timeline: Timeline,
    rng: np.random.Generator,
) -> Ledger:
    """Write every user's ledger and work out their balances, available and pending."""
    events = _concat(_order_events(orders, promotions, journey), _welcome_top_ups(people, rng))
    events = _sorted_with_steps(events, step_size=4)
    events = _merge(events, _needed_top_ups(events, people, rng))
    events = _merge(events, _withdrawals(events, people, timeline, rng))
    events = _merge(events, _demo_buyer_top_up(events, timeline))
    balances = np.zeros((people.count, len(ACCOUNTS)), dtype=np.int64)
    last = is_group_last(group_numbers(events["wallet"]))
    balances[events["user"][last] - 1, events["account"][last]] = events["balance"][last]
    # Ids follow time; an account's rows keep their step order within one second.
    order = np.lexsort((events["step"], events["wallet"], events["created"]))
    events = _take(events, order)
    return Ledger(
        user=events["user"],
        kind=events["kind"],
        account=events["account"],
        amount=events["amount"],
        balance_after=events["balance"],
        purchase=events["purchase"],
        created=events["created"],
        balances=balances[:, AVAILABLE],
        pending_balances=balances[:, PENDING],
        note=np.full(len(order), "", dtype=object),
    )
