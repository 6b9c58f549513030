"""The order journey after checkout: address books, sellers' shipping methods, each purchase's
shipments and fees, and every line's way from placed to shipped, delivered, returned or refunded,
with the times escrow released each seller's money.

Each line's way (plan_lines) is planned first: promotions replay it (points are earned on
delivery and taken back with a refunded return, which also gives back the points spent and the
platform's share, as app/models/promotion.refund_line does), so any line may be returned, a
platform-funded one too. The rest (addresses, shipping, fees, what each line holds) follows
promotions (make_journey), and stock (restocked returns) and the ledger (fees, refunds, releases)
follow it. The app's rules, in the same numbers: lines not confirmed are delivered 14 days after
shipping, returns are asked within 30 days of delivery, and a line's money is released once
delivered and 30 days have passed (a few minutes later: the job runs every ten).
"""

import re
from dataclasses import dataclass

import numpy as np

from .arrays import group_numbers, is_group_last
from .catalog import Catalog
from .commerce import Orders
from .people import BUYER_ID, SELLER_ID, People
from .promotions import Promotions
from .texts import escape_copy
from .timeline import DAY, HOUR, MINUTE, NO_TIME, Timeline

STATUSES = ("placed", "shipped", "delivered", "return_requested", "return_refused", "refunded", "cancelled")
PLACED, SHIPPED, DELIVERED, RETURN_REQUESTED, RETURN_REFUSED, REFUNDED, CANCELLED = range(len(STATUSES))
NO_VALUE = -1

DELIVERY_WAIT = 14 * DAY
RETURN_WINDOW = 30 * DAY
JOB_LAG = 10 * MINUTE  # the periodic jobs run every ten minutes
CONFIRM_SHARE = 0.75  # of shipped lines, confirmed by their buyer (the rest are delivered by the job)
RETURN_SHARE = 0.04  # of delivered lines
ACCEPT_SHARE = 0.7  # of answered returns
RESTOCK_SHARE = 0.6  # of accepted returns
NOTE_SHARE = 0.1  # of purchases, with a note to the sellers
SECOND_ADDRESS_SHARE = 0.3
PHONE_SHARE = 0.5
SELLERS_WITH_METHODS = 0.8
CHEAPEST_SHARE = 0.8  # of buyers, who keep the cheapest method checkout chooses for them
UNTRACKED_SHARE = 0.15
COUNTRY = "United States"  # every generated address (Faker en_US streets)
COUNTRY_CODE = "US"  # purchases.ship_country: its ISO 3166-1 alpha-2 code (app/countries.py)

CARRIERS = ("UPS", "DHL", "FedEx", "USPS", "Royal Mail", "La Poste")
TRACKING_PREFIXES = ("1Z", "JD", "", "94", "RM", "6A")
METHOD_NAMES = ("Standard delivery", "Express", "Economy")
STANDARD_FEES = np.array([0, 299, 499, 599])
STANDARD_FREE_OVER = np.array([NO_VALUE, 2_500, 3_500, 5_000])
NOTES = (
    "Please leave the parcel with a neighbour if I am out.",
    "It is a gift: please leave the price out of the parcel.",
    "The doorbell does not work, please knock.",
    "Deliver to the back door, please.",
    "No rush, thank you!",
)
RETURN_REASONS = (
    "It arrived damaged: the corner is cracked.",
    "Not as described: the colour is quite different from the pictures.",
    "It does not fit, and I would like my money back.",
    "I received the wrong item.",
    "It stopped working after two days.",
)
REFUSE_REASONS = (
    "The item was used and cannot be taken back.",
    "The damage happened after delivery, according to the photos.",
    "Custom-made items cannot be returned, as the listing says.",
)
STORY_OUTCOMES = {5: SHIPPED, 14: DELIVERED, 30: RETURN_REQUESTED, 120: RETURN_REFUSED, 200: REFUNDED}
_ADDRESS = re.compile(r"^(?P<street>.+?)(?:\n|, )(?P<city>[^,\n]+), (?P<state>[A-Z]{2}) (?P<zip>\d{5})$", re.S)


