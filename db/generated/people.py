"""Users: the four demo accounts, everyone else from pools of Faker names and addresses.

User ids follow registration order, so "everyone registered before t" is a prefix of the id range,
which is how purchases, reviews and votes find people who already existed at their time.
"""

import hashlib
import re
from dataclasses import dataclass

import numpy as np
from faker import Faker

from .texts import escape_copy
from .timeline import DAY, HOUR, Timeline

GENERATED_PASSWORD = "bazaar-demo"
BUYER_ID, SELLER_ID, ADMIN_ID, MODERATOR_ID = 1, 2, 3, 4
SELLER_SHARE = 0.2  # of generated users who also sell
FIRST_NAMES, LAST_NAMES, ADDRESSES = 600, 800, 3000
TIME_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
)
TIME_ZONE_WEIGHTS = (0.4, 0.12, 0.1, 0.12, 0.08, 0.1, 0.04, 0.04)
SALT_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class DemoLogin:
    """A fixed account that ./setup.sh prints so people can sign in to the demo."""

    role: str
    email: str
    password: str
    full_name: str


DEMO_LOGINS = (
    DemoLogin("buyer", "buyer@example.com", "buyer-password", "Demo Buyer"),
    DemoLogin("seller", "seller@example.com", "seller-password", "Demo Seller"),
    DemoLogin("administrator", "admin@example.com", "admin-password", "Demo Admin"),
    DemoLogin("moderator", "moderator@example.com", "moderator-password", "Demo Moderator"),
)
# The demo seller's API token (seller_api.py stores its SHA-256): public like the passwords above.
DEMO_API_TOKEN = "bzr_DEMO-seller-token_read-listings-orders_0001"
DEMO_API_SCOPES = ("read", "listings", "orders")
# users.role of the demo staff (everyone else is a 'user').
STAFF_ROLES = {ADMIN_ID: "administrator", MODERATOR_ID: "moderator"}


def format_logins() -> str:
    """The demo logins as aligned lines, plus the password every generated user shares."""
    lines = [f"  {login.role:<13} {login.email:<21} password: {login.password}" for login in DEMO_LOGINS]
    lines.append(f"  any other generated user (e.g. from the seller pages): password {GENERATED_PASSWORD}")
    lines.append(f"  the demo seller's API token ({', '.join(DEMO_API_SCOPES)}): {DEMO_API_TOKEN}")
    return "Demo logins:\n" + "\n".join(lines)


def password_hash(password: str, salt: str) -> str:
    """A Werkzeug-format scrypt hash (what generate_password_hash makes) with a chosen salt.

    generate_password_hash draws a random salt; taking the salt from the seed instead keeps a
    seed's rows byte-identical. check_password_hash verifies these like any other.
    """
    n, r, p = 2**15, 8, 1
    digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p)
    return f"scrypt:{n}:{r}:{p}${salt}${digest.hex()}"


@dataclass(frozen=True)
class People:
    """Every user as columns indexed by id - 1."""

    count: int
    created_at: np.ndarray  # ascending
    first_name: np.ndarray  # index into first_names
    last_name: np.ndarray
    address: np.ndarray  # index into addresses
    time_zone: np.ndarray  # index into TIME_ZONES
    low_stock_threshold: np.ndarray
    password: np.ndarray  # index into password_hashes
    is_seller: np.ndarray
    seller_weight: np.ndarray  # how much of the catalog a seller offers (0 for non-sellers)
    buyer_weight: np.ndarray  # how often a user buys
    first_names: list[str]  # COPY-escaped
    last_names: list[str]
    email_first_names: list[str]  # the same names as lower-case ASCII letters, for e-mails
    email_last_names: list[str]
    addresses: list[str]
    password_hashes: list[str]

    def registered_before(self, times: np.ndarray) -> np.ndarray:
        """How many users had registered strictly before each time (a prefix of the ids)."""
        return np.searchsorted(self.created_at, times, side="left")


