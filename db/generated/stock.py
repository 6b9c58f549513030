"""Offer stock and the inventory events that add up to it.

Each offer gets an 'initial' event, 'restock' events if it sells a lot, a 'sale' per order line,
a 'cancellation' per cancelled line, a 'return' per accepted return put back in stock, an 'offline
sale' per sale recorded through the seller API (seller_api.py), and an
'adjustment' (a stock-count correction) only when the others cannot land exactly on the chosen
final stock. The initial stock is the smallest that keeps
the running stock from ever going negative.
"""

from dataclasses import dataclass

import numpy as np

from .arrays import group_numbers, group_starts, grouped_cumsum, is_group_last
from .catalog import Catalog
from .commerce import Orders
from .seller_api import OfflineSales
from .timeline import NO_TIME, Timeline

SOLD_OUT_SHARE = 0.08
MAX_STOCK = 200
REASONS = ("initial", "restock", "adjustment", "sale", "cancellation", "return", "offline sale")
INITIAL, RESTOCK, ADJUSTMENT, SALE, CANCELLATION, RETURN, OFFLINE_SALE = range(len(REASONS))
NO_ORDER = -1


@dataclass(frozen=True)
class Stock:
    """Final stock per offer, and every inventory event (indexed by id - 1)."""

    offer_quantity: np.ndarray
    offer_updated: np.ndarray
    event_offer: np.ndarray  # offer index
    event_delta: np.ndarray
    event_after: np.ndarray  # quantity_after
    event_reason: np.ndarray  # index into REASONS
    event_order: np.ndarray  # order id or NO_ORDER
    event_created: np.ndarray


