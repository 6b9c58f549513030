"""Order lines written without `paid` (code from before 0012_promotions) pay their whole total.

Revision 0015_order_lines_paid_default, after 0012_promotions. 0012 made orders.paid NOT NULL with
no default, so a server still running the old code could not place an order: its INSERT names no
`paid`. A column default cannot refer to other columns, so a BEFORE INSERT trigger fills it in:
the line's total less its discounts (all zero for such code), which is what it charged. Code that
records discounts sets `paid` itself and the trigger does nothing. It locks nothing (locks.py).
"""

from alembic import op

revision = "0015_order_lines_paid_default"
down_revision = "0012_promotions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION orders_paid_default() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            -- line_total is a generated column, not computed yet in a BEFORE trigger.
            NEW.paid := NEW.quantity * NEW.unit_price - NEW.seller_discount - NEW.platform_discount
                        - NEW.points_discount;
            RETURN NEW;
        END;
        $$;
        CREATE TRIGGER orders_paid_default
        BEFORE INSERT ON orders
        FOR EACH ROW WHEN (NEW.paid IS NULL)
        EXECUTE FUNCTION orders_paid_default();
        """
    )
