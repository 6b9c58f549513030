"""Order lines move through states (placed, shipped, delivered, returns, cancelled), and sellers'
proceeds are held in escrow (a pending balance) until delivery and the return window have passed.

Revision 0014_order_states_and_escrow, after 0013_addresses_and_shipping. Expand only:

- orders.status and a time column per state (shipped_at, delivered_at, return_requested_at,
  return_refused_at, returned_at, refunded_at; cancelled_at as before), carrier and tracking
  number, return and refusal reasons, refunded_amount, and the escrow: held_amount (what the
  seller's pending balance holds for the line) and released_at (when it moved to available).
  CHECK constraints make every row a valid path: placed -> cancelled, or placed -> shipped ->
  delivered -> (return_requested -> (returned ->) refunded, or -> return_refused).
- orders.fulfilled_at is the old name of shipped_at: kept, and written alongside it, until a later
  revision drops it. A server still on the old code marks lines with fulfilled_at or cancelled_at
  alone; the trigger orders_legacy_states moves their status along so the constraints hold.
- users.pending_balance, and balance_ledger.account ('available' or 'pending'): each account's
  balance equals its ledger rows. New kinds: 'release' (pending to available) and 'hold'
  (available to pending, written once here).
- inventory_events.reason 'return': units of an accepted return put back in stock, with the line.
- balance_ledger.created_at and inventory_events.created_at default to clock_timestamp(): the
  moment the row is written, so rows ordered by id are ordered in time under concurrency too.
- shipments.fee_settled_at / fee_refunded: the shipping fee is held like the lines and settled once
  every line of the shipment is: to the seller if anything shipped, back to the buyer if not.

Existing data: cancelled lines stay cancelled (refunded in full); fulfilled lines become shipped
and delivered at their fulfilment time, and those delivered more than 30 days ago are released
(their money is already available). The rest was paid to the seller at checkout under the old
rules; it moves from each seller's available balance to pending, oldest line first, as far as the
balance covers whole lines. A line the balance cannot cover (the seller withdrew its money) holds
nothing: refunding it later takes the money from the seller's available balance, as before.
"""

from alembic import op

revision = "0014_order_states_and_escrow"
down_revision = "0013_addresses_and_shipping"
branch_labels = None
depends_on = None

# Each state's time column requires the state before it, no earlier; status names the last one.
ORDER_PATH = """
    (shipped_at IS NULL OR (cancelled_at IS NULL AND shipped_at >= ordered_at))
    AND (delivered_at IS NULL OR (shipped_at IS NOT NULL AND delivered_at >= shipped_at))
    AND (return_requested_at IS NULL OR (delivered_at IS NOT NULL AND return_requested_at >= delivered_at))
    AND (return_refused_at IS NULL
         OR (return_requested_at IS NOT NULL AND return_refused_at >= return_requested_at AND refunded_at IS NULL))
    AND (refunded_at IS NULL OR (return_requested_at IS NOT NULL AND refunded_at >= return_requested_at))
    AND (returned_at IS NULL OR (refunded_at IS NOT NULL AND returned_at >= return_requested_at
                                 AND returned_at <= refunded_at))
    AND CASE status
        WHEN 'placed' THEN shipped_at IS NULL AND cancelled_at IS NULL
        WHEN 'cancelled' THEN cancelled_at IS NOT NULL
        WHEN 'shipped' THEN shipped_at IS NOT NULL AND delivered_at IS NULL
        WHEN 'delivered' THEN delivered_at IS NOT NULL AND return_requested_at IS NULL
        WHEN 'return_requested' THEN return_requested_at IS NOT NULL AND return_refused_at IS NULL
                                     AND refunded_at IS NULL
        WHEN 'return_refused' THEN return_refused_at IS NOT NULL
        WHEN 'refunded' THEN refunded_at IS NOT NULL
        ELSE false
    END
"""

ORDER_CONSTRAINTS = {
    "orders_path_check": ORDER_PATH,
    "orders_return_reason_given_check": "(return_requested_at IS NULL) = (return_reason IS NULL)",
    "orders_refuse_reason_given_check": "(return_refused_at IS NULL) = (refuse_reason IS NULL)",
    "orders_refunded_amount_check": "refunded_amount >= 0 AND refunded_amount <= quantity * unit_price",
    "orders_held_amount_check": "held_amount >= 0",
    "orders_released_check": (
        "released_at IS NULL OR (status IN ('delivered', 'return_refused') AND released_at >= delivered_at)"
    ),
    "orders_tracking_check": "(carrier IS NULL AND tracking_number IS NULL) OR shipped_at IS NOT NULL",
}

