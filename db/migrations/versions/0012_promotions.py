"""Promotions (issue 14): sale prices on offers, coupons, member points and the platform's ledger.

Revision 0012_promotions. Expand only: every new column has a default or is backfilled, so a
server still running the old code keeps working (its checkouts record no discounts).

- offers.sale_price / sale_ends_at: a sale below the usual price, ending at a time or never.
  offer_price_now() is the price a buyer is charged at this moment; the catalog summary
  (products.min_price) counts a sale while it is recorded on the offer, and a periodic job
  (app/models/sale.py) clears it at its end through the ordinary offer update, so the summary,
  the page cache's version and every sort and filter follow within a minute. A trigger ends the
  sale when the usual price is lowered to or below it, whoever writes the offer.
  products.min_price_before_sale: the lowest usual price, when a sale makes min_price lower.
- coupons: a seller's (their own offers, funded by them) or the platform's (seller_id NULL,
  funded by the platform); percent or amount off, minimum spend, scope, time window, a total
  and a per-buyer limit, paused or not; `uses` counts the uses not restored, under the coupon's
  row lock. coupon_uses: one row per (purchase, coupon). coupon_grants: thank-you coupons given
  to a buyer after a purchase, usable only by them.
- orders: each line records what its discounts were by source (seller coupon, platform coupon,
  points), which coupon gave them, and what the buyer paid: paid = line_total - discounts. Old
  lines had no discounts: paid = line_total.
- users.points_balance and points_ledger: member points, 100 points = 1.00; the balance is the
  ledger's sum. It can only go below zero by a reversal (points earned on a line later refunded,
  after they were spent).
- platform_ledger: the platform's account. It pays the platform's coupons and the points buyers
  spend; its balance is the sum of its rows (no balance row, so checkouts never queue on one),
  and it goes negative by what the platform has paid out. Money is conserved:
  top-ups - withdrawals + adjustments = sum of user balances + the platform's balance.
"""

from alembic import op

revision = "0012_promotions"
down_revision = "0011_page_cache"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _sale_prices()
    _coupons()
    _points_and_platform()
    _order_lines()


def _sale_prices() -> None:
    op.execute(
        """
        ALTER TABLE offers
            ADD COLUMN sale_price numeric(12, 2),
            ADD COLUMN sale_ends_at timestamptz,
            ADD CONSTRAINT offers_sale_price_check CHECK (sale_price > 0 AND sale_price < price),
            ADD CONSTRAINT offers_sale_end_check CHECK (sale_ends_at IS NULL OR sale_price IS NOT NULL);
        -- The sales the periodic job ends, soonest first.
        CREATE INDEX offers_sale_ends_idx ON offers (sale_ends_at) WHERE sale_ends_at IS NOT NULL;

        ALTER TABLE products
            ADD COLUMN min_price_before_sale numeric(12, 2),
            ADD CONSTRAINT products_min_price_before_sale_check CHECK (min_price_before_sale > min_price);

        -- The price charged now: the sale price until the sale's end, else the usual price.
        -- A plain SQL expression, so the planner inlines it.
        CREATE FUNCTION offer_price_now(price numeric, sale_price numeric, sale_ends_at timestamptz)
        RETURNS numeric
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT CASE
                WHEN sale_price IS NOT NULL AND (sale_ends_at IS NULL OR sale_ends_at > now()) THEN sale_price
                ELSE price
            END
        $$;

        -- The baseline's summary, counting a recorded sale: min_price is the lowest price charged
        -- (in stock first), min_price_before_sale the lowest usual price when that is higher.
        CREATE OR REPLACE FUNCTION refresh_product_offer_summary(target_product_id bigint) RETURNS void
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM 1 FROM products WHERE id = target_product_id FOR NO KEY UPDATE;
            UPDATE products
            SET offer_count = summary.offer_count,
                total_stock = summary.total_stock,
                min_price = summary.min_price,
                min_price_before_sale = CASE WHEN summary.min_usual > summary.min_price THEN summary.min_usual END
            FROM (
                SELECT count(*) AS offer_count,
                       coalesce(sum(quantity), 0) AS total_stock,
                       coalesce(min(coalesce(sale_price, price)) FILTER (WHERE quantity > 0),
                                min(coalesce(sale_price, price))) AS min_price,
                       coalesce(min(price) FILTER (WHERE quantity > 0), min(price)) AS min_usual
                FROM offers
                WHERE product_id = target_product_id
                  AND is_active
            ) AS summary
            WHERE products.id = target_product_id;
        END;
        $$;

        CREATE OR REPLACE TRIGGER offers_summary
        AFTER INSERT OR DELETE OR UPDATE OF price, quantity, is_active, sale_price, sale_ends_at ON offers
        FOR EACH ROW EXECUTE FUNCTION offers_after_change();

        -- Lowering the usual price to or below the sale price ends the sale (any writer).
        CREATE FUNCTION offers_end_undercut_sale() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.sale_price IS NOT NULL AND NEW.sale_price >= NEW.price THEN
                NEW.sale_price := NULL;
                NEW.sale_ends_at := NULL;
            END IF;
            RETURN NEW;
        END;
        $$;
        CREATE TRIGGER offers_end_undercut_sale
        BEFORE UPDATE OF price ON offers
        FOR EACH ROW EXECUTE FUNCTION offers_end_undercut_sale();
        """
    )