def _name_pools(faker: Faker, users: int) -> tuple[list[str], list[str], list[str]]:
    """First names, last names and street addresses; some addresses on one line, some on two."""
    # Faker costs tens of microseconds a call: small runs get small pools.
    first = [faker.first_name() for _ in range(min(FIRST_NAMES, 50 + users))]
    last = [faker.last_name() for _ in range(min(LAST_NAMES, 50 + users))]
    addresses = [faker.address() for _ in range(min(ADDRESSES, 50 + users))]
    # Half the addresses keep Faker's line break, so the COPY escaping of newlines is exercised.
    addresses = [address if index % 2 else address.replace("\n", ", ") for index, address in enumerate(addresses)]
    return first, last, addresses


def _ascii_name(name: str) -> str:
    """A name as lower-case ASCII letters for an e-mail address."""
    return re.sub("[^a-z]", "", name.lower()) or "user"


def _registration_times(count: int, timeline: Timeline, rng: np.random.Generator) -> np.ndarray:
    """Demo accounts first, then everyone else over the two years, a little heavier early on."""
    demo = timeline.start - DAY + HOUR * np.arange(len(DEMO_LOGINS), dtype=np.int64)
    span = timeline.now - DAY - timeline.start
    others = timeline.start + (span * rng.random(count - len(DEMO_LOGINS)) ** 1.3).astype(np.int64)
    return np.concatenate((demo, np.sort(others)))


def _salt(rng: np.random.Generator) -> str:
    """A 16-character salt in Werkzeug's alphabet, taken from the seeded generator."""
    return "".join(SALT_CHARACTERS[index] for index in rng.integers(0, len(SALT_CHARACTERS), 16))


def _weights(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who sells and how much, and how often each user buys (skewed: a few do most of it)."""
    is_seller = rng.random(count) < SELLER_SHARE
    is_seller[: len(DEMO_LOGINS)] = False
    is_seller[SELLER_ID - 1] = True
    seller_weight = np.where(is_seller, rng.lognormal(0.0, 1.0, count), 0.0)
    # The demo seller is one of the busier sellers, so their pages have something to show.
    seller_weight[SELLER_ID - 1] = np.quantile(seller_weight[is_seller], 0.95)
    buyer_weight = rng.lognormal(0.0, 1.0, count)
    buyer_weight[: len(DEMO_LOGINS)] = 0.0  # the demo buyer's purchases are written by commerce.py
    return is_seller, seller_weight, buyer_weight


def make_people(count: int, timeline: Timeline, faker: Faker, rng: np.random.Generator) -> People:
    """Generate `count` users (the first four are the demo accounts)."""
    first, last, addresses = _name_pools(faker, count)
    demo_first = [login.full_name.split()[0] for login in DEMO_LOGINS]
    demo_last = [login.full_name.split()[1] for login in DEMO_LOGINS]
    first_names, last_names = demo_first + first, demo_last + last
    first_index = rng.integers(len(DEMO_LOGINS), len(first_names), count)
    last_index = rng.integers(len(DEMO_LOGINS), len(last_names), count)
    first_index[: len(DEMO_LOGINS)] = np.arange(len(DEMO_LOGINS))
    last_index[: len(DEMO_LOGINS)] = np.arange(len(DEMO_LOGINS))
    hashes = [password_hash(GENERATED_PASSWORD, _salt(rng))]
    hashes += [password_hash(login.password, _salt(rng)) for login in DEMO_LOGINS]
    password = np.zeros(count, dtype=np.int64)
    password[: len(DEMO_LOGINS)] = np.arange(1, len(DEMO_LOGINS) + 1)
    is_seller, seller_weight, buyer_weight = _weights(count, rng)
    thresholds = rng.choice(np.array([5, 10, 3, 20]), size=count, p=[0.7, 0.15, 0.1, 0.05])
    return People(
        count=count,
        created_at=_registration_times(count, timeline, rng),
        first_name=first_index,
        last_name=last_index,
        address=rng.integers(0, len(addresses), count),
        time_zone=rng.choice(len(TIME_ZONES), size=count, p=TIME_ZONE_WEIGHTS),
        low_stock_threshold=thresholds,
        password=password,
        is_seller=is_seller,
        seller_weight=seller_weight,
        buyer_weight=buyer_weight,
        first_names=[escape_copy(name) for name in first_names],
        last_names=[escape_copy(name) for name in last_names],
        email_first_names=[_ascii_name(name) for name in first_names],
        email_last_names=[_ascii_name(name) for name in last_names],
        addresses=[escape_copy(address) for address in addresses],
        password_hashes=hashes,
    )