LEDGER_CONSTRAINTS = {
    "balance_ledger_kind_check": """kind IN ('top_up', 'withdrawal', 'purchase', 'sale', 'refund', 'sale_refund',
                                             'adjustment', 'release', 'hold')""",
    # release: pending -> available; hold: available -> pending.
    "balance_ledger_sign_check": """kind = 'adjustment'
        OR (kind IN ('top_up', 'sale', 'refund') AND amount > 0)
        OR (kind IN ('withdrawal', 'purchase', 'sale_refund') AND amount < 0)
        OR (kind = 'release' AND (amount > 0) = (account = 'available'))
        OR (kind = 'hold' AND (amount > 0) = (account = 'pending'))""",
    "balance_ledger_purchase_check": "(kind IN ('top_up', 'withdrawal', 'adjustment', 'hold')) = (purchase_id IS NULL)",
    "balance_ledger_account_kind_check": "account = 'available' OR kind IN ('sale', 'sale_refund', 'release', 'hold')",
}

# Units of an accepted return that came back sellable go back in stock: an event with its line.
INVENTORY_CONSTRAINTS = {
    "inventory_events_reason_check": """reason IN ('initial', 'restock', 'adjustment', 'sale', 'cancellation',
                                                  'return')""",
    "inventory_events_check": "(reason IN ('sale', 'cancellation', 'return')) = (order_id IS NOT NULL)",
}

