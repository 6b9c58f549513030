"""What the console did to the demo's users, products and balances (reviews and feedback are
moderation.py's): a few suspended users, products taken down, the approval queue switched on for
a while (its products approved before anyone touched them, or still waiting), balance adjustments
through the ledger, and catalog renames and a move; each with its audit row.

Planned after every other stage, from the rows they made, so each action comes after everything
it would have stopped: a user is suspended after the last thing they did (bought, sold, shipped,
wrote, topped up, even what was done for them), a product taken down after its last sale, review
and cart line, and a queued product approved before its first. The app's rules then hold as its
code would leave them (app/models/admin_users.py, admin_products.py, admin_settings.py): held
offers are inactive, the product summaries (summaries.py) count only active offers, an adjustment
is the last row of its user's available account, and the staff act after they got their roles.
Counts stay small: a handful of each, whatever the scale.
"""

import random
from dataclasses import dataclass, replace

import numpy as np

from .carts import Carts
from .catalog import Catalog
from .commerce import Orders
from .journey import Journey
from .ledger import ADJUSTMENT, AVAILABLE, NO_PURCHASE, Ledger
from .messages import Messages
from .moderation import Moderation, audit_row
from .people import ADMIN_ID, BUYER_ID, DEMO_LOGINS, MODERATOR_ID, SELLER_ID, People
from .promotions import Promotions
from .reviews import Reviews
from .stock import Stock
from .texts import escape_copy
from .timeline import DAY, HOUR, MINUTE, NO_TIME, Timeline
from .vocabulary import DEPARTMENTS, all_categories

PRODUCT_STATUSES = ("listed", "pending", "taken_down")
LISTED, PENDING, TAKEN_DOWN = range(len(PRODUCT_STATUSES))
SUSPENDED_USERS = 2
QUIET_BEFORE_ACTION = 2 * DAY  # a user or product is acted on only after this long without activity
NEVER = np.iinfo(np.int64).max

SUSPEND_REASONS = (
    "Sold counterfeit goods: three buyers sent photos of the fakes.",
    "Asked buyers to pay outside Bazaar, by bank transfer.",
    "Ran several accounts to review their own products.",
)
TAKE_DOWN_REASONS = (
    "Counterfeit: the brand's rights holder wrote to us with proof.",
    "Recalled by the manufacturer for a safety fault.",
    "The pictures show another item than the one buyers receive.",
    "Sold as new, shipped used: several buyers sent photos.",
)
APPROVE_NOTES = (
    "Checked: the photos and the description match.",
    "A genuine listing from a known seller.",
    "Fine after a look at the seller's other products.",
)
CREDIT_NOTES = (
    "Goodwill credit: the parcel arrived two weeks late.",
    "Refund of a double charge the buyer reported to support.",
    "Compensation for a delivery the carrier lost.",
)
DEBIT_NOTE = "Chargeback: the bank reversed the card payment of a top-up."
CREDITS = np.array([500, 1_000, 1_500, 2_500])
# Catalog edits an administrator made early on: (category, its old name) and (category, the
# department it came from). The vocabulary holds today's names and places.
RENAMES = (("Coffee & Tea", "Coffee and Tea"), ("Dolls & Figures", "Action Figures"), ("Bath & Body", "Bath"))
MOVES = (("Grills", "Home & Kitchen"), ("Outdoor Furniture", "Home & Kitchen"))


@dataclass(frozen=True)
class Console:
    """The console's changes, as columns of the tables they touch, and what they make of the other stages."""

    user_suspended: np.ndarray  # per user (id - 1): when, NO_TIME if not suspended
    user_suspended_reason: np.ndarray  # COPY-escaped, "" if not suspended
    product_status: np.ndarray  # per product: index into PRODUCT_STATUSES
    product_status_changed: np.ndarray  # NO_TIME if never changed
    product_note: np.ndarray  # the take-down reason its creator sees, COPY-escaped, "" for none
    offer_held: np.ndarray  # per offer: inactive because of a suspension, a take-down or the queue
    approval_switched: int  # when the approval queue was last switched (off), NO_TIME if never
    catalog: Catalog  # offer_active without the held offers
    ledger: Ledger  # with the adjustments
    moderation: Moderation  # with this module's audit rows, in time order