def _coupons() -> None:
    op.execute(
        """
        CREATE TABLE coupons (
            id                bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            -- Kept upper-case, so the unique index makes codes unique ignoring case.
            code              text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,30}[A-Z0-9]$'),
            -- The issuer, who funds the discount: a seller (their own offers only), or NULL for the platform.
            seller_id         bigint REFERENCES users ON DELETE RESTRICT,
            description       text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
            percent_off       numeric(5, 2) CHECK (percent_off > 0 AND percent_off <= 100),
            amount_off        numeric(12, 2) CHECK (amount_off > 0 AND amount_off <= 1000000),
            -- Spent on the lines the coupon covers (after seller coupons, for a platform coupon).
            min_spend         numeric(12, 2) NOT NULL DEFAULT 0 CHECK (min_spend >= 0 AND min_spend <= 1000000),
            -- At most one narrowing: one seller's offers (platform coupons), a category, listed products.
            scope_seller_id   bigint REFERENCES users ON DELETE RESTRICT,
            scope_category_id integer REFERENCES categories ON DELETE RESTRICT,
            scope_product_ids bigint[] CHECK (cardinality(scope_product_ids) BETWEEN 1 AND 50),
            starts_at         timestamptz NOT NULL,
            ends_at           timestamptz,
            max_uses          integer CHECK (max_uses BETWEEN 1 AND 1000000),
            per_buyer_limit   integer NOT NULL DEFAULT 1 CHECK (per_buyer_limit BETWEEN 1 AND 1000),
            uses              integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
            -- A thank-you coupon: given to each buyer after a purchase (from its seller, or any for
            -- the platform's), and usable only by the buyers it was given to.
            for_thanks        boolean NOT NULL DEFAULT false,
            paused_at         timestamptz,
            created_at        timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT coupons_kind_check CHECK ((percent_off IS NULL) <> (amount_off IS NULL)),
            CONSTRAINT coupons_window_check CHECK (ends_at > starts_at),
            CONSTRAINT coupons_use_limit_check CHECK (uses <= max_uses),
            CONSTRAINT coupons_scope_check CHECK (
                num_nonnulls(scope_seller_id, scope_category_id, scope_product_ids) <= 1
                AND (seller_id IS NULL OR scope_seller_id IS NULL)
            )
        );
        CREATE UNIQUE INDEX coupons_code_key ON coupons (code);
        CREATE INDEX coupons_seller_idx ON coupons (seller_id, id DESC);
        -- Checkout gives these after every purchase: the few running ones, found at once.
        CREATE INDEX coupons_thanks_idx ON coupons (seller_id) WHERE for_thanks AND paused_at IS NULL;

        CREATE TABLE coupon_uses (
            id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            coupon_id   bigint NOT NULL REFERENCES coupons ON DELETE RESTRICT,
            purchase_id bigint NOT NULL REFERENCES purchases ON DELETE RESTRICT,
            buyer_id    bigint NOT NULL REFERENCES users ON DELETE RESTRICT,
            discount    numeric(12, 2) NOT NULL CHECK (discount > 0),
            created_at  timestamptz NOT NULL DEFAULT now(),
            -- The whole purchase was cancelled: the use no longer counts against the limits.
            restored_at timestamptz CHECK (restored_at >= created_at),
            UNIQUE (purchase_id, coupon_id)
        );
        CREATE INDEX coupon_uses_coupon_buyer_idx ON coupon_uses (coupon_id, buyer_id) WHERE restored_at IS NULL;
        CREATE INDEX coupon_uses_buyer_idx ON coupon_uses (buyer_id, id DESC);

        CREATE TABLE coupon_grants (
            buyer_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
            coupon_id   bigint NOT NULL REFERENCES coupons ON DELETE RESTRICT,
            purchase_id bigint NOT NULL REFERENCES purchases ON DELETE RESTRICT,
            granted_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (buyer_id, coupon_id)
        );
        CREATE INDEX coupon_grants_coupon_idx ON coupon_grants (coupon_id);
        CREATE INDEX coupon_grants_purchase_idx ON coupon_grants (purchase_id);
        """
    )