@dataclass(frozen=True)
class Addresses:
    """Address-book rows (indexed by id - 1), and the label each user's orders went to."""

    user: np.ndarray
    full_name: np.ndarray  # COPY-escaped text
    line1: np.ndarray
    city: np.ndarray
    postal_code: np.ndarray
    country: np.ndarray
    phone: np.ndarray
    is_default: np.ndarray
    created: np.ndarray
    user_label: np.ndarray  # per user: the default address as a label, COPY-escaped


@dataclass(frozen=True)
class LinePlan:
    """Each order line's states after checkout and their times (NO_TIME: not reached)."""

    status: np.ndarray  # index into STATUSES
    shipped: np.ndarray
    delivered: np.ndarray
    auto_delivered: np.ndarray
    return_requested: np.ndarray
    return_reason: np.ndarray  # index into RETURN_REASONS
    return_refused: np.ndarray
    refuse_reason: np.ndarray
    returned: np.ndarray  # back in stock
    refunded: np.ndarray  # an accepted return (a cancellation's time is the line's cancelled time)
    released: np.ndarray


@dataclass(frozen=True)
class Journey:
    """Everything that happens to purchases after checkout."""

    addresses: Addresses
    method_seller: np.ndarray  # shipping methods, indexed by id - 1
    method_name: np.ndarray  # index into METHOD_NAMES
    method_fee: np.ndarray
    method_free_over: np.ndarray  # NO_VALUE: never free
    method_min_days: np.ndarray
    method_max_days: np.ndarray
    method_created: np.ndarray
    shipment_purchase: np.ndarray  # one per (purchase, seller), in that order
    shipment_seller: np.ndarray
    shipment_method: np.ndarray  # method id, 0 for the standard delivery of a seller without methods
    shipment_fee: np.ndarray
    shipment_settled: np.ndarray  # NO_TIME while a line of it is unsettled
    shipment_refunded: np.ndarray
    purchase_fees: np.ndarray  # per purchase
    purchase_note: np.ndarray  # index into NOTES, NO_VALUE for none
    lines: LinePlan
    line_carrier: np.ndarray  # index into CARRIERS, NO_VALUE when not shipped
    line_tracking: np.ndarray  # text, "" for none
    line_refunded_amount: np.ndarray
    line_held: np.ndarray


def _parsed(address: str) -> tuple[str, str, str]:
    """(street, city, postal code) of a Faker address; an unusual one stays whole in the street."""
    found = _ADDRESS.match(address)
    if not found:
        return address.replace("\n", ", "), "", ""
    return found["street"].replace("\n", ", "), f"{found['city']}, {found['state']}", found["zip"]


def _label(name: str, street: str, city: str, postal_code: str, country: str, phone: str) -> str:
    """An address as app/models/address.format_address writes it (a purchase's ship_to)."""
    place = " ".join(part for part in (postal_code, city) if part)
    parts = (name, street, place, country, f"Phone: {phone}" if phone else "")
    return "\n".join(part for part in parts if part)


def make_addresses(people: People, timeline: Timeline, rng) -> Addresses:
    """Every user's profile address as their default entry; some users have a second one."""
    pool = [text.replace("\\n", "\n").replace("\\\\", "\\") for text in people.addresses]
    parsed = [_parsed(text) for text in pool]
    count = people.count
    second = rng.random(count) < SECOND_ADDRESS_SHARE
    users = np.concatenate((np.arange(1, count + 1), np.flatnonzero(second) + 1))
    texts = np.concatenate((people.address, rng.integers(0, len(pool), int(second.sum()))))
    names = [
        f"{people.first_names[first]} {people.last_names[last]}"
        for first, last in zip(people.first_name.tolist(), people.last_name.tolist(), strict=True)
    ]
    phones = [
        f"+1 {area}-555-{number:04d}" if has else ""
        for has, area, number in zip(
            (rng.random(len(users)) < PHONE_SHARE).tolist(),
            rng.integers(201, 990, len(users)).tolist(),
            rng.integers(100, 200, len(users)).tolist(),
            strict=True,
        )
    ]
    rows = [parsed[text] for text in texts.tolist()]
    created = people.created_at[users - 1] + np.where(
        np.arange(len(users)) < count, 0, (rng.random(len(users)) * (timeline.now - people.created_at[users - 1]))
    ).astype(np.int64)
    labels = [
        escape_copy(_label(names[user - 1], street, city, postal, COUNTRY, phones[index]))
        for index, (user, (street, city, postal)) in enumerate(zip(users[:count].tolist(), rows[:count], strict=True))
    ]
    return Addresses(
        user=users,
        full_name=np.array([names[user - 1] for user in users.tolist()], dtype=object),
        line1=np.array([escape_copy(row[0]) for row in rows], dtype=object),
        city=np.array([escape_copy(row[1]) for row in rows], dtype=object),
        postal_code=np.array([row[2] for row in rows], dtype=object),
        country=np.full(len(users), COUNTRY, dtype=object),
        phone=np.array(phones, dtype=object),
        is_default=np.arange(len(users)) < count,
        created=created,
        user_label=np.array(labels, dtype=object),
    )


