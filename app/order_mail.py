"""The e-mails of an order's journey, written to the outbox in the transaction of the change.

Order placed (to the buyer and to each seller), shipped (with the carrier and tracking number),
delivered, return requested (to the seller), return accepted or refused, refund of a cancelled
line (and the seller told of the cancellation). Each reads what it says in one query, inside
the caller's transaction, so it tells what that transaction did.
"""

from datetime import datetime
from itertools import groupby
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection

from app import db, mail
from app.models.escrow import RETURN_WINDOW

# What a message says of its lines (orders AS o, products AS pr, purchases AS p, users AS buyer and
# AS seller, shipments AS sh).
_DETAILS = """
    SELECT o.id, o.purchase_id, o.seller_id, o.quantity, o.unit_price, o.line_total, o.paid, o.refunded_amount,
           o.carrier, o.tracking_number, o.delivered_at, o.return_reason, o.refuse_reason, o.returned_at,
           pr.name AS product_name, p.ship_to, p.note, p.total,
           buyer.email AS buyer_email, buyer.full_name AS buyer_name, buyer.time_zone AS buyer_time_zone,
           seller.email AS seller_email, seller.full_name AS seller_name,
           sh.method_name, sh.fee, sh.min_days, sh.max_days
    FROM orders AS o
    JOIN products AS pr ON pr.id = o.product_id
    JOIN purchases AS p ON p.id = o.purchase_id
    JOIN users AS buyer ON buyer.id = o.buyer_id
    JOIN users AS seller ON seller.id = o.seller_id
    LEFT JOIN shipments AS sh ON sh.purchase_id = o.purchase_id AND sh.seller_id = o.seller_id
"""


def _lines(conn: Connection, order_ids: list[int]):
    """The lines' details, by purchase and seller."""
    return db.fetch_all(
        conn,
        f"{_DETAILS} WHERE o.id = ANY(:order_ids) ORDER BY o.purchase_id, o.seller_id, o.id",  # noqa: S608 - a fixed query
        order_ids=order_ids,
    )


def _purchase_lines(conn: Connection, purchase_id: int):
    """Every line of a purchase with its details, by seller."""
    return db.fetch_all(
        conn,
        f"{_DETAILS} WHERE o.purchase_id = :purchase_id ORDER BY o.seller_id, o.id",  # noqa: S608 - a fixed query
        purchase_id=purchase_id,
    )


def _date(moment: datetime | None, zone_name: str) -> str:
    """A date as the recipient reads it, in their own time zone."""
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%d %B %Y").lstrip("0")


def _purchase_link(purchase_id: int) -> str:
    return mail.absolute_url("purchases.show", purchase_id=purchase_id)


def placed(conn: Connection, purchase_id: int) -> None:
    """Order placed: the buyer's receipt, and each seller's lines to ship."""
    lines = _purchase_lines(conn, purchase_id)
    first = lines[0]
    mail.send(
        conn,
        "order_placed",
        first["buyer_email"],
        name=first["buyer_name"],
        purchase_id=purchase_id,
        lines=lines,
        fees=[next(group) for _, group in groupby(lines, key=lambda line: line["seller_id"])],
        total=first["total"],
        ship_to=first["ship_to"],
        link=_purchase_link(purchase_id),
    )
    for _, group in groupby(lines, key=lambda line: line["seller_id"]):
        mine = list(group)
        mail.send(
            conn,
            "order_received",
            mine[0]["seller_email"],
            name=mine[0]["seller_name"],
            purchase_id=purchase_id,
            buyer_name=mine[0]["buyer_name"],
            lines=mine,
            shipping=mine[0],
            ship_to=mine[0]["ship_to"],
            note=mine[0]["note"],
            link=mail.absolute_url("seller.orders"),
        )


def shipped(conn: Connection, order_ids: list[int]) -> None:
    """Shipped: one message per purchase to its buyer, with carrier and tracking number."""
    for purchase_id, group in groupby(_lines(conn, order_ids), key=lambda line: line["purchase_id"]):
        lines = list(group)
        mail.send(
            conn,
            "order_shipped",
            lines[0]["buyer_email"],
            name=lines[0]["buyer_name"],
            purchase_id=purchase_id,
            lines=lines,
            link=_purchase_link(purchase_id),
        )


def delivered(conn: Connection, order_ids: list[int], automatically: bool) -> None:
    """Delivered: one message per purchase to its buyer, with the last day to ask for a return."""
    for purchase_id, group in groupby(_lines(conn, order_ids), key=lambda line: line["purchase_id"]):
        lines = list(group)
        zone = lines[0]["buyer_time_zone"]
        mail.send(
            conn,
            "order_delivered",
            lines[0]["buyer_email"],
            name=lines[0]["buyer_name"],
            purchase_id=purchase_id,
            lines=lines,
            automatically=automatically,
            return_until=_date(lines[0]["delivered_at"] + RETURN_WINDOW, zone),
            return_days=RETURN_WINDOW.days,
            link=_purchase_link(purchase_id),
        )


def return_requested(conn: Connection, order_id: int) -> None:
    """Return requested: the seller hears what and why, with a link to answer."""
    line = _lines(conn, [order_id])[0]
    mail.send(
        conn,
        "return_requested",
        line["seller_email"],
        name=line["seller_name"],
        line=line,
        link=mail.absolute_url("seller.orders", status="return_requested"),
    )


def return_answered(conn: Connection, order_id: int, accepted: bool) -> None:
    """Return accepted (with the refund) or refused (with the seller's reason), to the buyer."""
    line = _lines(conn, [order_id])[0]
    mail.send(
        conn,
        "return_accepted" if accepted else "return_refused",
        line["buyer_email"],
        name=line["buyer_name"],
        line=line,
        link=_purchase_link(line["purchase_id"]),
    )


def cancelled(conn: Connection, order_id: int, fee_refunded) -> None:
    """A cancelled line: the buyer's refund, and the seller told not to ship it."""
    line = _lines(conn, [order_id])[0]
    mail.send(
        conn,
        "order_refunded",
        line["buyer_email"],
        name=line["buyer_name"],
        line=line,
        fee_refunded=fee_refunded,
        link=_purchase_link(line["purchase_id"]),
    )
    mail.send(
        conn,
        "order_cancelled",
        line["seller_email"],
        name=line["seller_name"],
        line=line,
        link=mail.absolute_url("seller.orders", status="cancelled"),
    )