def _points_and_platform() -> None:
    op.execute(
        """
        ALTER TABLE users ADD COLUMN points_balance integer NOT NULL DEFAULT 0;

        CREATE TABLE points_ledger (
            id            bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            user_id       bigint NOT NULL REFERENCES users ON DELETE RESTRICT,
            kind          text NOT NULL CHECK (kind IN ('earn', 'spend', 'refund', 'reverse', 'expire')),
            points        integer NOT NULL CHECK (points <> 0),
            balance_after integer NOT NULL,
            purchase_id   bigint REFERENCES purchases ON DELETE RESTRICT,
            order_id      bigint REFERENCES orders ON DELETE RESTRICT,
            created_at    timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT points_ledger_sign_check CHECK ((kind IN ('earn', 'refund')) = (points > 0)),
            -- Only a reversal may leave a balance below zero (the points were spent already).
            CONSTRAINT points_ledger_balance_check CHECK (kind = 'reverse' OR balance_after >= 0),
            CONSTRAINT points_ledger_source_check CHECK (
                (kind = 'spend') = (purchase_id IS NOT NULL)
                AND (kind IN ('earn', 'refund', 'reverse')) = (order_id IS NOT NULL)
            )
        );
        CREATE INDEX points_ledger_user_idx ON points_ledger (user_id, id DESC);
        CREATE INDEX points_ledger_purchase_idx ON points_ledger (purchase_id) WHERE purchase_id IS NOT NULL;
        -- A line earns once, is refunded its points once and reversed once.
        CREATE UNIQUE INDEX points_ledger_line_key ON points_ledger (order_id, kind) WHERE order_id IS NOT NULL;

        CREATE TABLE platform_ledger (
            id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            kind        text NOT NULL CHECK (kind IN ('coupon', 'points', 'coupon_refund', 'points_refund')),
            amount      numeric(12, 2) NOT NULL CHECK (amount <> 0),
            purchase_id bigint NOT NULL REFERENCES purchases ON DELETE RESTRICT,
            order_id    bigint REFERENCES orders ON DELETE RESTRICT,
            created_at  timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT platform_ledger_sign_check CHECK ((kind IN ('coupon', 'points')) = (amount < 0)),
            CONSTRAINT platform_ledger_line_check
                CHECK ((kind IN ('coupon_refund', 'points_refund')) = (order_id IS NOT NULL))
        );
        CREATE INDEX platform_ledger_purchase_idx ON platform_ledger (purchase_id);
        """
    )


def _order_lines() -> None:
    op.execute(
        """
        ALTER TABLE orders
            ADD COLUMN seller_discount numeric(12, 2) NOT NULL DEFAULT 0 CHECK (seller_discount >= 0),
            ADD COLUMN platform_discount numeric(12, 2) NOT NULL DEFAULT 0 CHECK (platform_discount >= 0),
            ADD COLUMN points_spent integer NOT NULL DEFAULT 0 CHECK (points_spent >= 0),
            ADD COLUMN points_discount numeric(12, 2) NOT NULL DEFAULT 0,
            ADD COLUMN paid numeric(12, 2),
            ADD COLUMN seller_coupon_id bigint REFERENCES coupons ON DELETE RESTRICT,
            ADD COLUMN platform_coupon_id bigint REFERENCES coupons ON DELETE RESTRICT;
        UPDATE orders SET paid = line_total;
        ALTER TABLE orders
            ALTER COLUMN paid SET NOT NULL,
            ADD CONSTRAINT orders_points_discount_check CHECK (points_discount * 100 = points_spent),
            ADD CONSTRAINT orders_paid_check CHECK (
                paid >= 0 AND paid = line_total - seller_discount - platform_discount - points_discount
            ),
            ADD CONSTRAINT orders_coupon_check CHECK (
                (seller_discount = 0 OR seller_coupon_id IS NOT NULL)
                AND (platform_discount = 0 OR platform_coupon_id IS NOT NULL)
            );
        -- A coupon's lines, for the seller's "discount given".
        CREATE INDEX orders_seller_coupon_idx ON orders (seller_coupon_id) WHERE seller_coupon_id IS NOT NULL;
        CREATE INDEX orders_platform_coupon_idx ON orders (platform_coupon_id) WHERE platform_coupon_id IS NOT NULL;
        """
    )
