"""Account balances and their ledger. Each change is one statement that updates the
balance only if the rule holds and writes the ledger row from the same result, so the
balance can never go negative and the ledger always sums to it. users.balance is the
*available* account (ledger rows with account 'available'): what a user may spend or
withdraw. Sellers' *pending* money, held until delivery, is escrow.py's. A top-up or withdrawal
locks one user row only; checkout and cancellation lock theirs first (locks.py)."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app import db

MAX_BALANCE = Decimal("1000000.00")  # a top-up may not lift a balance above this


class InsufficientFunds(Exception):
    """The balance does not cover the amount."""

    def __init__(self, balance: Decimal) -> None:
        super().__init__(f"balance is {balance}")
        self.balance = balance


class BalanceCeiling(Exception):
    """The top-up would lift the balance above MAX_BALANCE."""


@dataclass(frozen=True)
class Applied:
    balance: Decimal  # the balance right after this request's ledger row
    repeated: bool  # the form's token had been used: nothing new happened


def get_balance(user_id: int) -> Decimal:
    """The user's current balance."""
    return db.value("SELECT balance FROM users WHERE id = :user_id", user_id=user_id)


def credit(
    conn: Connection,
    user_id: int,
    amount: Decimal,
    kind: str,
    purchase_id: int | None = None,
    ceiling: Decimal | None = None,
    request_token: str | None = None,
    note: str | None = None,
):
    """Add `amount` to the balance with its ledger row, in the caller's transaction.

    With a ceiling, nothing happens (None is returned) if the balance would pass it.
    Returns the ledger row's balance_after otherwise. A request_token already in the
    user's ledger makes the statement fail on its unique index (see `_once`).
    """
    row = db.fetch_one(
        conn,
        """
        WITH credited AS (
            UPDATE users
            SET balance = balance + :amount
            WHERE id = :user_id
              AND (CAST(:ceiling AS numeric) IS NULL OR balance + :amount <= :ceiling)
            RETURNING id, balance
        )
        INSERT INTO balance_ledger (user_id, kind, amount, balance_after, purchase_id, request_token, note)
        SELECT id, :kind, :amount, balance, :purchase_id, :request_token, :note
        FROM credited
        RETURNING balance_after
        """,
        user_id=user_id,
        amount=amount,
        kind=kind,
        purchase_id=purchase_id,
        ceiling=ceiling,
        request_token=request_token,
        note=note,
    )
    return row["balance_after"] if row else None


def debit(
    conn: Connection,
    user_id: int,
    amount: Decimal,
    kind: str,
    purchase_id: int | None = None,
    request_token: str | None = None,
    note: str | None = None,
):
    """Take `amount` from the balance with its ledger row, only if the balance covers it.

    One statement: the conditional UPDATE locks the row and re-checks the balance, so
    concurrent debits can never take it below zero. Returns balance_after, or None.
    """
    row = db.fetch_one(
        conn,
        """
        WITH debited AS (
            UPDATE users
            SET balance = balance - :amount
            WHERE id = :user_id
              AND balance >= :amount
            RETURNING id, balance
        )
        INSERT INTO balance_ledger (user_id, kind, amount, balance_after, purchase_id, request_token, note)
        SELECT id, :kind, -:amount, balance, :purchase_id, :request_token, :note
        FROM debited
        RETURNING balance_after
        """,
        user_id=user_id,
        amount=amount,
        kind=kind,
        purchase_id=purchase_id,
        request_token=request_token,
        note=note,
    )
    return row["balance_after"] if row else None


def _earlier_request(user_id: int, request_token: str):
    """The ledger row an earlier submission of the same form wrote, or None."""
    return db.one(
        """
        SELECT balance_after
        FROM balance_ledger
        WHERE user_id = :user_id
          AND request_token = :request_token
        """,
        user_id=user_id,
        request_token=request_token,
    )


def _is_repeated_request(error: IntegrityError) -> bool:
    return getattr(error.orig.diag, "constraint_name", None) == "balance_ledger_request_token_key"


@db.retry_on_conflict
def top_up(user_id: int, amount: Decimal, request_token: str | None = None) -> Applied:
    """Add money to the balance once per form token; return the balance after it."""
    if request_token and (earlier := _earlier_request(user_id, request_token)):
        return Applied(earlier["balance_after"], repeated=True)
    try:
        with db.transaction() as conn:
            new_balance = credit(conn, user_id, amount, "top_up", ceiling=MAX_BALANCE, request_token=request_token)
    except IntegrityError as error:
        # The same form submitted twice at once: the other request holds the token and won.
        if not _is_repeated_request(error):
            raise
        return Applied(_earlier_request(user_id, request_token)["balance_after"], repeated=True)
    if new_balance is None:
        raise BalanceCeiling()
    return Applied(new_balance, repeated=False)


@db.retry_on_conflict
def withdraw(user_id: int, amount: Decimal, request_token: str | None = None) -> Applied:
    """Take money out once per form token; return the balance after it, or raise InsufficientFunds."""
    if request_token and (earlier := _earlier_request(user_id, request_token)):
        return Applied(earlier["balance_after"], repeated=True)
    try:
        with db.transaction() as conn:
            new_balance = debit(conn, user_id, amount, "withdrawal", request_token=request_token)
    except IntegrityError as error:
        if not _is_repeated_request(error):
            raise
        return Applied(_earlier_request(user_id, request_token)["balance_after"], repeated=True)
    if new_balance is None:
        raise InsufficientFunds(get_balance(user_id))
    return Applied(new_balance, repeated=False)


def count_ledger_entries(user_id: int) -> int:
    """How many ledger rows the user has."""
    return db.value("SELECT count(*) FROM balance_ledger WHERE user_id = :user_id", user_id=user_id)


def list_ledger_entries(user_id: int, limit: int, offset: int):
    """One page of the user's ledger (available and pending accounts), newest first."""
    return db.all(
        """
        SELECT id, kind, account, amount, balance_after, purchase_id, note, created_at
        FROM balance_ledger
        WHERE user_id = :user_id
        ORDER BY id DESC
        LIMIT :limit OFFSET :offset
        """,
        user_id=user_id,
        limit=limit,
        offset=offset,
    )
