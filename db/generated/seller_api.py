"""The seller API's rows (issue 19): offline sales some sellers record through their own tools, and
the personal access tokens those tools use, with a few expired and revoked ones beside them.

A seller who uses the API (about one in seven, and the demo seller) records sales made elsewhere —
a market stall, the phone — as POST /api/v1/sales does: the offer's stock goes down with an
inventory event "offline sale" (stock.py takes them as movements), at the offer's price or near
it, each with its tool's Idempotency-Key (a UUID, or a till's running number) and the digest the
app keeps of the request, so replaying a generated sale with its key is answered as a replay.
Offline sales happen where the seller's online sales happen, over the last WINDOW_DAYS (the
API is newer than the shop), so they follow the orders' days and seasons.

Each such seller's tool holds a token with the orders scope, created shortly before its first
sale and live through its last (app/models/api_token.py's format: only the SHA-256 is stored).
Some of them also left an older token to expire, or revoked one; a few other sellers read their
sales with a read-only token. The demo seller has DEMO_API_TOKEN, whose text the README gives so
a new user can call the API at once (like the demo passwords, it is public: demo data only).
"""

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from .arrays import group_numbers, group_starts, uuid_texts
from .catalog import Catalog
from .commerce import Orders
from .people import ADMIN_ID, DEMO_API_SCOPES, DEMO_API_TOKEN, SELLER_ID, People
from .timeline import DAY, HOUR, MINUTE, NO_TIME, Timeline

# What app/models/api_token.py makes: the prefix, 43 URL-safe characters; the list shows 10.
TOKEN_PREFIX = "bzr_"
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
DISPLAY_LENGTH = len(TOKEN_PREFIX) + 6
EXPIRY_DAYS = (7, 30, 90, 365)  # the choices of /account/tokens

API_SELLER_SHARE = 0.15  # of sellers
WINDOW_DAYS = 300  # offline sales happen in the last 300 days
OFFLINE_PER_LINE = 0.3  # offline sales per online order line of an API seller in the window
QUANTITIES = np.array([1, 2, 3, 4, 5, 10])
QUANTITY_WEIGHTS = np.array([0.55, 0.2, 0.1, 0.05, 0.05, 0.05])
AS_LISTED, HAGGLED, ROUND = range(3)  # how a sale's unit price relates to the offer's price
PRICE_WEIGHTS = (0.45, 0.35, 0.2)
SALE_TOKEN_NAMES = ("Market stall till", "Shop POS sync", "Phone orders app", "Inventory script", "Craft fair tablet")
OLD_TOKEN_NAMES = ("Stock spreadsheet (old)", "Price checker test", "First API try")
REVOKED_TOKEN_NAMES = ("Old laptop", "Contractor's script", "Leaked in a screenshot")
READER_TOKEN_NAMES = ("Sales dashboard", "Accounting export", "Weekly report")


@dataclass(frozen=True)
class OfflineSales:
    """Offline sales in id (time) order."""

    offer: np.ndarray  # offer index
    quantity: np.ndarray
    unit_price: np.ndarray  # cents
    created: np.ndarray
    key: np.ndarray  # Idempotency-Key text
    digest: np.ndarray  # app/routes/api_v1.record_sale's request digest


@dataclass(frozen=True)
class Tokens:
    """API tokens in id (creation) order; NO_TIME for NULL times."""

    user: np.ndarray
    name: list[str]
    scopes: list[tuple[str, ...]]
    token_hash: list[str]
    display_prefix: list[str]
    created: np.ndarray
    expires: np.ndarray
    last_used: np.ndarray
    revoked: np.ndarray


def _api_sellers(people: People, rng: np.random.Generator) -> np.ndarray:
    """Whether each user id (index id - 1) records offline sales through the API."""
    chosen = people.is_seller & (rng.random(people.count) < API_SELLER_SHARE)
    chosen[SELLER_ID - 1] = True
    return chosen