def _methods(people: People, catalog: Catalog, rng) -> dict[str, np.ndarray]:
    """Most sellers' methods: a standard one (some free above an amount), often express, sometimes economy."""
    first_offer = np.full(people.count + 1, np.iinfo(np.int64).max)
    np.minimum.at(first_offer, catalog.offer_seller, catalog.offer_created)
    sellers = np.flatnonzero(people.is_seller & (first_offer[1:] < np.iinfo(np.int64).max)) + 1
    sellers = sellers[(rng.random(len(sellers)) < SELLERS_WITH_METHODS) | (sellers == SELLER_ID)]
    has = np.stack(
        (np.ones(len(sellers), dtype=bool), rng.random(len(sellers)) < 0.5, rng.random(len(sellers)) < 0.2), axis=1
    )
    seller, kind = np.nonzero(has)
    seller = sellers[seller]
    count = len(seller)
    fee = np.select(
        [kind == 0, kind == 1],
        [rng.choice(STANDARD_FEES, count), rng.choice(np.array([999, 1299, 1499]), count)],
        199,
    )
    free_over = np.where(kind == 0, rng.choice(STANDARD_FREE_OVER, count), NO_VALUE)
    free_over = np.where((kind == 0) & (fee == 0), NO_VALUE, free_over)
    min_days = np.select([kind == 0, kind == 1], [rng.integers(2, 4, count), np.ones(count, dtype=np.int64)], 5)
    max_days = min_days + np.select([kind == 0, kind == 1], [rng.integers(2, 5, count), np.ones(count)], 5)
    return {
        "seller": seller,
        "name": kind,
        "fee": fee.astype(np.int64),
        "free_over": free_over.astype(np.int64),
        "min_days": min_days.astype(np.int64),
        "max_days": max_days.astype(np.int64),
        "created": first_offer[seller],
    }


def _shipments(orders: Orders, methods: dict[str, np.ndarray], user_count: int, rng) -> dict[str, np.ndarray]:
    """One shipment per (purchase, seller): the cheapest method for its lines, or another one."""
    runs = group_numbers(orders.line_purchase * (int(orders.line_seller.max(initial=0)) + 1) + orders.line_seller)
    last = is_group_last(runs)
    subtotal = np.bincount(runs, weights=orders.line_total).astype(np.int64)
    purchase, seller = orders.line_purchase[last], orders.line_seller[last]
    # Up to three methods per seller, as a table: row = seller, column = method kind.
    slots = np.full((user_count + 1, 3), -1)
    slots[methods["seller"], methods["name"]] = np.arange(len(methods["seller"]))
    options = slots[seller]  # per shipment: method index per kind, -1 for none
    valid = options >= 0
    index = np.maximum(options, 0)
    free = (methods["free_over"][index] != NO_VALUE) & (subtotal[:, None] >= methods["free_over"][index])
    fees = np.where(free, 0, methods["fee"][index])
    cheapest = np.argmin(np.where(valid, fees * 10 + methods["max_days"][index], np.iinfo(np.int64).max), axis=1)
    other = np.argmax(np.where(valid, rng.random(valid.shape), -1.0), axis=1)
    chosen = np.where(rng.random(len(seller)) < CHEAPEST_SHARE, cheapest, other)
    has_methods = valid.any(axis=1)
    method = np.where(has_methods, options[np.arange(len(seller)), chosen] + 1, 0)
    fee = np.where(has_methods, fees[np.arange(len(seller)), chosen], 0)
    return {"purchase": purchase, "seller": seller, "method": method, "fee": fee, "line_shipment": runs}