@dataclass(frozen=True)
class _Activity:
    """When each user last did anything (or had anything done to their account), and when each
    product was first and last touched by anyone but its creator's own listing."""

    user_last: np.ndarray  # indexed by user id (0 unused)
    product_first: np.ndarray  # indexed by product id - 1; NEVER when untouched
    product_last: np.ndarray  # NO_TIME when untouched


def _latest(last: np.ndarray, users: np.ndarray, times: np.ndarray) -> None:
    """Raise each user's last activity to these times (NO_TIME entries change nothing)."""
    np.maximum.at(last, np.asarray(users, dtype=np.int64), np.asarray(times, dtype=np.int64))


def _user_activity(people, catalog, orders, stock, ledger, reviews, messages, carts, moderation, promotions, journey):
    """Each user's last activity, from every table that records one of theirs (automatic ones too)."""
    last = np.full(people.count + 1, NO_TIME, dtype=np.int64)
    last[1:] = people.created_at
    _latest(last, catalog.product_creator, catalog.product_created)
    _latest(last, catalog.offer_seller, np.maximum(catalog.offer_created, stock.offer_updated))
    _latest(last, catalog.offer_seller[stock.event_offer], stock.event_created)
    _latest(last, orders.purchase_buyer, orders.purchase_created)
    plan = journey.lines
    line_times = np.max(
        np.stack(
            [orders.line_ordered, orders.line_cancelled, plan.shipped, plan.delivered, plan.return_requested]
            + [plan.return_refused, plan.returned, plan.refunded, plan.released]
        ),
        axis=0,
    )
    _latest(last, orders.line_buyer, line_times)
    _latest(last, orders.line_seller, line_times)
    _latest(last, ledger.user, ledger.created)
    for kind in (reviews.products, reviews.sellers):
        _latest(last, kind.author, kind.created)
        _latest(last, kind.vote_voter, kind.vote_created)
    _latest(last, reviews.sellers.target, reviews.sellers.created)
    _latest(last, messages.sender, messages.created)
    _latest(last, messages.recipient, messages.read)
    _latest(last, carts.user, carts.added)
    _latest(last, promotions.points["user"], promotions.points["created"])
    coupons = promotions.coupons
    _latest(last, coupons.seller, np.maximum(coupons.created, coupons.paused))  # seller 0 is the platform
    _latest(last, journey.addresses.user, journey.addresses.created)
    _latest(last, journey.method_seller, journey.method_created)
    for row in moderation.feedback:
        _latest(last, [row[0]], [row[5]])
    for row in moderation.reports:
        _latest(last, [row[2]], [row[5]])
    return last


def _product_activity(catalog: Catalog, orders: Orders, reviews: Reviews, carts: Carts):
    """First and last sale, review, vote, cart line and other seller's offer of each product."""
    count = catalog.product_count
    first, last = np.full(count, NEVER, dtype=np.int64), np.full(count, NO_TIME, dtype=np.int64)
    others = catalog.offer_seller != catalog.product_creator[catalog.offer_product - 1]
    voted = reviews.products.target[reviews.products.vote_review - 1]
    for products, times in (
        (orders.line_product, orders.line_ordered),
        (reviews.products.target, reviews.products.created),
        (voted, reviews.products.vote_created),
        (catalog.offer_product[carts.offer], carts.added),
        (catalog.offer_product[others], catalog.offer_created[others]),
    ):
        np.minimum.at(first, products - 1, times)
        np.maximum.at(last, products - 1, times)
    return first, last


class _Planner:
    """Collects the console's changes while they are chosen."""

    def __init__(self, people: People, catalog: Catalog, timeline: Timeline, chooser: random.Random) -> None:
        self.people, self.catalog, self.timeline, self.chooser = people, catalog, timeline, chooser
        self.suspended = np.full(people.count, NO_TIME, dtype=np.int64)
        self.suspended_reason = np.full(people.count, "", dtype=object)
        self.status = np.full(catalog.product_count, LISTED, dtype=np.int64)
        self.status_changed = np.full(catalog.product_count, NO_TIME, dtype=np.int64)
        self.note = np.full(catalog.product_count, "", dtype=object)
        self.held = np.zeros(len(catalog.offer_seller), dtype=bool)
        self.audit: list[tuple] = []
        self.switched = NO_TIME

    def after(self, earliest: int, latest_gap: int, lead: int = HOUR) -> int | None:
        """A moment from `lead` after `earliest` to `latest_gap` later, and `lead` before now at
        most; None if there is no such moment."""
        low, high = earliest + lead, min(earliest + latest_gap, self.timeline.now - lead)
        return self.chooser.randrange(low, high) if low < high else None

    def hold(self, offers: np.ndarray) -> int:
        """Hold the active offers among these; return how many."""
        active = offers[self.catalog.offer_active[offers] & ~self.held[offers]]
        self.held[active] = True
        return len(active)

    def act(self, created, actor, action, target, reason, before, after) -> None:
        self.audit.append(audit_row(created, actor, action, target, reason, before, after))