def _unit_prices(listed: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each sale's unit price in cents, and whether the tool left it out (the offer's price then)."""
    how = rng.choice(len(PRICE_WEIGHTS), size=len(listed), p=PRICE_WEIGHTS)
    haggled = np.round(listed * (1 + rng.uniform(-0.12, 0.05, len(listed)))).astype(np.int64)
    rounded = np.where(listed >= 1000, (listed + 50) // 100 * 100, listed)  # cash at a stall: whole units
    prices = np.select([how == AS_LISTED, how == HAGGLED], [listed, haggled], rounded)
    return np.maximum(prices, 1), how == AS_LISTED


def _keys(sellers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Idempotency keys, unique per seller: some tools send UUIDs, others a till's running number."""
    order = np.lexsort((np.arange(len(sellers)), sellers))
    groups = group_numbers(sellers[order])
    starts = group_starts(groups)
    running = np.empty(len(sellers), dtype=np.int64)
    running[order] = np.arange(len(sellers)) - np.repeat(starts, np.diff(np.append(starts, len(sellers)))) + 1
    uses_till = (sellers * 2654435761 % 1000) < 350  # a tool per seller: the same style for all its sales
    tills = np.array([f"till-{number:06d}" for number in running.tolist()], dtype=object)
    return np.where(uses_till, tills, uuid_texts(rng, len(sellers)).astype(object))


def _digests(products: np.ndarray, quantities: np.ndarray, prices: np.ndarray, left_out: np.ndarray) -> np.ndarray:
    """The SHA-256 of each request's canonical JSON, as the app computes it for a replay."""
    digests = []
    for product, quantity, cents, omitted in zip(
        products.tolist(), quantities.tolist(), prices.tolist(), left_out.tolist(), strict=True
    ):
        price = None if omitted else f"{cents // 100}.{cents % 100:02d}"
        canonical = {"product_id": product, "quantity": quantity, "unit_price": price}
        digests.append(hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest())
    return np.array(digests, dtype=object)


def make_offline_sales(
    people: People, catalog: Catalog, orders: Orders, timeline: Timeline, rng: np.random.Generator
) -> OfflineSales:
    """Offline sales of the API sellers, drawn from their online lines of the window: the same offers,
    near the same moments."""
    window_start = timeline.now - WINDOW_DAYS * DAY
    eligible = np.flatnonzero(_api_sellers(people, rng)[orders.line_seller - 1] & (orders.line_ordered >= window_start))
    count = int(round(len(eligible) * OFFLINE_PER_LINE))
    lines = np.sort(rng.choice(eligible, size=count)) if count else eligible[:0]
    offers = orders.line_offer[lines]
    # A day or two either side of the online sale: mirrored back into the window at its ends.
    jitter = np.abs(rng.normal(0, 2 * DAY, count)).astype(np.int64)
    ordered = orders.line_ordered[lines]
    earliest = np.maximum(catalog.offer_created[offers], window_start) + MINUTE
    created = np.where(rng.random(count) < 0.5, ordered + jitter, ordered - jitter)
    created = np.where(created < earliest, ordered + jitter, created)
    created = np.clip(np.where(created >= timeline.now, ordered - jitter, created), earliest, timeline.now - MINUTE)
    order = np.argsort(created, kind="stable")
    offers, created = offers[order], created[order]
    quantities = rng.choice(QUANTITIES, size=count, p=QUANTITY_WEIGHTS)
    prices, left_out = _unit_prices(catalog.offer_price[offers], rng)
    return OfflineSales(
        offer=offers,
        quantity=quantities,
        unit_price=prices,
        created=created,
        key=_keys(catalog.offer_seller[offers], rng),
        digest=_digests(catalog.offer_product[offers], quantities, prices, left_out),
    )


def token_text(rng: np.random.Generator) -> str:
    """A token as app/models/api_token.new_token makes it, drawn from the seed (never shown)."""
    return TOKEN_PREFIX + "".join(TOKEN_ALPHABET[index] for index in rng.integers(0, 64, 43))


class _TokenRows:
    """Collects token rows while they are planned."""

    def __init__(self, rng: np.random.Generator, now: int, suspended: np.ndarray) -> None:
        self.rng, self.now, self.suspended, self.rows = rng, now, suspended, []

    def stop(self, user: int) -> int:
        """Until when the user could use or revoke a token: now, or their suspension."""
        return self.now if self.suspended[user - 1] == NO_TIME else int(self.suspended[user - 1])

    def add(self, user, name, scopes, created, days, last_used=NO_TIME, revoked=NO_TIME, text=None) -> None:
        """One token of `user` (created before they were suspended); last use and revocation clamped
        into its life."""
        text = text or token_text(self.rng)
        expires = created + days * DAY
        if revoked != NO_TIME:
            revoked = int(np.clip(revoked, created + MINUTE, min(expires, self.stop(user)) - MINUTE))
        end = min(expires, self.stop(user), revoked if revoked != NO_TIME else self.now)
        if last_used != NO_TIME:
            last_used = int(np.clip(last_used, created + MINUTE, end - MINUTE))
        digest = hashlib.sha256(text.encode()).hexdigest()
        self.rows.append((created, user, name, scopes, digest, text[:DISPLAY_LENGTH], expires, last_used, revoked))

    def between(self, low: int, high: int) -> int:
        """A moment in [low, high), or low when the span is empty."""
        return int(low + self.rng.random() * max(high - low, 1))


