"""How the order journey's rows are written out (journey.py): address books, shipping methods,
shipments, and the order lines' and purchases' columns for it."""

import numpy as np

from .copyload import TableSource, booleans, integers, money, or_null, timestamps
from .journey import (
    CARRIERS,
    COUNTRY_CODE,
    METHOD_NAMES,
    NO_VALUE,
    NOTES,
    REFUSE_REASONS,
    RETURN_REASONS,
    STATUSES,
    Journey,
)
from .texts import escape_copy
from .timeline import DAY, NO_TIME

LINE_COLUMNS = (
    "status",
    "shipped_at",
    "carrier",
    "tracking_number",
    "delivered_at",
    "auto_delivered",
    "return_requested_at",
    "return_reason",
    "return_refused_at",
    "refuse_reason",
    "returned_at",
    "refunded_at",
    "refunded_amount",
    "held_amount",
    "released_at",
)
PURCHASE_COLUMNS = ("ship_to", "ship_country", "note")


def _times(seconds: np.ndarray) -> np.ndarray:
    """Timestamps with NULL where the time is NO_TIME."""
    missing = seconds == NO_TIME
    return or_null(timestamps(np.where(missing, DAY, seconds)), missing)


def _chosen(texts: tuple[str, ...], index: np.ndarray, null: bool = True) -> np.ndarray:
    """texts[index] COPY-escaped, NULL (or "") where the index is NO_VALUE."""
    pool = np.array([escape_copy(text) for text in texts], dtype=object)[np.maximum(index, 0)]
    return or_null(pool, index == NO_VALUE) if null else np.where(index == NO_VALUE, "", pool)


def line_columns(journey: Journey, window: slice) -> list:
    """The LINE_COLUMNS of order lines `window`."""
    lines, tracking = journey.lines, journey.line_tracking[window]
    return [
        np.array(STATUSES, dtype=object)[lines.status[window]],
        _times(lines.shipped[window]),
        _chosen(CARRIERS, journey.line_carrier[window]),
        or_null(tracking, tracking == ""),
        _times(lines.delivered[window]),
        booleans(lines.auto_delivered[window]),
        _times(lines.return_requested[window]),
        _chosen(RETURN_REASONS, lines.return_reason[window]),
        _times(lines.return_refused[window]),
        _chosen(REFUSE_REASONS, lines.refuse_reason[window]),
        _times(lines.returned[window]),
        _times(lines.refunded[window]),
        money(journey.line_refunded_amount[window]),
        money(journey.line_held[window]),
        _times(lines.released[window]),
    ]


def purchase_columns(journey: Journey, buyers: np.ndarray, window: slice) -> list:
    """The PURCHASE_COLUMNS of purchases `window` (by `buyers`): the buyer's default address, its
    country's ISO code (every generated address is in the United States), the note."""
    return [
        journey.addresses.user_label[buyers - 1],
        np.full(len(buyers), COUNTRY_CODE, dtype=object),
        _chosen(NOTES, journey.purchase_note[window], null=False),
    ]


def addresses(journey: Journey) -> TableSource:
    """Address-book rows in id order."""
    book = journey.addresses

    def rows(start: int, stop: int):
        window = slice(start, stop)
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(book.user[window]),
            book.full_name[window],
            book.line1[window],
            book.city[window],
            book.postal_code[window],
            book.country[window],
            book.phone[window],
            booleans(book.is_default[window]),
            timestamps(book.created[window]),
        ]

    columns = ("id", "user_id", "full_name", "line1", "city", "postal_code", "country", "phone", "is_default")
    return TableSource("addresses", (*columns, "created_at"), len(book.user), rows)


def shipping_methods(journey: Journey) -> TableSource:
    """Sellers' shipping methods in id order."""

    def rows(start: int, stop: int):
        window = slice(start, stop)
        free_over = journey.method_free_over[window]
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(journey.method_seller[window]),
            np.array(METHOD_NAMES, dtype=object)[journey.method_name[window]],
            money(journey.method_fee[window]),
            or_null(money(np.maximum(free_over, 0)), free_over == NO_VALUE),
            integers(journey.method_min_days[window]),
            integers(journey.method_max_days[window]),
            timestamps(journey.method_created[window]),
        ]

    columns = ("id", "seller_id", "name", "fee", "free_over", "min_days", "max_days", "created_at")
    return TableSource("shipping_methods", columns, len(journey.method_seller), rows)


def shipments(journey: Journey) -> TableSource:
    """One shipment per (purchase, seller), in primary-key order, with the method's copy."""

    def rows(start: int, stop: int):
        window = slice(start, stop)
        method = journey.shipment_method[window]
        index = np.maximum(method - 1, 0)
        standard = method == 0
        return [
            integers(journey.shipment_purchase[window]),
            integers(journey.shipment_seller[window]),
            or_null(integers(method), standard),
            np.where(standard, METHOD_NAMES[0], np.array(METHOD_NAMES, dtype=object)[journey.method_name[index]]),
            money(journey.shipment_fee[window]),
            integers(np.where(standard, 3, journey.method_min_days[index])),
            integers(np.where(standard, 7, journey.method_max_days[index])),
            _times(journey.shipment_settled[window]),
            booleans(journey.shipment_refunded[window]),
        ]

    columns = ("purchase_id", "seller_id", "method_id", "method_name", "fee", "min_days", "max_days")
    return TableSource("shipments", (*columns, "fee_settled_at", "fee_refunded"), len(journey.shipment_purchase), rows)
