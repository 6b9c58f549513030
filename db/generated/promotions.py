"""Sale prices, coupons and their uses, member points and the platform's ledger, by the app's rules.

Sales are planned on today's offers (ending in the future or never). Coupons (a few sellers' and the
platform's) get windows, limits and pauses; then one pass over the history in time order decides,
purchase by purchase, which coupon a buyer used (only while it ran, under its total and per-buyer
limits, once given for a thank-you coupon) and how many points they spent (at most their balance
and half of what was left after coupons), and replays the lines' journey (journey.plan_lines):
deliveries (points earned, at the delivery), cancellations and refunded returns (the points spent
and the platform's share back; a refund also takes back what the line earned, which may leave a
balance below zero until later points fill it; a coupon use restored once its whole purchase is
cancelled) and expiry (first in, first out, 12 months after the points came in: whatever goes
out uses the oldest points, those not yet come in when the balance is below zero). The arithmetic is the app's
(app/models/pricing.py) in integer cents: percentages rounded half-up, discounts split by largest
remainder. The balance ledger (ledger.py) then charges each line what was paid for it.
"""

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from .catalog import Catalog
from .commerce import Orders
from .people import BUYER_ID, SELLER_ID, People
from .timeline import DAY, HOUR, NO_TIME, Timeline

NO_VALUE = -1  # NULL in optional numbers
YEAR = 365 * DAY  # points expire this long after they came in (never later than the app's 12 months)
SALE_SHARE = 0.05  # of active offers on sale now
SELLER_COUPON_SHARE = 0.15  # of sellers who issued coupons
USE_SHARE = 0.12  # of purchases that try a coupon
PLATFORM_TOO_SHARE = 0.3  # of those that add the platform's coupon
POINTS_SHARE = 0.3  # of purchases by members with points that spend some
DEMO_SHARE = 0.6  # the demo buyer tries coupons and points more often, so their pages show both
POINTS_KINDS = ("earn", "spend", "refund", "reverse", "expire")
EARN, SPEND, REFUND, REVERSE, EXPIRE = range(len(POINTS_KINDS))
PLATFORM_KINDS = ("coupon", "points", "coupon_refund", "points_refund")
COUPON, POINTS, COUPON_REFUND, POINTS_REFUND = range(len(PLATFORM_KINDS))
CODE_WORDS = ("SAVE", "DEAL", "TREAT", "HELLO", "EXTRA")


@dataclass
class Coupons:
    """Coupons (indexed by id - 1); seller 0 stands for the platform (NULL)."""

    code: list[str] = field(default_factory=list)
    seller: list[int] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    percent: list[int] = field(default_factory=list)  # hundredths of a percent, NO_VALUE for an amount off
    amount: list[int] = field(default_factory=list)  # cents, NO_VALUE for a percentage
    min_spend: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)  # NO_TIME: open-ended
    max_uses: list[int] = field(default_factory=list)  # NO_VALUE: unlimited
    per_buyer: list[int] = field(default_factory=list)
    for_thanks: list[bool] = field(default_factory=list)
    paused: list[int] = field(default_factory=list)  # NO_TIME: running
    created: list[int] = field(default_factory=list)
    uses: list[int] = field(default_factory=list)  # filled by the history pass
    most_uses: list[int] = field(default_factory=list)  # the most uses it held at once (restored ones left out)

    def add(self, **row) -> None:
        for name, value in row.items():
            getattr(self, name).append(value)
        self.uses.append(0)
        self.most_uses.append(0)

    def runs_at(self, index: int, moment: int) -> bool:
        """Whether the coupon could be used at `moment` (its window, not paused, uses left)."""
        return (
            self.starts[index] <= moment
            and (self.ends[index] == NO_TIME or moment < self.ends[index])
            and (self.paused[index] == NO_TIME or moment < self.paused[index])
            and (self.max_uses[index] == NO_VALUE or self.uses[index] < self.max_uses[index])
        )