HOLD_NOTE = "Sales not yet delivered, held until their return window closes (escrow began)"


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE users
            ADD COLUMN pending_balance numeric(12, 2) NOT NULL DEFAULT 0 CHECK (pending_balance >= 0);

        -- A ledger row or stock event is dated when it is written, after the locks that order it:
        -- now() is when its transaction began, which may be before the previous writer committed,
        -- so by id the times would go back (db/check.py: "time forward").
        ALTER TABLE balance_ledger ALTER COLUMN created_at SET DEFAULT clock_timestamp();
        ALTER TABLE inventory_events ALTER COLUMN created_at SET DEFAULT clock_timestamp();

        ALTER TABLE balance_ledger
            ADD COLUMN account text NOT NULL DEFAULT 'available' CHECK (account IN ('available', 'pending')),
            DROP CONSTRAINT balance_ledger_kind_check,
            DROP CONSTRAINT balance_ledger_sign_check,
            DROP CONSTRAINT balance_ledger_purchase_check;

        ALTER TABLE inventory_events
            DROP CONSTRAINT inventory_events_reason_check,
            DROP CONSTRAINT inventory_events_check;

        ALTER TABLE orders
            ADD COLUMN status text NOT NULL DEFAULT 'placed',
            ADD COLUMN shipped_at timestamptz,
            ADD COLUMN carrier text CHECK (length(carrier) BETWEEN 1 AND 60),
            ADD COLUMN tracking_number text CHECK (length(tracking_number) BETWEEN 1 AND 60),
            ADD COLUMN delivered_at timestamptz,
            ADD COLUMN auto_delivered boolean NOT NULL DEFAULT false,
            ADD COLUMN return_requested_at timestamptz,
            ADD COLUMN return_reason text CHECK (length(return_reason) BETWEEN 1 AND 500),
            ADD COLUMN return_refused_at timestamptz,
            ADD COLUMN refuse_reason text CHECK (length(refuse_reason) BETWEEN 1 AND 500),
            ADD COLUMN returned_at timestamptz,
            ADD COLUMN refunded_at timestamptz,
            ADD COLUMN refunded_amount numeric(12, 2) NOT NULL DEFAULT 0,
            ADD COLUMN held_amount numeric(12, 2) NOT NULL DEFAULT 0,
            ADD COLUMN released_at timestamptz;

        ALTER TABLE shipments
            ADD COLUMN fee_settled_at timestamptz,
            ADD COLUMN fee_refunded boolean NOT NULL DEFAULT false,
            ADD CONSTRAINT shipments_fee_refunded_check CHECK (NOT fee_refunded OR fee_settled_at IS NOT NULL);

        UPDATE orders
        SET status = CASE WHEN cancelled_at IS NOT NULL THEN 'cancelled'
                          WHEN fulfilled_at IS NOT NULL THEN 'delivered'
                          ELSE 'placed' END,
            shipped_at = fulfilled_at,
            delivered_at = fulfilled_at,
            refunded_amount = CASE WHEN cancelled_at IS NOT NULL THEN quantity * unit_price ELSE 0 END,
            released_at = CASE WHEN fulfilled_at <= now() - interval '30 days'
                               THEN fulfilled_at + interval '30 days' END;
        """
    )
    op.execute(
        f"""
        -- Hold what each seller's available balance covers of their lines not yet settled, oldest first.
        WITH unsettled AS (
            SELECT o.id, o.seller_id, o.quantity * o.unit_price AS amount,
                   sum(o.quantity * o.unit_price) OVER (PARTITION BY o.seller_id ORDER BY o.id) AS running
            FROM orders AS o
            WHERE o.status IN ('placed', 'delivered')
              AND o.released_at IS NULL
        ),
        funded AS (
            UPDATE orders AS o
            SET held_amount = unsettled.amount
            FROM unsettled
            JOIN users AS u ON u.id = unsettled.seller_id
            WHERE o.id = unsettled.id
              AND unsettled.running <= u.balance
            RETURNING o.seller_id, o.held_amount
        ),
        per_seller AS (
            SELECT seller_id, sum(held_amount) AS amount
            FROM funded
            GROUP BY seller_id
        ),
        moved AS (
            UPDATE users AS u
            SET balance = u.balance - per_seller.amount,
                pending_balance = u.pending_balance + per_seller.amount
            FROM per_seller
            WHERE u.id = per_seller.seller_id
            RETURNING u.id, u.balance, u.pending_balance, per_seller.amount
        )
        INSERT INTO balance_ledger (user_id, kind, account, amount, balance_after, note)
        SELECT moved.id, 'hold', side.account, side.amount, side.balance_after, '{HOLD_NOTE}'
        FROM moved
        CROSS JOIN LATERAL (
            VALUES ('available', -moved.amount, moved.balance), ('pending', moved.amount, moved.pending_balance)
        ) AS side(account, amount, balance_after)
        ORDER BY moved.id, side.account;

        -- A shipment whose lines are all settled has settled its (zero) fee too: back to the buyer
        -- if nothing of it shipped.
        UPDATE shipments AS s
        SET fee_settled_at = now(),
            fee_refunded = NOT EXISTS (
                SELECT
                FROM orders AS o
                WHERE o.purchase_id = s.purchase_id
                  AND o.seller_id = s.seller_id
                  AND o.shipped_at IS NOT NULL
            )
        WHERE NOT EXISTS (
            SELECT
            FROM orders AS o
            WHERE o.purchase_id = s.purchase_id
              AND o.seller_id = s.seller_id
              AND o.status NOT IN ('cancelled', 'refunded')
              AND o.released_at IS NULL
        );

        -- Until fulfilled_at is dropped: a server on the old code sets it, or cancelled_at, alone.
        CREATE OR REPLACE FUNCTION orders_legacy_states() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.fulfilled_at IS NULL AND NEW.fulfilled_at IS NOT NULL AND NEW.shipped_at IS NULL THEN
                NEW.shipped_at := NEW.fulfilled_at;
                NEW.status := 'shipped';
            ELSIF OLD.cancelled_at IS NULL AND NEW.cancelled_at IS NOT NULL THEN
                NEW.status := 'cancelled';
                NEW.refunded_amount := NEW.quantity * NEW.unit_price;
            END IF;
            RETURN NEW;
        END;
        $$;
        CREATE OR REPLACE TRIGGER orders_legacy_states
        BEFORE UPDATE OF fulfilled_at, cancelled_at ON orders
        FOR EACH ROW WHEN (NEW.status = OLD.status)
        EXECUTE FUNCTION orders_legacy_states();
        """  # noqa: S608 - a fixed note, no input
    )
    for name, condition in ORDER_CONSTRAINTS.items():
        op.execute(f"ALTER TABLE orders ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID")
    for name, condition in LEDGER_CONSTRAINTS.items():
        op.execute(f"ALTER TABLE balance_ledger ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID")
    for name, condition in INVENTORY_CONSTRAINTS.items():
        op.execute(f"ALTER TABLE inventory_events ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID")
    # Validating reads the whole table: outside the ALTER's exclusive lock, so writes go on meanwhile.
    with op.get_context().autocommit_block():
        for name in ORDER_CONSTRAINTS:
            op.execute(f"ALTER TABLE orders VALIDATE CONSTRAINT {name}")
        for name in LEDGER_CONSTRAINTS:
            op.execute(f"ALTER TABLE balance_ledger VALIDATE CONSTRAINT {name}")
        for name in INVENTORY_CONSTRAINTS:
            op.execute(f"ALTER TABLE inventory_events VALIDATE CONSTRAINT {name}")
        # The seller's orders by state (to ship oldest first, returns to answer), and the two jobs' queues.
        op.execute(
            """
            CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_seller_status_idx
            ON orders (seller_id, status, ordered_at DESC, id DESC)
            """
        )
        op.execute(
            """
            CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_to_deliver_idx
            ON orders (shipped_at) WHERE status = 'shipped'
            """
        )
        op.execute(
            """
            CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_to_release_idx
            ON orders (delivered_at) WHERE released_at IS NULL AND status IN ('delivered', 'return_refused')
            """
        )
