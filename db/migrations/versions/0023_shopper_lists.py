"""Shopper lists (issue 17): wishlists, recently viewed products, hidden message threads.

Revision 0023_shopper_lists, after 0026_product_variants (merged after it; the number was given
first). Expand only: three new tables and one new column, read by nothing older.

- wishlist_items: a user's wishlist, one row per product (at most 500 a user, enforced by the app
  in the statement that adds). price_when_added and in_stock_when_added are the product's
  cheapest price (products.min_price) and whether it had stock when added; seen_out_at is the
  last time it was known to have no stock (at adding, or by the wishlist.watch job), so the
  page can say "back in stock". alert_price/alert_in_stock are what the last e-mail check saw
  and alerted_at when it last mailed about the item (at most once a day).
- users.wishlist_alerts: the owner's opt-in to those e-mails.
- recently_viewed: each user's last products (kept to 20 by the statement that records a view).
- hidden_threads: a message thread a user deleted for themselves, up to the newest message it
  had; a later message shows it again.
"""

from alembic import op

revision = "0023_shopper_lists"
down_revision = "0026_product_variants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE wishlist_items (
            user_id             bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            product_id          bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
            added_at            timestamptz NOT NULL DEFAULT now(),
            price_when_added    numeric(12, 2) CHECK (price_when_added > 0),
            in_stock_when_added boolean NOT NULL,
            seen_out_at         timestamptz,
            alert_price         numeric(12, 2) CHECK (alert_price > 0),
            alert_in_stock      boolean NOT NULL,
            alerted_at          timestamptz,
            PRIMARY KEY (user_id, product_id)
        );
        CREATE INDEX wishlist_items_user_added ON wishlist_items (user_id, added_at DESC, product_id DESC);
        CREATE INDEX wishlist_items_product ON wishlist_items (product_id);

        ALTER TABLE users ADD COLUMN wishlist_alerts boolean NOT NULL DEFAULT false;
        CREATE INDEX users_wishlist_alerts ON users (id) WHERE wishlist_alerts;  -- the alert job's users

        CREATE TABLE recently_viewed (
            user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
            viewed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),  -- orders views within one transaction too
            PRIMARY KEY (user_id, product_id)
        );
        CREATE INDEX recently_viewed_user_time ON recently_viewed (user_id, viewed_at DESC, product_id);
        CREATE INDEX recently_viewed_product ON recently_viewed (product_id);

        CREATE TABLE hidden_threads (
            user_id           bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            purchase_id       bigint NOT NULL REFERENCES purchases (id) ON DELETE CASCADE,
            seller_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            through_message_id bigint NOT NULL,
            hidden_at         timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (user_id, purchase_id, seller_id)
        );
        """
    )