def _queue(planner: _Planner, activity: _Activity, granted: int) -> np.ndarray:
    """The approval queue, on while the newest products were listed: each was approved before its
    first sale, review or cart line (or at leisure), or still waits. Returns the queued product ids."""
    catalog, chooser, now = planner.catalog, planner.chooser, planner.timeline.now
    created = catalog.product_created
    count = int(np.clip(catalog.product_count // 250, 4, 40)) if catalog.product_count >= 40 else 0
    first = catalog.product_count - count

    # The switch goes on between two listings, a day or more after the administrator got the role.
    def may_start(index: int) -> bool:
        return created[index] >= granted + DAY and created[index] - created[index - 1] >= 2

    while first < catalog.product_count and not may_start(first):
        first += 1
    if first >= catalog.product_count:
        return np.zeros(0, dtype=np.int64)
    # Reach back a little further while every queued product was already sold, reviewed or carted:
    # the queue is shown with a product still waiting.
    for earlier_first in range(first - 1, max(first - 3 * count, 1), -1):
        if (activity.product_first[first:] == NEVER).any():
            break
        if may_start(earlier_first):
            first = earlier_first
    earlier = int(created[first - 1]) if first else granted
    switched_on = int(created[first]) - max(MINUTE, min(6 * HOUR, (int(created[first]) - earlier) // 2))
    planner.act(switched_on, ADMIN_ID, "setting.enable", ("setting", None), "", *_switch(False))
    untouched = [index for index in range(first, catalog.product_count) if activity.product_first[index] == NEVER]
    waiting = set(chooser.sample(untouched, max(1, len(untouched) // 2))) if untouched else set()
    latest = int(created[-1])
    for index in range(first, catalog.product_count):
        product_id, offers = index + 1, np.flatnonzero(catalog.offer_product == index + 1)
        if index in waiting:
            planner.status[index], planner.status_changed[index] = PENDING, created[index]
            planner.hold(offers)
            continue
        end = min(int(activity.product_first[index]), int(created[index]) + 2 * DAY, now - 2 * HOUR)
        approved = chooser.randrange(int(created[index]) + 1, max(int(created[index]) + 2, end))
        released = int(np.count_nonzero(catalog.offer_active[offers] & (catalog.offer_created[offers] < approved)))
        planner.status_changed[index] = approved
        before = {"id": product_id, "moderation_note": None, "status": "pending"}
        after = {"offers_released": released, "status": "listed"}
        note = chooser.choice(APPROVE_NOTES)
        planner.act(approved, MODERATOR_ID, "product.approve", ("product", product_id), note, before, after)
        latest = max(latest, approved)
    planner.switched = min(latest + chooser.randrange(HOUR, 12 * HOUR), now - 30 * MINUTE)
    planner.act(planner.switched, ADMIN_ID, "setting.disable", ("setting", None), "", *_switch(True))
    return np.arange(first, catalog.product_count) + 1


def _switch(was_on: bool) -> tuple[dict, dict]:
    """The audit snapshots of the approval switch, as admin_settings.set_enabled writes them."""
    return {"enabled": was_on, "name": "product_approval"}, {"enabled": not was_on, "name": "product_approval"}


def _suspend(planner: _Planner, activity: _Activity, queued: np.ndarray) -> set[int]:
    """Suspend a couple of users some time after they last did anything, small sellers first (their
    offers are held); never the demo accounts, nor a seller of a queued product. Returns their ids."""
    catalog, chooser, now = planner.catalog, planner.chooser, planner.timeline.now
    excluded = set(catalog.offer_seller[np.isin(catalog.offer_product, queued)].tolist())
    quiet = [
        user
        for user in range(len(DEMO_LOGINS) + 1, planner.people.count + 1)
        if activity.user_last[user] < now - QUIET_BEFORE_ACTION and user not in excluded
    ]
    # Small sellers: the ones caught are rarely the big ones.
    offers = np.bincount(catalog.offer_seller[catalog.offer_active], minlength=planner.people.count + 1)
    sellers = sorted((user for user in quiet if offers[user]), key=lambda user: (offers[user], chooser.random()))
    chosen = sellers[:SUSPENDED_USERS]
    others = [user for user in quiet if user not in chosen]
    chosen += chooser.sample(others, min(SUSPENDED_USERS - len(chosen), len(others)))
    for user in chosen:
        moment = planner.after(int(activity.user_last[user]), 3 * DAY)
        if moment is None:
            continue
        reason = chooser.choice(SUSPEND_REASONS)
        planner.suspended[user - 1], planner.suspended_reason[user - 1] = moment, escape_copy(reason)
        held = planner.hold(np.flatnonzero(catalog.offer_seller == user))
        before = {"suspended": False, "suspended_reason": None}
        after = {"offers_held": held, "suspended": True}
        planner.act(moment, ADMIN_ID, "user.suspend", ("user", user), reason, before, after)
    return {user for user in chosen if planner.suspended[user - 1] != NO_TIME}


def _take_down(planner: _Planner, activity: _Activity, queued, suspended: set[int], orders: Orders, carts: Carts):
    """Take down a few products that sold, some time after anyone last bought, reviewed or carted
    one; none the demo accounts sell or have in their cart, nor a queued or suspended seller's."""
    catalog, chooser, now = planner.catalog, planner.chooser, planner.timeline.now
    avoided = set(queued.tolist())
    avoided |= set(catalog.offer_product[np.isin(catalog.offer_seller, [SELLER_ID, *suspended])].tolist())
    avoided |= set(catalog.offer_product[carts.offer[carts.user == BUYER_ID]].tolist())
    sold = np.bincount(orders.line_product - 1, minlength=catalog.product_count) > 0
    quiet = np.flatnonzero(sold & (activity.product_last < now - QUIET_BEFORE_ACTION)) + 1
    candidates = [product for product in quiet.tolist() if product not in avoided]
    count = int(np.clip(catalog.product_count // 400, 2, 25))
    for product in sorted(chooser.sample(candidates, min(count, len(candidates)))):
        moment = planner.after(int(activity.product_last[product - 1]), 5 * DAY)
        if moment is None:
            continue
        reason = chooser.choice(TAKE_DOWN_REASONS)
        planner.status[product - 1], planner.status_changed[product - 1] = TAKEN_DOWN, moment
        planner.note[product - 1] = escape_copy(reason)
        held = planner.hold(np.flatnonzero(catalog.offer_product == product))
        before = {"id": product, "moderation_note": None, "status": "listed"}
        after = {"offers_held": held, "status": "taken_down"}
        planner.act(moment, MODERATOR_ID, "product.take_down", ("product", product), reason, before, after)


def _dollars(cents: int) -> str:
    """Money as the audit log records a Decimal: "12.50", "-5.00"."""
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _adjust(planner: _Planner, ledger: Ledger, suspended: set[int], granted: int) -> Ledger:
    """Balance adjustments by the administrator, each the last row of its user's available account:
    credits for a late parcel or a double charge (the demo buyer has one), and a chargeback."""
    chooser = planner.chooser
    available = ledger.account == AVAILABLE
    last_row = np.full(planner.people.count + 1, NO_TIME, dtype=np.int64)
    np.maximum.at(last_row, ledger.user[available], ledger.created[available])
    with_rows = [user for user in np.flatnonzero(last_row[1:] != NO_TIME) + 1 if user > len(DEMO_LOGINS)]
    users = [BUYER_ID] if last_row[BUYER_ID] != NO_TIME else []
    users += chooser.sample(with_rows, min(int(np.clip(planner.people.count // 200, 2, 12)), len(with_rows)))
    rows = {name: [] for name in ("user", "amount", "balance_after", "created", "note")}
    for user in sorted(set(users) - suspended):
        moment = planner.after(max(int(last_row[user]), granted), 30 * DAY, lead=5 * MINUTE)
        if moment is None:
            continue
        balance = int(ledger.balances[user - 1])
        debit = user != BUYER_ID and balance >= 2_000 and chooser.random() < 0.3
        amount = -(balance // 4 // 100 * 100) if debit else int(chooser.choice(CREDITS.tolist()))
        note = DEBIT_NOTE if debit else chooser.choice(CREDIT_NOTES)
        for name, value in zip(rows, (user, amount, balance + amount, moment, escape_copy(note)), strict=True):
            rows[name].append(value)
        after = {"amount": _dollars(amount), "balance": _dollars(balance + amount)}
        planner.act(moment, ADMIN_ID, "user.balance", ("user", user), note, {"balance": _dollars(balance)}, after)
    return _with_rows(ledger, rows)


def _with_rows(ledger: Ledger, rows: dict[str, list]) -> Ledger:
    """The ledger with these adjustment rows, ids in time order again; balances follow."""
    added = len(rows["user"])
    users = np.asarray(rows["user"], dtype=np.int64)
    created = np.concatenate((ledger.created, np.asarray(rows["created"], dtype=np.int64)))
    order = np.argsort(created, kind="stable")  # the old rows keep their order; a new one follows its second's
    notes = np.concatenate((ledger.note, np.asarray(rows["note"], dtype=object)))
    balances = ledger.balances.copy()
    np.add.at(balances, users - 1, np.asarray(rows["amount"], dtype=np.int64))

    def column(old: np.ndarray, new) -> np.ndarray:
        return np.concatenate((old, np.asarray(new, dtype=old.dtype)))[order]

    return replace(
        ledger,
        user=column(ledger.user, users),
        kind=column(ledger.kind, np.full(added, ADJUSTMENT)),
        account=column(ledger.account, np.full(added, AVAILABLE)),
        amount=column(ledger.amount, rows["amount"]),
        balance_after=column(ledger.balance_after, rows["balance_after"]),
        purchase=column(ledger.purchase, np.full(added, NO_PURCHASE)),
        created=created[order],
        note=notes[order],
        balances=balances,
    )


def _catalog_edits(planner: _Planner, granted: int) -> None:
    """Early tidying of the catalog by the administrator: two categories renamed, one moved."""
    chooser, timeline = planner.chooser, planner.timeline
    category_ids = {category.name: number for number, (_, category) in enumerate(all_categories(), start=1)}
    department_ids = {department.name: number for number, department in enumerate(DEPARTMENTS, start=1)}
    homes = {category.name: department.name for department, category in all_categories()}
    edits = [("rename", name, old) for name, old in chooser.sample(RENAMES, 2)]
    edits += [("move", name, old) for name, old in chooser.sample(MOVES, 1)]
    latest = max(granted + 2 * HOUR, min(timeline.start + 60 * DAY, timeline.now - DAY))
    for kind, name, old in edits:
        moment = chooser.randrange(granted + HOUR, latest)
        target = ("category", category_ids[name])
        if kind == "rename":
            planner.act(moment, ADMIN_ID, "category.rename", target, "", {"name": old}, {"name": name})
        else:
            before, after = {"department_id": department_ids[old]}, {"department_id": department_ids[homes[name]]}
            planner.act(moment, ADMIN_ID, "category.move", target, "", before, after)


def make_console(
    *,
    people: People,
    catalog: Catalog,
    orders: Orders,
    stock: Stock,
    ledger: Ledger,
    reviews: Reviews,
    messages: Messages,
    carts: Carts,
    moderation: Moderation,
    promotions: Promotions,
    journey: Journey,
    timeline: Timeline,
    rng: np.random.Generator,
) -> Console:
    """Plan the console's actions on the rows the other stages made."""
    chooser = random.Random(int(rng.integers(0, 2**32)))
    planner = _Planner(people, catalog, timeline, chooser)
    user_last = _user_activity(
        people, catalog, orders, stock, ledger, reviews, messages, carts, moderation, promotions, journey
    )
    activity = _Activity(user_last, *_product_activity(catalog, orders, reviews, carts))
    granted = int(moderation.audit[0][0])  # the administrator's role, from the command line
    queued = _queue(planner, activity, granted)
    suspended = _suspend(planner, activity, queued)
    _take_down(planner, activity, queued, suspended, orders, carts)
    adjusted = _adjust(planner, ledger, suspended, granted)
    _catalog_edits(planner, granted)
    audit = sorted(moderation.audit + planner.audit, key=lambda row: row[0])
    return Console(
        user_suspended=planner.suspended,
        user_suspended_reason=planner.suspended_reason,
        product_status=planner.status,
        product_status_changed=planner.status_changed,
        product_note=planner.note,
        offer_held=planner.held,
        approval_switched=planner.switched,
        catalog=replace(catalog, offer_active=catalog.offer_active & ~planner.held),
        ledger=adjusted,
        moderation=replace(moderation, audit=audit),
    )