@dataclass(frozen=True)
class Promotions:
    """Every promotion row, and what each order line and purchase comes to."""

    offer_sale_price: np.ndarray  # cents per offer, NO_VALUE when not on sale
    offer_sale_ends: np.ndarray  # NO_TIME when not on sale or open-ended
    coupons: Coupons
    uses: dict[str, np.ndarray]  # coupon (index), purchase, buyer, discount, created, restored
    grants: dict[str, np.ndarray]  # buyer, coupon (index), purchase, granted
    line_seller_discount: np.ndarray
    line_seller_coupon: np.ndarray  # coupon id, 0 for none
    line_platform_discount: np.ndarray
    line_platform_coupon: np.ndarray
    line_points: np.ndarray
    line_paid: np.ndarray
    line_proceeds: np.ndarray  # what each line credits its seller: its total less their coupon's share
    purchase_paid: np.ndarray
    points: dict[str, np.ndarray]  # user, kind, points, after, purchase, order, created
    user_points: np.ndarray  # per user, indexed by id - 1
    platform: dict[str, np.ndarray]  # kind, amount, purchase, order, created


def split(total: int, weights: list[int]) -> list[int]:
    """`total` cents shared in proportion to `weights` by largest remainder (pricing.split)."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    shares = [total * weight // whole for weight in weights]
    remainders = [total * weight % whole for weight in weights]
    for index in sorted(range(len(weights)), key=lambda index: (-remainders[index], index))[: total - sum(shares)]:
        shares[index] += 1
    return shares


def _sales(catalog: Catalog, timeline: Timeline, rng) -> tuple[np.ndarray, np.ndarray]:
    """Sale prices on a few active offers (the demo seller's among them), ending later or never."""
    count = len(catalog.offer_price)
    chosen = catalog.offer_active & (catalog.offer_price > 1) & (rng.random(count) < SALE_SHARE)
    demo = np.flatnonzero(catalog.offer_active & (catalog.offer_seller == SELLER_ID) & (catalog.offer_price > 1))
    chosen[demo[:3]] = True
    factor = rng.uniform(0.6, 0.95, count)
    sale = np.clip(np.floor(catalog.offer_price * factor), 1, catalog.offer_price - 1).astype(np.int64)
    ends = timeline.now + HOUR + (rng.random(count) * 30 * DAY).astype(np.int64)
    ends = np.where(rng.random(count) < 0.3, NO_TIME, ends)
    return np.where(chosen, sale, NO_VALUE), np.where(chosen, ends, NO_TIME)


def _platform_coupons(coupons: Coupons, timeline: Timeline) -> None:
    """The platform's: one for everyone, an expired one, a used-up flash sale, a thank-you, a paused one."""
    start, now = timeline.start + DAY, timeline.now
    rows = [
        ("WELCOME10", "10% off your order", 1000, NO_VALUE, 0, start, NO_TIME, NO_VALUE, False, NO_TIME),
        ("SPRING5", "$5 off $25", NO_VALUE, 500, 2500, now - 420 * DAY, now - 330 * DAY, NO_VALUE, False, NO_TIME),
        ("FLASH20", "20% off, first come", 2000, NO_VALUE, 0, now - 200 * DAY, NO_TIME, 8, False, NO_TIME),
        ("HOLIDAY15", "15% off $50", 1500, NO_VALUE, 5000, now - 40 * DAY, now + 20 * DAY, NO_VALUE, False, NO_TIME),
        ("THANKYOU5", "Thank you: 5% off", 500, NO_VALUE, 0, start, NO_TIME, NO_VALUE, True, NO_TIME),
        ("PAUSED10", "10% off (paused)", 1000, NO_VALUE, 0, now - 90 * DAY, NO_TIME, NO_VALUE, False, now - 60 * DAY),
    ]
    for code, description, percent, amount, min_spend, starts, ends, max_uses, thanks, paused in rows:
        coupons.add(
            code=code,
            seller=0,
            description=description,
            percent=percent,
            amount=amount,
            min_spend=min_spend,
            starts=starts,
            ends=ends,
            max_uses=max_uses,
            per_buyer=1,
            for_thanks=thanks,
            paused=paused,
            created=starts - HOUR,
        )


def _seller_coupons(coupons: Coupons, people: People, timeline: Timeline, rng) -> None:
    """One to three coupons for a share of the sellers (the demo seller always): some used up, some over."""
    sellers = np.flatnonzero(people.is_seller & (rng.random(people.count) < SELLER_COUPON_SHARE)) + 1
    sellers = np.union1d(sellers, [SELLER_ID] if people.count >= SELLER_ID else [])
    for seller in sellers.tolist():
        earliest = max(timeline.start, int(people.created_at[seller - 1]) + DAY)
        for number in range(int(rng.integers(1, 4)) if seller != SELLER_ID else 4):
            if earliest >= timeline.now - DAY:
                break
            percent = int(rng.choice([500, 1000, 1500, 2000, 2500])) if rng.random() < 0.6 else NO_VALUE
            amount = NO_VALUE if percent != NO_VALUE else int(rng.choice([200, 500, 1000, 1500]))
            # An amount off always needs twice as much spent, so no line is ever paid in full by it.
            min_spend = amount * int(rng.integers(2, 5)) if amount != NO_VALUE else int(rng.choice([0, 1000, 2500]))
            starts = earliest + int(rng.random() * (timeline.now - DAY - earliest))
            ends = [NO_TIME, starts + int(rng.integers(7, 90)) * DAY, starts + int(rng.integers(180, 400)) * DAY]
            word = CODE_WORDS[int(rng.integers(len(CODE_WORDS)))]
            value = percent // 100 if percent != NO_VALUE else amount // 100
            coupons.add(
                code=f"{word}{value}-{seller}{'ABCD'[number]}",
                seller=seller,
                description="",
                percent=percent,
                amount=amount,
                min_spend=min_spend,
                starts=starts,
                ends=ends[int(rng.choice(3, p=[0.35, 0.4, 0.25]))],
                max_uses=int(rng.choice([3, 5, 10, 20])) if rng.random() < 0.4 else NO_VALUE,
                per_buyer=1 if rng.random() < 0.85 else int(rng.integers(2, 4)),
                for_thanks=bool(rng.random() < 0.1) or number == 3,
                paused=starts + int(rng.integers(1, 30)) * DAY if rng.random() < 0.08 else NO_TIME,
                created=starts - int(rng.integers(0, 3 * HOUR)),
            )


def _use_up(coupons: Coupons, code: str) -> None:
    """The flash sale's limit is the most uses it ever held, so it ends used up at any scale (if used).

    Nobody tried it while it held that many (they would have got a use beyond it), so the replay
    went as it would have with this limit from the start.
    """
    index = coupons.code.index(code)
    if coupons.most_uses[index]:
        coupons.max_uses[index] = coupons.most_uses[index]


def _fix_pauses(coupons: Coupons, timeline: Timeline) -> None:
    """A pause is never in the future nor before the coupon existed."""
    for index, paused in enumerate(coupons.paused):
        if paused != NO_TIME and not coupons.created[index] < paused < timeline.now:
            coupons.paused[index] = NO_TIME
        coupons.created[index] = min(coupons.created[index], coupons.starts[index])


class _History:
    """The time-ordered replay: coupon uses, points with their FIFO batches, the platform's rows."""

    def __init__(self, orders: Orders, coupons: Coupons, people: People, rng) -> None:
        self.orders, self.coupons, self.rng = orders, coupons, rng
        # Once: Orders.line_total multiplies every line, so reading it per line made the replay quadratic.
        self.line_total = orders.line_total
        lines = len(orders.line_purchase)
        self.seller_discount = np.zeros(lines, dtype=np.int64)
        self.seller_coupon = np.zeros(lines, dtype=np.int64)
        self.platform_discount = np.zeros(lines, dtype=np.int64)
        self.platform_coupon = np.zeros(lines, dtype=np.int64)
        self.points_spent = np.zeros(lines, dtype=np.int64)
        self.by_seller: dict[int, list[int]] = {}
        for index, seller in enumerate(coupons.seller):
            self.by_seller.setdefault(seller, []).append(index)
        self.buyer_uses: dict[tuple[int, int], int] = {}
        self.granted: set[tuple[int, int]] = set()
        self.balance = np.zeros(people.count + 1, dtype=np.int64)
        self.batches: dict[int, deque] = {}  # per user: [came in, points left] of what is held, oldest first
        self.owed: dict[int, int] = {}  # per user: points gone out beyond the batches (a balance below zero)
        self.earned: dict[int, int] = {}  # per line: the points it earned on delivery
        self.points_rows: list[tuple] = []  # (created, user, kind, points, after, purchase, order)
        self.platform_rows: list[tuple] = []  # (created, kind, amount, purchase, order)
        self.use_rows: list[list] = []  # [coupon, purchase, buyer, discount, created, restored]
        self.use_of_purchase: dict[int, list[int]] = {}
        self.grant_rows: list[tuple] = []
        self.open_lines = np.bincount(orders.line_purchase, minlength=len(orders.purchase_buyer) + 1)

    # Points

    def _points(self, user: int, kind: int, points: int, moment: int, purchase=NO_VALUE, order=NO_VALUE) -> None:
        self.balance[user] += points
        self.points_rows.append((moment, user, kind, points, int(self.balance[user]), purchase, order))

    def expire(self, user: int, moment: int) -> None:
        """Expire the user's batches older than a year at `moment`, each at its own anniversary."""
        batches = self.batches.get(user)
        while batches and batches[0][0] + YEAR <= moment:
            came, left = batches.popleft()
            if left > 0:
                self._points(user, EXPIRE, -left, came + YEAR)

    def _come_in(self, user: int, kind: int, points: int, moment: int, **refs) -> None:
        """Points in: they first fill a balance below zero, the rest is a batch that expires in a year."""
        self._points(user, kind, points, moment, **refs)
        filled = min(points, self.owed.get(user, 0))
        self.owed[user] = self.owed.get(user, 0) - filled
        if points > filled:
            self.batches.setdefault(user, deque()).append([moment, points - filled])

    def _go_out(self, user: int, kind: int, points: int, moment: int, **refs) -> None:
        """Points out, from the oldest batches; what they do not cover is owed (a reversal only)."""
        self._points(user, kind, -points, moment, **refs)
        batches = self.batches.setdefault(user, deque())
        while points and batches:
            taken = min(points, batches[0][1])
            batches[0][1] -= taken
            points -= taken
            if batches[0][1] == 0:
                batches.popleft()
        self.owed[user] = self.owed.get(user, 0) + points

    # Events

    def purchase(self, purchase: int, lines: range, moment: int) -> None:
        """A checkout: maybe a seller's coupon (and the platform's), maybe points; then thank-you coupons."""
        buyer = int(self.orders.purchase_buyer[purchase - 1])
        self.expire(buyer, moment)
        keen = buyer == BUYER_ID
        if self.rng.random() < (DEMO_SHARE if keen else USE_SHARE):
            sellers = sorted({int(self.orders.line_seller[line]) for line in lines})
            seller = sellers[int(self.rng.integers(len(sellers)))]
            self._try_coupon(self.by_seller.get(seller, []), purchase, lines, buyer, moment)
            if self.rng.random() < PLATFORM_TOO_SHARE:
                self._try_coupon(self.by_seller.get(0, []), purchase, lines, buyer, moment)
        if self.balance[buyer] >= 100 and self.rng.random() < (DEMO_SHARE if keen else POINTS_SHARE):
            self._spend_points(purchase, lines, buyer, moment)
        for seller in sorted({0, *(int(self.orders.line_seller[line]) for line in lines)}):
            for index in self.by_seller.get(seller, []):
                thanks = self.coupons.for_thanks[index] and (buyer, index) not in self.granted
                if thanks and self.coupons.runs_at(index, moment):
                    self.granted.add((buyer, index))
                    self.grant_rows.append((buyer, index, purchase, moment))

    def _try_coupon(self, candidates: list[int], purchase: int, lines: range, buyer: int, moment: int) -> None:
        usable = [
            index
            for index in candidates
            if self.coupons.runs_at(index, moment)
            and self.buyer_uses.get((index, buyer), 0) < self.coupons.per_buyer[index]
            and (not self.coupons.for_thanks[index] or (buyer, index) in self.granted)
        ]
        if not usable:
            return
        index = usable[int(self.rng.integers(len(usable)))]
        seller = self.coupons.seller[index]
        covered = [line for line in lines if seller == 0 or self.orders.line_seller[line] == seller]
        bases = [int(self.line_total[line] - self.seller_discount[line]) for line in covered]
        base = sum(bases)
        if not covered or base < self.coupons.min_spend[index]:
            return
        percent, amount = self.coupons.percent[index], self.coupons.amount[index]
        discount = (2 * base * percent + 10_000) // 20_000 if percent != NO_VALUE else min(amount, base)
        if discount <= 0:
            return
        platform = seller == 0
        discounts = self.platform_discount if platform else self.seller_discount
        coupon_ids = self.platform_coupon if platform else self.seller_coupon
        for line, share in zip(covered, split(discount, bases), strict=True):
            if share:
                discounts[line] += share
                coupon_ids[line] = index + 1
        self.coupons.uses[index] += 1
        self.coupons.most_uses[index] = max(self.coupons.most_uses[index], self.coupons.uses[index])
        self.buyer_uses[(index, buyer)] = self.buyer_uses.get((index, buyer), 0) + 1
        self.use_of_purchase.setdefault(purchase, []).append(len(self.use_rows))
        self.use_rows.append([index, purchase, buyer, discount, moment, NO_TIME])
        if platform:
            self.platform_rows.append((moment, COUPON, -discount, purchase, NO_VALUE))

    def _spend_points(self, purchase: int, lines: range, buyer: int, moment: int) -> None:
        left = [
            int(self.line_total[line] - self.seller_discount[line] - self.platform_discount[line]) for line in lines
        ]
        limit = min(int(self.balance[buyer]), sum(left) // 2)
        if limit < 100:
            return
        points = int(self.rng.integers(limit // 4, limit + 1))
        for line, share in zip(lines, split(points, left), strict=True):
            self.points_spent[line] = share
        self._go_out(buyer, SPEND, points, moment, purchase=purchase)
        self.platform_rows.append((moment, POINTS, -points, purchase, NO_VALUE))

    def deliver(self, line: int, moment: int) -> None:
        """A line delivered: it earns a point per whole dollar paid (order.on_delivered)."""
        buyer = int(self.orders.line_buyer[line])
        self.expire(buyer, moment)
        earned = int(self.paid(line)) // 100
        if earned:
            self._come_in(buyer, EARN, earned, moment, order=line + 1)
            self.earned[line] = earned

    def _give_back(self, line: int, buyer: int, purchase: int, moment: int) -> None:
        """A cancelled or refunded line's points spent back to the buyer, its share back to the platform."""
        if self.points_spent[line]:
            self._come_in(buyer, REFUND, int(self.points_spent[line]), moment, order=line + 1)
            self.platform_rows.append((moment, POINTS_REFUND, int(self.points_spent[line]), purchase, line + 1))
        if self.platform_discount[line]:
            self.platform_rows.append((moment, COUPON_REFUND, int(self.platform_discount[line]), purchase, line + 1))

    def refund(self, line: int, moment: int) -> None:
        """A return accepted (promotion.refund_line): what cancelling gives back, and the points it earned
        taken back (the balance may go below zero)."""
        buyer, purchase = int(self.orders.line_buyer[line]), int(self.orders.line_purchase[line])
        self.expire(buyer, moment)
        self._give_back(line, buyer, purchase, moment)
        earned = self.earned.pop(line, 0)
        if earned:
            self._go_out(buyer, REVERSE, earned, moment, order=line + 1)

    def cancel(self, line: int, moment: int) -> None:
        """A line cancelled: its points and the platform's share come back; a whole purchase restores its uses."""
        buyer, purchase = int(self.orders.line_buyer[line]), int(self.orders.line_purchase[line])
        self.expire(buyer, moment)
        self._give_back(line, buyer, purchase, moment)
        self.open_lines[purchase] -= 1
        if self.open_lines[purchase] == 0:
            for row in self.use_of_purchase.get(purchase, []):
                use = self.use_rows[row]
                use[5] = moment
                self.coupons.uses[use[0]] -= 1
                self.buyer_uses[(use[0], buyer)] -= 1

    def paid(self, line) -> np.ndarray:
        return (
            self.line_total[line] - self.seller_discount[line] - self.platform_discount[line] - self.points_spent[line]
        )


def _replay(history: _History, orders: Orders, delivered: np.ndarray, refunded: np.ndarray, timeline: Timeline) -> None:
    """Every purchase, delivery, cancellation and refund in time order (a purchase before its lines' events)."""
    purchases = np.arange(1, len(orders.purchase_buyer) + 1)
    first_line = np.searchsorted(orders.line_purchase, purchases, side="left")
    last_line = np.searchsorted(orders.line_purchase, purchases, side="right")
    delivered_lines = np.flatnonzero(delivered != NO_TIME)
    cancelled_lines = np.flatnonzero(orders.line_cancelled != NO_TIME)
    refunded_lines = np.flatnonzero(refunded != NO_TIME)
    groups = (purchases, delivered_lines, cancelled_lines, refunded_lines)
    times = np.concatenate(
        (
            orders.purchase_created,
            delivered[delivered_lines],
            orders.line_cancelled[cancelled_lines],
            refunded[refunded_lines],
        )
    )
    kinds = np.concatenate([np.full(len(group), kind) for kind, group in enumerate(groups)])
    subjects = np.concatenate(groups)
    handlers = (history.deliver, history.cancel, history.refund)
    for at in np.lexsort((subjects, kinds, times)).tolist():
        kind, subject, moment = int(kinds[at]), int(subjects[at]), int(times[at])
        if kind == 0:
            history.purchase(subject, range(int(first_line[subject - 1]), int(last_line[subject - 1])), moment)
        else:
            handlers[kind - 1](subject, moment)
    for user in sorted(history.batches):
        history.expire(user, timeline.now)


def _columns(rows: list[tuple], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Row tuples as named int64 columns."""
    if not rows:
        return {name: np.zeros(0, dtype=np.int64) for name in names}
    return {name: np.array(values, dtype=np.int64) for name, values in zip(names, zip(*rows, strict=True), strict=True)}


def make_promotions(
    people: People,
    catalog: Catalog,
    orders: Orders,
    delivered: np.ndarray,
    refunded: np.ndarray,
    timeline: Timeline,
    rng,
) -> Promotions:
    """Plan sales and coupons, then replay the history for coupon uses, points and the platform's ledger;
    `delivered` and `refunded` (an accepted return) are each line's times from journey.plan_lines."""
    sale_price, sale_ends = _sales(catalog, timeline, rng)
    coupons = Coupons()
    _platform_coupons(coupons, timeline)
    _seller_coupons(coupons, people, timeline, rng)
    _fix_pauses(coupons, timeline)
    history = _History(orders, coupons, people, rng)
    _replay(history, orders, delivered, refunded, timeline)
    _use_up(coupons, "FLASH20")
    paid = history.paid(slice(None))
    # Points rows by time, each user's in the order they happened (ids follow).
    points_rows = sorted(enumerate(history.points_rows), key=lambda item: (item[1][0], item[0]))
    points = _columns(
        [row for _, row in points_rows], ("created", "user", "kind", "points", "after", "purchase", "order")
    )
    platform = _columns(
        sorted(history.platform_rows, key=lambda row: (row[0], row[3], row[4])),
        ("created", "kind", "amount", "purchase", "order"),
    )
    uses = _columns(
        [tuple(row) for row in history.use_rows], ("coupon", "purchase", "buyer", "discount", "created", "restored")
    )
    grants = _columns(sorted(history.grant_rows), ("buyer", "coupon", "purchase", "granted"))
    return Promotions(
        offer_sale_price=sale_price,
        offer_sale_ends=sale_ends,
        coupons=coupons,
        uses=uses,
        grants=grants,
        line_seller_discount=history.seller_discount,
        line_seller_coupon=history.seller_coupon,
        line_platform_discount=history.platform_discount,
        line_platform_coupon=history.platform_coupon,
        line_points=history.points_spent,
        line_paid=paid,
        line_proceeds=orders.line_total - history.seller_discount,
        purchase_paid=np.bincount(orders.line_purchase - 1, weights=paid, minlength=len(orders.purchase_buyer))
        .round()
        .astype(np.int64),
        points=points,
        user_points=history.balance[1:].copy(),
        platform=platform,
    )
