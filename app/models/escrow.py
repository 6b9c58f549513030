"""Escrow: a seller's proceeds are *pending* from checkout until the line is delivered and its
return window has closed, then *available* (withdrawable); a cancellation or an accepted return
refunds the buyer from what is held, whatever the seller's available balance.

Money lives in two accounts per user, users.balance (available) and users.pending_balance, and
each equals the sum of its balance_ledger rows (balance_ledger.account); db/check.py proves both.
Each move is one statement that changes the balances only if the rule holds and writes the ledger
rows from its result, like balance.debit. What each line holds is orders.held_amount; a shipment's
fee (shipments.fee) is held too and settled once every line of the shipment is settled: to the
seller if anything shipped, back to the buyer if nothing did.

Callers hold the order lines, their shipments and every user whose money moves locked, in the
order of app/models/locks.py. The release job takes due lines with SKIP LOCKED, so it never waits
on a line (a buyer or seller acting on it wins, and the next run takes it).
"""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Connection

from app import db, jobs
from app.models import balance, locks, promotion

RETURN_WINDOW = timedelta(days=30)  # after delivery: returns may be asked for, the money stays held
RELEASE_BATCH = 200  # lines released per job run; a full batch queues the next run at once


class EscrowShort(Exception):
    """A seller's pending balance holds less than a line says it does: the books are wrong."""


def hold_sales(conn: Connection, purchase_id: int, amounts: dict[int, Decimal]) -> None:
    """Credit each seller's pending balance with their proceeds and fee, one 'sale' ledger row each."""
    held = {seller_id: amount for seller_id, amount in amounts.items() if amount > 0}
    db.execute(
        conn,
        """
        WITH credited AS (
            UPDATE users AS u
            SET pending_balance = u.pending_balance + sale.amount
            FROM unnest(CAST(:sellers AS bigint[]), CAST(:amounts AS numeric[])) AS sale(seller_id, amount)
            WHERE u.id = sale.seller_id
            RETURNING u.id, u.pending_balance, sale.amount
        )
        INSERT INTO balance_ledger (user_id, kind, account, amount, balance_after, purchase_id)
        SELECT id, 'sale', 'pending', amount, pending_balance, :purchase_id
        FROM credited
        ORDER BY id
        """,
        sellers=list(held),
        amounts=list(held.values()),
        purchase_id=purchase_id,
    )


def _take_held(conn: Connection, seller_id: int, amount: Decimal, purchase_id: int) -> None:
    """Take a refund from the seller's pending balance ('sale_refund' on the pending account)."""
    row = db.fetch_one(
        conn,
        """
        WITH taken AS (
            UPDATE users
            SET pending_balance = pending_balance - :amount
            WHERE id = :seller_id
              AND pending_balance >= :amount
            RETURNING id, pending_balance
        )
        INSERT INTO balance_ledger (user_id, kind, account, amount, balance_after, purchase_id)
        SELECT id, 'sale_refund', 'pending', -:amount, pending_balance, :purchase_id
        FROM taken
        RETURNING id
        """,
        seller_id=seller_id,
        amount=amount,
        purchase_id=purchase_id,
    )
    if row is None:
        raise EscrowShort(f"seller {seller_id} holds less than {amount} pending")


def _release(conn: Connection, seller_id: int, amount: Decimal, purchase_id: int) -> None:
    """Move money from the seller's pending balance to available, with a 'release' row on each account."""
    row = db.fetch_one(
        conn,
        """
        WITH moved AS (
            UPDATE users
            SET pending_balance = pending_balance - :amount,
                balance = balance + :amount
            WHERE id = :seller_id
              AND pending_balance >= :amount
            RETURNING id, pending_balance, balance
        )
        INSERT INTO balance_ledger (user_id, kind, account, amount, balance_after, purchase_id)
        SELECT moved.id, 'release', side.account, side.amount, side.balance_after, :purchase_id
        FROM moved
        CROSS JOIN LATERAL (
            VALUES ('pending', -CAST(:amount AS numeric), moved.pending_balance, 1),
                   ('available', CAST(:amount AS numeric), moved.balance, 2)
        ) AS side(account, amount, balance_after, position)
        ORDER BY side.position
        RETURNING id
        """,
        seller_id=seller_id,
        amount=amount,
        purchase_id=purchase_id,
    )
    if row is None:
        raise EscrowShort(f"seller {seller_id} holds less than {amount} pending")


class SellerCannotRefund(Exception):
    """A line sold before escrow began holds too little, and the seller's available balance
    cannot pay the rest."""