def _tracking(carriers: np.ndarray, rng) -> np.ndarray:
    """Tracking numbers in each carrier's style, or "" (untracked)."""
    digits = rng.integers(10**9, 10**10, len(carriers)).astype(str).astype(object)
    prefixes = np.array(TRACKING_PREFIXES, dtype=object)[np.maximum(carriers, 0)]
    numbers = prefixes + digits + rng.integers(10, 100, len(carriers)).astype(str).astype(object)
    return np.where((carriers >= 0) & (rng.random(len(carriers)) >= UNTRACKED_SHARE), numbers, "")


def _deliveries(orders: Orders, timeline: Timeline, rng) -> tuple[np.ndarray, np.ndarray]:
    """When shipped lines were delivered: confirmed by most buyers within days, the rest by the job."""
    shipped = orders.line_fulfilled
    count = len(shipped)
    confirm_at = shipped + (DAY + rng.random(count) * 5 * DAY).astype(np.int64)
    auto_at = shipped + DELIVERY_WAIT + (rng.random(count) * JOB_LAG).astype(np.int64)
    confirms = rng.random(count) < CONFIRM_SHARE
    is_shipped = shipped != NO_TIME
    delivered = np.where(confirms, confirm_at, auto_at)
    delivered = np.where(is_shipped & (delivered < timeline.now), delivered, NO_TIME)
    return delivered, is_shipped & ~confirms & (delivered != NO_TIME)


def plan_lines(orders: Orders, timeline: Timeline, rng) -> LinePlan:
    """Plan each line's deliveries, returns, refunds and releases (no money: promotions follow them)."""
    count = len(orders.line_purchase)
    now = timeline.now
    shipped, cancelled = orders.line_fulfilled, orders.line_cancelled
    delivered, auto = _deliveries(orders, timeline, rng)
    # Returns: asked within the window, answered within days.
    asked = delivered + (HOUR * 12 + rng.random(count) * 25 * DAY).astype(np.int64)
    asks = (delivered != NO_TIME) & (rng.random(count) < RETURN_SHARE) & (asked < now)
    answered = asked + (2 * HOUR + rng.random(count) * 3 * DAY).astype(np.int64)
    answers = asks & (answered < now)
    accepts = answers & (rng.random(count) < ACCEPT_SHARE)
    restocks = accepts & (rng.random(count) < RESTOCK_SHARE)
    for age, line in _story(orders, timeline).items():
        outcome = STORY_OUTCOMES[age]
        delivered[line] = NO_TIME if outcome == SHIPPED else shipped[line] + DAY
        auto[line] = False
        asks[line] = outcome in (RETURN_REQUESTED, RETURN_REFUSED, REFUNDED)
        asked[line] = now - DAY if outcome == RETURN_REQUESTED else delivered[line] + 3 * DAY
        answers[line] = outcome in (RETURN_REFUSED, REFUNDED)
        answered[line] = asked[line] + DAY
        accepts[line] = restocks[line] = outcome == REFUNDED
    refused = answers & ~accepts
    # Released once delivered and past the window (after a refusal that came later), by the job.
    due = np.maximum(delivered + RETURN_WINDOW, np.where(refused, answered, 0)) + (rng.random(count) * JOB_LAG).astype(
        np.int64
    )
    releasable = (delivered != NO_TIME) & (~asks | refused) & (due <= now)
    status = np.select(
        [cancelled != NO_TIME, accepts, refused, asks, delivered != NO_TIME, shipped != NO_TIME],
        [CANCELLED, REFUNDED, RETURN_REFUSED, RETURN_REQUESTED, DELIVERED, SHIPPED],
        PLACED,
    )
    return LinePlan(
        status=status,
        shipped=shipped,
        delivered=delivered,
        auto_delivered=auto & (delivered != NO_TIME),
        return_requested=np.where(asks, asked, NO_TIME),
        return_reason=np.where(asks, rng.integers(0, len(RETURN_REASONS), count), NO_VALUE),
        return_refused=np.where(refused, answered, NO_TIME),
        refuse_reason=np.where(refused, rng.integers(0, len(REFUSE_REASONS), count), NO_VALUE),
        returned=np.where(restocks, answered, NO_TIME),
        refunded=np.where(accepts, answered, NO_TIME),
        released=np.where(releasable, due, NO_TIME),
    )