def _sale_tokens(rows: _TokenRows, sales: OfflineSales, catalog: Catalog, people: People) -> None:
    """Each API seller's live token (its tool's) and, for some, one that expired or was revoked."""
    sellers = catalog.offer_seller[sales.offer]
    for seller in np.unique(sellers).tolist():
        times = sales.created[sellers == seller]
        first, last = int(times.min()), int(times.max())
        registered = int(people.created_at[seller - 1])
        stop = rows.stop(seller)
        created = max(first - rows.between(HOUR, 7 * DAY), registered + HOUR)
        scopes = ("read", "orders") if rows.rng.random() < 0.5 else ("read", "listings", "orders")
        name = SALE_TOKEN_NAMES[seller % len(SALE_TOKEN_NAMES)]
        rows.add(seller, name, scopes, created, 365, last_used=min(last + rows.between(0, 3 * DAY), stop))
        if rows.rng.random() < 0.3 or seller == SELLER_ID:
            old = max(created - rows.between(100 * DAY, 300 * DAY), registered + HOUR)
            used = rows.between(old, old + 60 * DAY) if rows.rng.random() < 0.7 else NO_TIME
            rows.add(seller, OLD_TOKEN_NAMES[seller % len(OLD_TOKEN_NAMES)], ("read",), old, 90, last_used=used)
        made = rows.between(max(registered + HOUR, rows.now - 200 * DAY), stop - 2 * HOUR)
        if (rows.rng.random() < 0.2 or seller == SELLER_ID) and made < stop - 2 * HOUR:
            revoked = min(made + rows.between(HOUR, 40 * DAY), stop - HOUR)
            name = REVOKED_TOKEN_NAMES[seller % len(REVOKED_TOKEN_NAMES)]
            rows.add(seller, name, ("read", "listings"), made, 90, last_used=made + HOUR, revoked=revoked)


def _reader_tokens(rows: _TokenRows, people: People, api_sellers: set, suspended: np.ndarray) -> None:
    """Read-only tokens of a few other sellers (dashboards, exports), live or long expired."""
    readers = np.flatnonzero(people.is_seller & (suspended == NO_TIME) & (rows.rng.random(people.count) < 0.05)) + 1
    for user in readers.tolist():
        if user in api_sellers:
            continue
        days = int(rows.rng.choice(EXPIRY_DAYS))
        created = rows.between(max(int(people.created_at[user - 1]) + HOUR, rows.now - 500 * DAY), rows.now - DAY)
        used = rows.between(created, created + days * DAY) if rows.rng.random() < 0.8 else NO_TIME
        rows.add(user, READER_TOKEN_NAMES[user % len(READER_TOKEN_NAMES)], ("read",), created, days, last_used=used)


def make_tokens(
    people: People, catalog: Catalog, sales: OfflineSales, suspended: np.ndarray, timeline: Timeline, rng
) -> Tokens:
    """Every token: the API sellers', some readers', the demo administrator's and the demo token.
    `suspended`: when each user was suspended (NO_TIME if not): no token is used or revoked after."""
    rows = _TokenRows(rng, timeline.now, suspended)
    _sale_tokens(rows, sales, catalog, people)
    _reader_tokens(rows, people, set(np.unique(catalog.offer_seller[sales.offer]).tolist()), suspended)
    if people.count >= ADMIN_ID:
        admin_made = timeline.now - 20 * DAY
        rows.add(ADMIN_ID, "Catalog admin script", ("read", "admin"), admin_made, 90, last_used=timeline.now - DAY)
    # A day old at the data's moment: live for a year after ./setup.sh, never used yet.
    rows.add(SELLER_ID, "Demo token (see README)", DEMO_API_SCOPES, timeline.now - DAY, 365, text=DEMO_API_TOKEN)
    rows.rows.sort(key=lambda row: (row[0], row[1]))
    created, user, name, scopes, digest, prefix, expires, last_used, revoked = map(list, zip(*rows.rows, strict=True))
    return Tokens(
        user=np.array(user, dtype=np.int64),
        name=name,
        scopes=scopes,
        token_hash=digest,
        display_prefix=prefix,
        created=np.array(created, dtype=np.int64),
        expires=np.array(expires, dtype=np.int64),
        last_used=np.array(last_used, dtype=np.int64),
        revoked=np.array(revoked, dtype=np.int64),
    )
