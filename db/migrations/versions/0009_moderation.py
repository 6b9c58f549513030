"""Moderation: products taken down or waiting for approval, offers held meanwhile, hidden
reviews that leave the averages, and users' reports of reviews.

Revision 0009_moderation, after 0008_roles_and_audit.

- products.status: 'listed', 'pending' (the approval queue is on and no moderator approved it
  yet) or 'taken_down'; moderation_note is the reason its creator is shown.
- offers.moderation_hold: the offer is inactive because its product is not listed or its seller
  is suspended, not by the seller's choice. A trigger holds every offer that would become active
  while either is true, whoever writes it (seller center, checkout, console), and lifting a take-
  down or a suspension reactivates exactly the held offers (the same trigger keeps those held that
  still may not sell).
- site_settings: switches kept in PostgreSQL so every app server reads the same (the approval
  queue); a trigger makes new products 'pending' while the queue is on.
- product_reviews / seller_reviews hidden_at and hidden_reason: a hidden review is shown to no one
  but its author and moderators, and the rating triggers (baseline functions.sql, replaced here)
  leave it out of the summaries.
- review_reports: a user's report of a review, open until a moderator hides the review or
  dismisses the report.
"""

from alembic import op

revision = "0009_moderation"
down_revision = "0008_roles_and_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE products
            ADD COLUMN status text NOT NULL DEFAULT 'listed' CHECK (status IN ('listed', 'pending', 'taken_down')),
            ADD COLUMN moderation_note text CHECK (length(moderation_note) BETWEEN 1 AND 500),
            ADD COLUMN status_changed_at timestamptz;
        ALTER TABLE offers ADD COLUMN moderation_hold boolean NOT NULL DEFAULT false;
        ALTER TABLE offers ADD CONSTRAINT offers_hold_inactive_check CHECK (NOT (moderation_hold AND is_active));

        CREATE TABLE site_settings (
            name       text PRIMARY KEY CHECK (name IN ('product_approval')),
            enabled    boolean NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            updated_by bigint REFERENCES users ON DELETE RESTRICT
        );

        -- An offer that would become active on a product that is not listed, or for a suspended
        -- seller, is held instead. FOR SHARE on the seller waits for a suspension in progress, so
        -- an offer added at that moment is held too (users come last in locks.py's order).
        CREATE FUNCTION offers_moderation_hold() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            suspended timestamptz;
        BEGIN
            SELECT suspended_at INTO suspended FROM users WHERE id = NEW.seller_id FOR SHARE;
            IF suspended IS NOT NULL
               OR EXISTS (SELECT 1 FROM products WHERE id = NEW.product_id AND status <> 'listed') THEN
                NEW.is_active := false;
                NEW.moderation_hold := true;
            ELSE
                NEW.moderation_hold := false;
            END IF;
            RETURN NEW;
        END;
        $$;
        CREATE TRIGGER offers_hold_on_insert
        BEFORE INSERT ON offers
        FOR EACH ROW WHEN (NEW.is_active)
        EXECUTE FUNCTION offers_moderation_hold();
        CREATE TRIGGER offers_hold_on_activate
        BEFORE UPDATE OF is_active ON offers
        FOR EACH ROW WHEN (NEW.is_active AND NOT OLD.is_active)
        EXECUTE FUNCTION offers_moderation_hold();

        -- While the approval queue is on, a new product waits for a moderator, however it is made.
        CREATE FUNCTION products_approval_queue() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.status = 'listed'
               AND EXISTS (SELECT 1 FROM site_settings WHERE name = 'product_approval' AND enabled) THEN
                NEW.status := 'pending';
                NEW.status_changed_at := now();
            END IF;
            RETURN NEW;
        END;
        $$;
        CREATE TRIGGER products_approval_queue
        BEFORE INSERT ON products
        FOR EACH ROW EXECUTE FUNCTION products_approval_queue();

        ALTER TABLE product_reviews
            ADD COLUMN hidden_at timestamptz,
            ADD COLUMN hidden_reason text CHECK (length(hidden_reason) BETWEEN 1 AND 500),
            ADD CONSTRAINT product_reviews_hidden_check CHECK ((hidden_at IS NULL) = (hidden_reason IS NULL));
        ALTER TABLE seller_reviews
            ADD COLUMN hidden_at timestamptz,
            ADD COLUMN hidden_reason text CHECK (length(hidden_reason) BETWEEN 1 AND 500),
            ADD CONSTRAINT seller_reviews_hidden_check CHECK ((hidden_at IS NULL) = (hidden_reason IS NULL));

        -- The baseline's rating triggers, counting visible reviews only: hiding a review takes its
        -- rating out, restoring it puts it back, editing a hidden one changes nothing.
        CREATE OR REPLACE FUNCTION product_reviews_after_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                IF OLD.hidden_at IS NULL THEN
                    UPDATE products
                    SET rating_count = rating_count - 1,
                        rating_sum = rating_sum - OLD.rating,
                        rating_avg = CASE WHEN rating_count = 1 THEN NULL
                                          ELSE round((rating_sum - OLD.rating)::numeric / (rating_count - 1), 2) END
                    WHERE id = OLD.product_id;
                END IF;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                IF NEW.hidden_at IS NULL THEN
                    UPDATE products
                    SET rating_count = rating_count + 1,
                        rating_sum = rating_sum + NEW.rating,
                        rating_avg = round((rating_sum + NEW.rating)::numeric / (rating_count + 1), 2)
                    WHERE id = NEW.product_id;
                END IF;
            END IF;
            RETURN NULL;
        END;
        $$;
        CREATE OR REPLACE TRIGGER product_reviews_rating
        AFTER INSERT OR DELETE OR UPDATE OF rating, product_id, hidden_at ON product_reviews
        FOR EACH ROW EXECUTE FUNCTION product_reviews_after_change();

        CREATE OR REPLACE FUNCTION seller_reviews_after_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                IF OLD.hidden_at IS NULL THEN
                    UPDATE users
                    SET seller_rating_count = seller_rating_count - 1,
                        seller_rating_sum = seller_rating_sum - OLD.rating
                    WHERE id = OLD.seller_id;
                END IF;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                IF NEW.hidden_at IS NULL THEN
                    UPDATE users
                    SET seller_rating_count = seller_rating_count + 1,
                        seller_rating_sum = seller_rating_sum + NEW.rating
                    WHERE id = NEW.seller_id;
                END IF;
            END IF;
            RETURN NULL;
        END;
        $$;
        CREATE OR REPLACE TRIGGER seller_reviews_rating
        AFTER INSERT OR DELETE OR UPDATE OF rating, seller_id, hidden_at ON seller_reviews
        FOR EACH ROW EXECUTE FUNCTION seller_reviews_after_change();

        CREATE TABLE review_reports (
            id                bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            -- Exactly one of the two: a report follows its review when the author deletes it.
            product_review_id bigint REFERENCES product_reviews ON DELETE CASCADE,
            seller_review_id  bigint REFERENCES seller_reviews ON DELETE CASCADE,
            reporter_id       bigint NOT NULL REFERENCES users ON DELETE CASCADE,
            reason            text NOT NULL
                CHECK (reason IN ('spam', 'offensive', 'conflict_of_interest', 'off_topic', 'other')),
            details           text NOT NULL DEFAULT '' CHECK (length(details) <= 1000),
            created_at        timestamptz NOT NULL DEFAULT now(),
            resolved_at       timestamptz,
            resolution        text CHECK (resolution IN ('hidden', 'dismissed')),
            CHECK ((product_review_id IS NULL) <> (seller_review_id IS NULL)),
            CHECK ((resolved_at IS NULL) = (resolution IS NULL)),
            CHECK (resolved_at >= created_at),
            UNIQUE (product_review_id, reporter_id),
            UNIQUE (seller_review_id, reporter_id)
        );
        CREATE INDEX review_reports_reporter_idx ON review_reports (reporter_id);
        -- The moderators' queue: open reports, oldest first.
        CREATE INDEX review_reports_open_idx ON review_reports (created_at, id) WHERE resolved_at IS NULL;

        -- The console's lists of products waiting for approval or taken down, and of hidden reviews.
        CREATE INDEX products_moderation_idx ON products (status, status_changed_at DESC, id) WHERE status <> 'listed';
        CREATE INDEX product_reviews_hidden_idx ON product_reviews (hidden_at DESC, id) WHERE hidden_at IS NOT NULL;
        CREATE INDEX seller_reviews_hidden_idx ON seller_reviews (hidden_at DESC, id) WHERE hidden_at IS NOT NULL;
        -- A product's held offers, found again when its take-down is lifted (a seller's: the primary key).
        CREATE INDEX offers_held_idx ON offers (product_id) WHERE moderation_hold;
        """
    )
