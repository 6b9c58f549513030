-- Triggers that keep the summary columns exact in the same transaction as the change.
-- Bulk loads run with these disabled and compute the same summaries in one pass
-- (db/generated/summaries.py; db/check.py recomputes them in SQL to verify).

-- Offer changes: recount the product's active offers, stock and lowest price. The product
-- row is locked first, in its own statement, so the recount's snapshot sees every offer
-- change committed before the lock was granted. Callers that change several offers in one
-- transaction take them ordered by (product_id, seller_id) so these locks follow that order.
CREATE OR REPLACE FUNCTION refresh_product_offer_summary(target_product_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM products WHERE id = target_product_id FOR NO KEY UPDATE;
    UPDATE products
    SET offer_count = summary.offer_count,
        total_stock = summary.total_stock,
        min_price = summary.min_price
    FROM (
        SELECT count(*) AS offer_count,
               coalesce(sum(quantity), 0) AS total_stock,
               coalesce(min(price) FILTER (WHERE quantity > 0), min(price)) AS min_price
        FROM offers
        WHERE product_id = target_product_id
          AND is_active
    ) AS summary
    WHERE products.id = target_product_id;
END;
$$;

CREATE OR REPLACE FUNCTION offers_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM refresh_product_offer_summary(OLD.product_id);
        RETURN OLD;
    END IF;
    PERFORM refresh_product_offer_summary(NEW.product_id);
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER offers_summary
AFTER INSERT OR DELETE OR UPDATE OF price, quantity, is_active ON offers
FOR EACH ROW EXECUTE FUNCTION offers_after_change();

-- Units sold: added when an order line is placed, taken back when it is cancelled.
CREATE OR REPLACE FUNCTION orders_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE products SET units_sold = units_sold + NEW.quantity WHERE id = NEW.product_id;
    ELSIF OLD.cancelled_at IS NULL AND NEW.cancelled_at IS NOT NULL THEN
        UPDATE products SET units_sold = units_sold - NEW.quantity WHERE id = NEW.product_id;
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER orders_units_sold
AFTER INSERT OR UPDATE OF cancelled_at ON orders
FOR EACH ROW EXECUTE FUNCTION orders_after_change();

-- Product ratings: applied as deltas, which stay exact under concurrent reviews because
-- each UPDATE adds to the row version it locks.
CREATE OR REPLACE FUNCTION product_reviews_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE products
        SET rating_count = rating_count - 1,
            rating_sum = rating_sum - OLD.rating,
            rating_avg = CASE WHEN rating_count = 1 THEN NULL
                              ELSE round((rating_sum - OLD.rating)::numeric / (rating_count - 1), 2) END
        WHERE id = OLD.product_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE products
        SET rating_count = rating_count + 1,
            rating_sum = rating_sum + NEW.rating,
            rating_avg = round((rating_sum + NEW.rating)::numeric / (rating_count + 1), 2)
        WHERE id = NEW.product_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER product_reviews_rating
AFTER INSERT OR DELETE OR UPDATE OF rating, product_id ON product_reviews
FOR EACH ROW EXECUTE FUNCTION product_reviews_after_change();

CREATE OR REPLACE FUNCTION seller_reviews_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE users
        SET seller_rating_count = seller_rating_count - 1,
            seller_rating_sum = seller_rating_sum - OLD.rating
        WHERE id = OLD.seller_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE users
        SET seller_rating_count = seller_rating_count + 1,
            seller_rating_sum = seller_rating_sum + NEW.rating
        WHERE id = NEW.seller_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER seller_reviews_rating
AFTER INSERT OR DELETE OR UPDATE OF rating, seller_id ON seller_reviews
FOR EACH ROW EXECUTE FUNCTION seller_reviews_after_change();

-- Helpful votes: never on one's own review; the count follows the vote rows.
CREATE OR REPLACE FUNCTION review_votes_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    author bigint;
BEGIN
    IF TG_TABLE_NAME = 'product_review_votes' THEN
        SELECT author_id INTO author FROM product_reviews WHERE id = NEW.review_id;
    ELSE
        SELECT author_id INTO author FROM seller_reviews WHERE id = NEW.review_id;
    END IF;
    IF author = NEW.voter_id THEN
        RAISE EXCEPTION 'cannot vote on your own review' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION review_votes_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    step integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    target bigint := CASE TG_OP WHEN 'INSERT' THEN NEW.review_id ELSE OLD.review_id END;
BEGIN
    IF TG_TABLE_NAME = 'product_review_votes' THEN
        UPDATE product_reviews SET helpful_count = helpful_count + step WHERE id = target;
    ELSE
        UPDATE seller_reviews SET helpful_count = helpful_count + step WHERE id = target;
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER product_review_votes_check
BEFORE INSERT ON product_review_votes
FOR EACH ROW EXECUTE FUNCTION review_votes_before_insert();
CREATE OR REPLACE TRIGGER product_review_votes_count
AFTER INSERT OR DELETE ON product_review_votes
FOR EACH ROW EXECUTE FUNCTION review_votes_after_change();
CREATE OR REPLACE TRIGGER seller_review_votes_check
BEFORE INSERT ON seller_review_votes
FOR EACH ROW EXECUTE FUNCTION review_votes_before_insert();
CREATE OR REPLACE TRIGGER seller_review_votes_count
AFTER INSERT OR DELETE ON seller_review_votes
FOR EACH ROW EXECUTE FUNCTION review_votes_after_change();