def _final_quantities(sold: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stock left per offer: about 8% sold out (mostly offers that sold), the rest 1-200, a few more."""
    count = len(sold)
    has_sales = sold > 0
    share_selling = max(has_sales.mean(), 1e-9) if count else 1.0
    zero_if_selling = min(0.5, SOLD_OUT_SHARE / share_selling)
    zero_otherwise = max(0.0, (SOLD_OUT_SHARE - zero_if_selling * share_selling) / max(1 - share_selling, 1e-9))
    sold_out = rng.random(count) < np.where(has_sales, zero_if_selling, zero_otherwise)
    stock = np.floor(np.exp(rng.random(count) * np.log(MAX_STOCK))).astype(np.int64)
    stock = np.where(rng.random(count) < 0.03, stock * 5, stock)  # a few big warehouses
    return np.where(sold_out, 0, np.maximum(stock, 1))


def _units_sold(orders: Orders, offline: OfflineSales, offer_count: int) -> np.ndarray:
    """Units each offer sold, online and offline."""
    online = np.bincount(orders.line_offer, weights=orders.line_quantity, minlength=offer_count)
    return online + np.bincount(offline.offer, weights=offline.quantity, minlength=offer_count)


def _movements(catalog, orders: Orders, offline: OfflineSales, returned: np.ndarray, timeline: Timeline, rng) -> dict:
    """Sales, cancellations, returns back in stock (at `returned`, NO_TIME for none), offline sales
    and restocks, sorted by offer and then time."""
    line_ids = np.arange(1, len(orders.line_offer) + 1)
    cancelled = orders.line_is_cancelled
    back = returned != NO_TIME
    sold = _units_sold(orders, offline, len(catalog.offer_seller))
    restock_counts = np.minimum(3, sold.astype(np.int64) // 12)
    restocked = np.repeat(np.arange(len(sold)), restock_counts)
    created = catalog.offer_created[restocked]
    room = np.maximum(timeline.now - created - 1, 1)
    amounts = 5 * np.ceil(sold[restocked] / (restock_counts[restocked] + 1) / 5).astype(np.int64)
    offline_count = len(offline.offer)
    columns = {
        "offer": (orders.line_offer, orders.line_offer[cancelled], orders.line_offer[back], restocked, offline.offer),
        "created": (
            orders.line_ordered,
            orders.line_cancelled[cancelled],
            returned[back],
            created + 1 + (rng.random(len(restocked)) * room).astype(np.int64),
            offline.created,
        ),
        "delta": (
            -orders.line_quantity,
            orders.line_quantity[cancelled],
            orders.line_quantity[back],
            amounts,
            -offline.quantity,
        ),
        "reason": (
            np.full(len(line_ids), SALE),
            np.full(int(cancelled.sum()), CANCELLATION),
            np.full(int(back.sum()), RETURN),
            np.full(len(restocked), RESTOCK),
            np.full(offline_count, OFFLINE_SALE),
        ),
        "order": (
            line_ids,
            line_ids[cancelled],
            line_ids[back],
            np.full(len(restocked), NO_ORDER),
            np.full(offline_count, NO_ORDER),
        ),
    }
    merged = {name: np.concatenate(parts).astype(np.int64) for name, parts in columns.items()}
    order = np.lexsort((merged["order"], merged["reason"], merged["created"], merged["offer"]))
    return {name: values[order] for name, values in merged.items()}


def _per_offer(offers: np.ndarray, values: np.ndarray, offer_count: int, empty: int) -> np.ndarray:
    """One value per offer taken at each offer's last movement, `empty` where it has none."""
    result = np.full(offer_count, empty, dtype=np.int64)
    last = is_group_last(group_numbers(offers))
    result[offers[last]] = values[last]
    return result


def _lowest_running(offers: np.ndarray, running: np.ndarray, offer_count: int) -> np.ndarray:
    """The lowest running total per offer (0 where it has no movements)."""
    lowest = np.zeros(offer_count, dtype=np.int64)
    if len(offers):
        starts = group_starts(offers)
        lowest[offers[starts]] = np.minimum(np.minimum.reduceat(running, starts), 0)
    return lowest


def _starting_stock(final, end, lowest, rng) -> tuple[np.ndarray, np.ndarray]:
    """Initial stock per offer (the least that keeps the running stock >= 0) and any correction needed."""
    initial = np.maximum(final - end, -lowest)
    # An offer whose events leave nothing to start with still opened with some stock, later written off.
    initial = np.where(initial > 0, initial, rng.integers(5, 50, len(final)))
    return initial, final - (initial + end)


def _event_rows(catalog: Catalog, moves, running, initial, final, adjustment, adjust_at) -> dict[str, np.ndarray]:
    """Every event (initial, movements, adjustments) as columns, in id order: by time, then per offer."""
    offer_count = len(initial)
    adjusted = np.flatnonzero(adjustment != 0)
    moved = len(moves["offer"])
    parts = {
        "offer": (np.arange(offer_count), moves["offer"], adjusted),
        "created": (catalog.offer_created, moves["created"], adjust_at[adjusted]),
        "delta": (initial, moves["delta"], adjustment[adjusted]),
        "after": (initial, initial[moves["offer"]] + running, final[adjusted]),
        "reason": (np.full(offer_count, INITIAL), moves["reason"], np.full(len(adjusted), ADJUSTMENT)),
        "order": (np.full(offer_count, NO_ORDER), moves["order"], np.full(len(adjusted), NO_ORDER)),
        "step": (np.zeros(offer_count), np.arange(1, moved + 1), np.full(len(adjusted), moved + 1)),
    }
    events = {name: np.concatenate(values).astype(np.int64) for name, values in parts.items()}
    # Within one offer and second, keep the order the running stock was computed in.
    order = np.lexsort((events["step"], events["offer"], events["created"]))
    return {name: values[order] for name, values in events.items()}


def make_stock(
    catalog: Catalog,
    orders: Orders,
    offline: OfflineSales,
    returned: np.ndarray,
    timeline: Timeline,
    rng: np.random.Generator,
) -> Stock:
    """Choose each offer's stock and write the inventory events that lead to it (`returned`: when
    each line's accepted return went back in stock, NO_TIME for none; `offline`: sales recorded
    through the seller API)."""
    offer_count = len(catalog.offer_seller)
    moves = _movements(catalog, orders, offline, returned, timeline, rng)
    running = grouped_cumsum(moves["delta"], group_numbers(moves["offer"]))
    sold = _units_sold(orders, offline, offer_count)
    final = _final_quantities(sold, rng)
    end = _per_offer(moves["offer"], running, offer_count, 0)
    initial, adjustment = _starting_stock(final, end, _lowest_running(moves["offer"], running, offer_count), rng)
    last_time = np.maximum(_per_offer(moves["offer"], moves["created"], offer_count, NO_TIME), catalog.offer_created)
    room = np.maximum(timeline.now - last_time - 1, 0)
    adjust_at = last_time + 1 + (rng.random(offer_count) * room).astype(np.int64)
    events = _event_rows(catalog, moves, running, initial, final, adjustment, adjust_at)
    return Stock(
        offer_quantity=final,
        offer_updated=np.where(adjustment != 0, adjust_at, last_time),
        event_offer=events["offer"],
        event_delta=events["delta"],
        event_after=events["after"],
        event_reason=events["reason"],
        event_order=events["order"],
        event_created=events["created"],
    )