def refund_line(conn: Connection, line, buyer_id: int) -> Decimal:
    """Give the buyer back what they paid for a (locked) line; return the amount.

    What the line holds comes from the seller's pending balance. Only a line sold before escrow
    began can hold less than was paid: the rest then comes from the seller's available balance,
    as it did before, and SellerCannotRefund says when that is short.
    """
    paid, held = line["paid"], line["held_amount"]
    if held > 0:
        _take_held(conn, line["seller_id"], held, line["purchase_id"])
    if paid > held and balance.debit(conn, line["seller_id"], paid - held, "sale_refund", line["purchase_id"]) is None:
        raise SellerCannotRefund()
    if paid > 0:
        balance.credit(conn, buyer_id, paid, "refund", line["purchase_id"])
    # held - paid is what the platform paid for the line (its coupon, the buyer's points): it goes
    # back to the platform's ledger, the points to the buyer, and points the line earned are taken back.
    promotion.refund_line(conn, line)
    return paid


def settle_fee(conn: Connection, purchase_id: int, seller_id: int) -> Decimal:
    """Settle the shipment's fee if every one of its lines is settled; return what the buyer got back.

    The caller holds the shipment locked (so no other line of it is settled meanwhile) and the
    seller, and the buyer when a line was cancelled.
    """
    shipment = db.fetch_one(
        conn,
        """
        SELECT s.fee, p.buyer_id,
               count(*) FILTER (WHERE o.status NOT IN ('cancelled', 'refunded') AND o.released_at IS NULL) AS open,
               count(*) FILTER (WHERE o.shipped_at IS NOT NULL) AS shipped
        FROM shipments AS s
        JOIN purchases AS p ON p.id = s.purchase_id
        JOIN orders AS o ON o.purchase_id = s.purchase_id AND o.seller_id = s.seller_id
        WHERE s.purchase_id = :purchase_id
          AND s.seller_id = :seller_id
          AND s.fee_settled_at IS NULL
        GROUP BY s.fee, p.buyer_id
        """,
        purchase_id=purchase_id,
        seller_id=seller_id,
    )
    if shipment is None or shipment["open"]:
        return Decimal("0.00")
    back_to_buyer = shipment["shipped"] == 0
    fee = shipment["fee"]
    if fee > 0 and back_to_buyer:
        _take_held(conn, seller_id, fee, purchase_id)
        balance.credit(conn, shipment["buyer_id"], fee, "refund", purchase_id)
    elif fee > 0:
        _release(conn, seller_id, fee, purchase_id)
    db.execute(
        conn,
        """
        UPDATE shipments
        SET fee_settled_at = statement_timestamp(), fee_refunded = :refunded
        WHERE purchase_id = :purchase_id
          AND seller_id = :seller_id
        """,
        refunded=back_to_buyer,
        purchase_id=purchase_id,
        seller_id=seller_id,
    )
    return fee if back_to_buyer else Decimal("0.00")


def _lock_due_lines(conn: Connection, limit: int):
    """Lines delivered more than RETURN_WINDOW ago and not released, locked; those others hold are skipped."""
    return db.fetch_all(
        conn,
        """
        SELECT id, purchase_id, seller_id, held_amount
        FROM orders
        WHERE status IN ('delivered', 'return_refused')
          AND released_at IS NULL
          AND delivered_at <= now() - make_interval(secs => :window)
        ORDER BY delivered_at, id
        LIMIT :limit
        FOR NO KEY UPDATE SKIP LOCKED
        """,
        window=RETURN_WINDOW.total_seconds(),
        limit=limit,
    )


def release_due(conn: Connection, limit: int = RELEASE_BATCH) -> int:
    """Release the held money of up to `limit` lines whose return window has closed; return how many."""
    lines = _lock_due_lines(conn, limit)
    if not lines:
        return 0
    shipments = sorted({(line["purchase_id"], line["seller_id"]) for line in lines})
    locks.lock_shipments(conn, shipments)
    locks.lock_users(conn, (line["seller_id"] for line in lines))
    db.execute(
        conn,
        "UPDATE orders SET released_at = statement_timestamp() WHERE id = ANY(:ids)",
        ids=[line["id"] for line in lines],
    )
    amounts: dict[tuple[int, int], Decimal] = {}
    for line in lines:
        key = (line["purchase_id"], line["seller_id"])
        amounts[key] = amounts.get(key, Decimal("0.00")) + line["held_amount"]
    for (purchase_id, seller_id), amount in sorted(amounts.items()):
        if amount > 0:
            _release(conn, seller_id, amount, purchase_id)
        settle_fee(conn, purchase_id, seller_id)
    return len(lines)


@jobs.periodic("escrow.release", every=timedelta(minutes=10))
def release_job(conn: Connection, payload: dict) -> None:
    """Periodic: release what is due; a full batch queues another run at once for the rest."""
    if release_due(conn) == RELEASE_BATCH:
        jobs.enqueue(conn, "escrow.release", unique_key="escrow.release:more")