def make_journey(
    people: People, catalog: Catalog, orders: Orders, lines: LinePlan, promotions: Promotions, timeline: Timeline, rng
) -> Journey:
    """Addresses, shipping and fees around the planned lines, and what each line holds and refunds."""
    addresses = make_addresses(people, timeline, rng)
    methods = _methods(people, catalog, rng)
    shipments = _shipments(orders, methods, people.count, rng)
    count = len(orders.line_purchase)
    status, shipped = lines.status, lines.shipped
    # A line is settled when cancelled, refunded or released; its shipment's fee with its last line.
    settled = np.select(
        [status == CANCELLED, status == REFUNDED], [orders.line_cancelled, lines.refunded], lines.released
    )
    shipment_settled, shipment_refunded = _fee_settlements(shipments, settled, shipped, len(shipments["purchase"]))
    carriers = np.where(shipped != NO_TIME, rng.integers(0, len(CARRIERS), count), NO_VALUE)
    fees = np.bincount(shipments["purchase"] - 1, weights=shipments["fee"], minlength=len(orders.purchase_buyer))
    notes = np.where(
        rng.random(len(orders.purchase_buyer)) < NOTE_SHARE,
        rng.integers(0, len(NOTES), len(orders.purchase_buyer)),
        NO_VALUE,
    )
    return Journey(
        addresses=addresses,
        method_seller=methods["seller"],
        method_name=methods["name"],
        method_fee=methods["fee"],
        method_free_over=methods["free_over"],
        method_min_days=methods["min_days"],
        method_max_days=methods["max_days"],
        method_created=methods["created"],
        shipment_purchase=shipments["purchase"],
        shipment_seller=shipments["seller"],
        shipment_method=shipments["method"],
        shipment_fee=shipments["fee"],
        shipment_settled=shipment_settled,
        shipment_refunded=shipment_refunded,
        purchase_fees=fees.round().astype(np.int64),
        purchase_note=notes,
        lines=lines,
        line_carrier=carriers,
        line_tracking=_tracking(carriers, rng),
        line_refunded_amount=np.where((status == CANCELLED) | (status == REFUNDED), promotions.line_paid, 0),
        line_held=promotions.line_proceeds,
    )


def _story(orders: Orders, timeline: Timeline) -> dict[int, int]:
    """The demo buyer's lines from the demo seller by age in days, for the fixed outcomes of STORY_OUTCOMES."""
    mine = np.flatnonzero(
        (orders.line_buyer == BUYER_ID) & (orders.line_seller == SELLER_ID) & (orders.line_fulfilled != NO_TIME)
    )
    story = {}
    for line in mine.tolist():
        age = round((timeline.now - orders.line_ordered[line]) / DAY)
        if age in STORY_OUTCOMES:
            story[age] = line
    return story


def _fee_settlements(shipments, settled: np.ndarray, shipped: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """When each shipment's fee settled (with its last line), and whether it went back to the buyer (none shipped)."""
    runs = shipments["line_shipment"]
    open_lines = np.bincount(runs, weights=(settled == NO_TIME), minlength=count)
    shipped_lines = np.bincount(runs, weights=(shipped != NO_TIME), minlength=count)
    last = np.full(count, NO_TIME, dtype=np.int64)
    np.maximum.at(last, runs, settled)
    done = open_lines == 0
    return np.where(done, last, NO_TIME), done & (shipped_lines == 0)
