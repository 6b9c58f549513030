-- Secondary indexes: one for every lookup a page makes. Built after bulk loads.

-- Accounts
CREATE INDEX IF NOT EXISTS balance_ledger_user_idx ON balance_ledger (user_id, id DESC);
CREATE INDEX IF NOT EXISTS balance_ledger_purchase_idx ON balance_ledger (purchase_id) WHERE purchase_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS login_failures_email_idx ON login_failures (email, attempted_at);
CREATE INDEX IF NOT EXISTS login_failures_ip_idx ON login_failures (ip_address, attempted_at);

-- Catalog
CREATE INDEX IF NOT EXISTS categories_department_idx ON categories (department_id);
CREATE INDEX IF NOT EXISTS products_search_idx ON products USING gin (search_vector);
CREATE INDEX IF NOT EXISTS products_name_trgm_idx ON products USING gin (name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS products_category_idx ON products (category_id, id);
CREATE INDEX IF NOT EXISTS products_creator_idx ON products (creator_id, id);
CREATE INDEX IF NOT EXISTS products_image_idx ON products (image_id) WHERE image_id IS NOT NULL;
-- Catalog sort orders (app/models/search.py), one per sort, walked in order with LIMIT. Not partial,
-- so "include unavailable" sorts through them too; NULL (no price, no rating) sorts last both ways.
CREATE INDEX IF NOT EXISTS products_price_idx ON products (min_price, id);
CREATE INDEX IF NOT EXISTS products_price_desc_idx ON products (min_price DESC NULLS LAST, id);
CREATE INDEX IF NOT EXISTS products_rating_idx ON products (rating_avg DESC NULLS LAST, rating_count DESC, id);
CREATE INDEX IF NOT EXISTS products_units_sold_idx ON products (units_sold DESC, id);
CREATE INDEX IF NOT EXISTS products_created_idx ON products (created_at DESC, id);
-- The same orders inside one category: a category browse walks one, a department one per category.
-- Prices differ by category, so walking a global order and filtering by category can take long.
CREATE INDEX IF NOT EXISTS products_category_price_idx ON products (category_id, min_price, id);
CREATE INDEX IF NOT EXISTS products_category_price_desc_idx ON products (category_id, min_price DESC NULLS LAST, id);
CREATE INDEX IF NOT EXISTS products_category_rating_idx
    ON products (category_id, rating_avg DESC NULLS LAST, rating_count DESC, id);
CREATE INDEX IF NOT EXISTS products_category_units_sold_idx ON products (category_id, units_sold DESC, id);
CREATE INDEX IF NOT EXISTS products_category_created_idx ON products (category_id, created_at DESC, id);
CREATE INDEX IF NOT EXISTS offers_product_idx ON offers (product_id, price) WHERE is_active;
CREATE INDEX IF NOT EXISTS images_uploader_idx ON images (uploader_id);

-- Stock
CREATE INDEX IF NOT EXISTS inventory_events_offer_idx ON inventory_events (seller_id, product_id, id);
CREATE INDEX IF NOT EXISTS inventory_events_order_idx ON inventory_events (order_id) WHERE order_id IS NOT NULL;

-- Cart, purchases and order lines
CREATE INDEX IF NOT EXISTS cart_lines_offer_idx ON cart_lines (seller_id, product_id);
CREATE INDEX IF NOT EXISTS purchases_buyer_idx ON purchases (buyer_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS orders_seller_idx ON orders (seller_id, ordered_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS orders_seller_pending_idx ON orders (seller_id, ordered_at DESC, id DESC)
    WHERE fulfilled_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX IF NOT EXISTS orders_buyer_idx ON orders (buyer_id, product_id);
CREATE INDEX IF NOT EXISTS orders_buyer_seller_idx ON orders (buyer_id, seller_id);
CREATE INDEX IF NOT EXISTS orders_product_idx ON orders (product_id, purchase_id);

-- Reviews and messages
CREATE INDEX IF NOT EXISTS product_reviews_product_idx ON product_reviews (product_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS product_reviews_helpful_idx ON product_reviews (product_id, helpful_count DESC, id DESC);
CREATE INDEX IF NOT EXISTS seller_reviews_seller_idx ON seller_reviews (seller_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS seller_reviews_author_idx ON seller_reviews (author_id);
CREATE INDEX IF NOT EXISTS product_review_votes_voter_idx ON product_review_votes (voter_id);
CREATE INDEX IF NOT EXISTS seller_review_votes_voter_idx ON seller_review_votes (voter_id);
CREATE INDEX IF NOT EXISTS messages_thread_idx ON messages (purchase_id, seller_id, id);
CREATE INDEX IF NOT EXISTS messages_unread_idx ON messages (recipient_id) WHERE read_at IS NULL;
CREATE INDEX IF NOT EXISTS messages_seller_idx ON messages (seller_id);
CREATE INDEX IF NOT EXISTS messages_sender_idx ON messages (sender_id);
CREATE INDEX IF NOT EXISTS messages_recipient_idx ON messages (recipient_id);

-- Seller center (app/models/seller.py, fulfilment.py)
-- Units sold per offer: the inventory sums one offer's lines (or all of a seller's, to sort
-- by them) from this index alone.
CREATE INDEX IF NOT EXISTS orders_seller_product_idx ON orders (seller_id, product_id) INCLUDE (quantity)
    WHERE cancelled_at IS NULL;
-- "Buyer or product" search on /seller/orders: buyers by a part of their name.
CREATE INDEX IF NOT EXISTS users_full_name_trgm_idx ON users USING gin (full_name gin_trgm_ops);
-- The inventory sorted by name: its first pages walk product names in order (either way) and
-- keep the seller's, instead of sorting all of the seller's names (deeper pages still do).
CREATE INDEX IF NOT EXISTS products_name_idx ON products (name, id);

-- Analytics (app/models/analytics.py)
-- A seller's counted lines in a date range, read from the index alone (index-only scans): the
-- totals and every group-by of the seller's dashboard never visit the orders heap. A buyer has
-- few lines (orders_buyer_idx serves them within a millisecond or two): no such index for buyers,
-- which would cost every checkout line one more index entry.
CREATE INDEX IF NOT EXISTS orders_seller_sales_idx ON orders (seller_id, ordered_at)
    INCLUDE (product_id, purchase_id, buyer_id, quantity, line_total) WHERE cancelled_at IS NULL;
