"""Account balances and their ledger. Each change is one statement that updates the
balance only if the rule holds and writes the ledger row from the same result, so the
balance can never go negative and the ledger always sums to it."""

from decimal import Decimal

from app import db

MAX_BALANCE = Decimal("1000000.00")  # a top-up may not lift a balance above this


class InsufficientFunds(Exception):
    """The balance does not cover the amount."""

    def __init__(self, balance: Decimal) -> None:
        super().__init__(f"balance is {balance}")
        self.balance = balance


class BalanceCeiling(Exception):
    """The top-up would lift the balance above MAX_BALANCE."""


def get_balance(user_id: int) -> Decimal:
    """The user's current balance."""
    return db.value("SELECT balance FROM users WHERE id = :user_id", user_id=user_id)


def top_up(user_id: int, amount: Decimal) -> Decimal:
    """Add money to the balance; return the new balance."""
    row = db.run_returning(
        """
        WITH credited AS (
            UPDATE users
            SET balance = balance + :amount
            WHERE id = :user_id
              AND balance + :amount <= :max_balance
            RETURNING id, balance
        )
        INSERT INTO balance_ledger (user_id, kind, amount, balance_after)
        SELECT id, 'top_up', :amount, balance
        FROM credited
        RETURNING balance_after
        """,
        user_id=user_id,
        amount=amount,
        max_balance=MAX_BALANCE,
    )
    if row is None:
        raise BalanceCeiling()
    return row["balance_after"]


def withdraw(user_id: int, amount: Decimal) -> Decimal:
    """Take money out of the balance; return the new balance or raise InsufficientFunds."""
    row = db.run_returning(
        """
        WITH debited AS (
            UPDATE users
            SET balance = balance - :amount
            WHERE id = :user_id
              AND balance >= :amount
            RETURNING id, balance
        )
        INSERT INTO balance_ledger (user_id, kind, amount, balance_after)
        SELECT id, 'withdrawal', -:amount, balance
        FROM debited
        RETURNING balance_after
        """,
        user_id=user_id,
        amount=amount,
    )
    if row is None:
        raise InsufficientFunds(get_balance(user_id))
    return row["balance_after"]


def count_ledger_entries(user_id: int) -> int:
    """How many ledger rows the user has."""
    return db.value("SELECT count(*) FROM balance_ledger WHERE user_id = :user_id", user_id=user_id)


def list_ledger_entries(user_id: int, limit: int, offset: int):
    """One page of the user's ledger, newest first."""
    return db.all(
        """
        SELECT id, kind, amount, balance_after, purchase_id, created_at
        FROM balance_ledger
        WHERE user_id = :user_id
        ORDER BY id DESC
        LIMIT :limit OFFSET :offset
        """,
        user_id=user_id,
        limit=limit,
        offset=offset,
    )
