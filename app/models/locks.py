"""Row locks in the one order every writer of stock, money, orders or summaries follows.

    1. cart lines    the buyer's own, by (product, seller)     checkout.place_order
    2. order lines   by id                                     every line transition (order.py,
                                                               purchase.cancel_line); the release job
                                                               takes them SKIP LOCKED (never waits)
    3. shipments     by (purchase_id, seller_id)               cancellation, accepted return, the
                                                               escrow release job (their fee settles)
    4. offers        by (product_id, seller_id)                checkout, cancellation, restocking
                                                               return, offer.update_offer,
                                                               offer.remove_offer, offer.add_offer,
                                                               offer.change_offer (API PATCH),
                                                               offer.set_stocks (API bulk PATCH),
                                                               offline_sale.record_sale (API POST)
    5. products      by id (a variant's parent with it)        the same writers, review.save_review and
                                                               review.delete_review (product reviews),
                                                               sale.start_sale/end_sale and the sales job;
                                                               alone: the gallery (product_image.py)
    6. coupons       by id                                     checkout (the codes it applies: their
                                                               limits are read under this lock),
                                                               cancellation (the purchase's, whose uses
                                                               it may restore); alone: pause, resume
    7. reviews       the one written, deleted or voted on      review writes, helpful votes
    8. users         by id (available and pending balances,    checkout, cancellation, accepted return,
                     and member points)                        escrow release, balance.top_up,
                                                               balance.withdraw, seller reviews' trigger,
                                                               points earned on delivery and their expiry
                                                               job; alone: the address book (address.py),
                                                               the wishlist's cap (wishlist.add, merge_items)

A transaction takes every lock it needs, in this order, before its first write, because
triggers lock rows too (db/functions.sql), at the moment of the write:
- offers_summary (insert, or update of an offer's price, quantity, is_active or sale) locks
  the offer's product;
- offers_end_undercut_sale (0012) and orders_paid_default (0015) change only the row being
  written, and lock nothing;
- orders_units_sold (insert of an order line, or cancelling one) locks the line's product;
- products_family_summary (0026: a variant's offer count, stock, prices or units sold change)
  locks the variant's parent, which lock_products locked with the variant;
- product_reviews_rating locks the reviewed product, which review.py has locked before the
  review row; seller_reviews_rating locks the seller's users row, after the review row (7, 8);
- orders_legacy_states (0014) changes only the row being written, and locks nothing;
- the helpful-vote triggers lock the review voted on, and nothing else;
- products_category_attributes (0025, 0034), when a product's category changes, locks the new
  category's attribute definitions FOR KEY SHARE, then deletes that product's values the category
  does not define and moves the rest to it; attribute.replace_product_values (a seller's or the
  API's edit) locks the definitions the same way before the values. Removing a definition
  (admin_attributes.delete_attribute) deletes it first (FOR UPDATE), then its values, and holds
  no product lock: definitions before values everywhere, so no cycle, and no value is written or
  moved for a definition being removed, which it would outlive (tests/test_admin_concurrency.py).
  product_attributes_category (0034) copies the product's category into a value being written,
  and locks nothing.
- products_search_words, categories_search_words, departments_search_words (0027) add new words to
  search_words only if absent (no unique index, so no insert ever waits) and lock nothing;
  products_category_terms (0027) reads the category's and department's names into the row
  being written, and locks nothing. The job search.category_terms (a category renamed or moved)
  locks its products alone, in id order, a batch per transaction.
With every lock already held, each trigger's lock is a no-op. Cancelling a line used to let
the orders trigger take the product first and lock the offer after: it deadlocked with
checkout, restock, price change and removal, which take the offer, then the product
(tests/test_lock_order.py lines each pair up).

Inserting a new row needs no place in the order: nobody else can wait for a row they cannot
see, and the KEY SHARE locks its foreign keys take do not conflict with FOR NO KEY UPDATE.
The one wait on a new row is a second insert of the same unique key. Checkout claims its
token (the purchase row) in its first statement, before holding any lock; a second "start
selling" of the same offer waits on the product lock before it can insert.

The catalog's merges (admin_catalog.py) lock the category or department merged into FOR NO KEY
UPDATE, the one deleted FOR UPDATE: moving a product (or a category) into the target holds its own
row and takes the target's KEY SHARE through the foreign key, which FOR UPDATE would refuse while
the merge waits for that row.

FOR NO KEY UPDATE, not FOR UPDATE: inserts that reference these rows (orders, ledger rows,
inventory events) take KEY SHARE locks through their foreign keys, which NO KEY UPDATE
does not wait for — so two checkouts cannot deadlock over a buyer's or seller's row.
A deadlock or serialization failure that still happens is retried by db.retry_on_conflict.
"""

from collections.abc import Iterable

from sqlalchemy import Connection

from app import db


def lock_order_lines(conn: Connection, order_ids: Iterable[int]):
    """Lock order lines (about to change state), in id order; return them with their state."""
    return db.fetch_all(
        conn,
        """
        SELECT id, purchase_id, buyer_id, seller_id, product_id, quantity, line_total, paid, held_amount,
               seller_discount, platform_discount, points_spent, points_discount,
               status, shipped_at, delivered_at, released_at, fulfilled_at, cancelled_at
        FROM orders
        WHERE id = ANY(:ids)
        ORDER BY id
        FOR NO KEY UPDATE
        """,
        ids=sorted(set(order_ids)),
    )


def lock_shipments(conn: Connection, keys: Iterable[tuple[int, int]]) -> None:
    """Lock shipments given as (purchase_id, seller_id), in that order (their fee may settle)."""
    ordered = sorted(set(keys))
    db.execute(
        conn,
        """
        SELECT 1
        FROM shipments AS s
        JOIN unnest(CAST(:purchases AS bigint[]), CAST(:sellers AS bigint[])) AS wanted(purchase_id, seller_id)
          ON wanted.purchase_id = s.purchase_id AND wanted.seller_id = s.seller_id
        ORDER BY s.purchase_id, s.seller_id
        FOR NO KEY UPDATE OF s
        """,
        purchases=[purchase_id for purchase_id, _ in ordered],
        sellers=[seller_id for _, seller_id in ordered],
    )


def lock_offers(conn: Connection, keys: Iterable[tuple[int, int]]) -> dict:
    """Lock offers given as (seller_id, product_id), in (product, seller) order.

    Returns them by (seller_id, product_id) with what a stock or price change checks.
    """
    ordered = sorted(set(keys))
    rows = db.fetch_all(
        conn,
        """
        SELECT o.seller_id, o.product_id, o.price, o.quantity, o.is_active, p.name AS product_name,
               p.category_id, o.sale_price, offer_price_now(o.price, o.sale_price, o.sale_ends_at) AS price_now
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        JOIN unnest(CAST(:sellers AS bigint[]), CAST(:products AS bigint[])) AS wanted(seller_id, product_id)
          ON wanted.seller_id = o.seller_id AND wanted.product_id = o.product_id
        ORDER BY o.product_id, o.seller_id
        FOR NO KEY UPDATE OF o
        """,
        sellers=[seller_id for seller_id, _ in ordered],
        products=[product_id for _, product_id in ordered],
    )
    return {(row["seller_id"], row["product_id"]): row for row in rows}


def lock_offer(conn: Connection, seller_id: int, product_id: int):
    """Lock one offer; return it (see lock_offers), or None if there is none."""
    return lock_offers(conn, [(seller_id, product_id)]).get((seller_id, product_id))


def lock_products(conn: Connection, product_ids: Iterable[int]) -> int:
    """Lock product rows (their catalog summaries are about to change) and the parents of those
    that are variants (products_family_summary updates them), all in id order.

    Returns how many of the products asked for exist. A variant's parent_id never changes, so it
    may be read before the lock. The ids and the parents' ids are one array for one primary-key
    probe each: written as `id = ANY(:ids) OR id IN (parents)`, the planner walked the whole primary
    key to keep id order and filtered every row, however few the ids (at a million products 2.6-5 s
    for one to three ids, 23 s for 1,000; now 0.3 ms and 0.1 s).
    """
    return db.fetch_one(
        conn,
        """
        WITH locked AS (
            SELECT id
            FROM products
            WHERE id = ANY(
                CAST(:ids AS bigint[])
                || ARRAY(SELECT parent_id FROM products WHERE id = ANY(:ids) AND parent_id IS NOT NULL)
            )
            ORDER BY id
            FOR NO KEY UPDATE
        )
        SELECT count(*) FILTER (WHERE id = ANY(:ids)) AS found FROM locked
        """,
        ids=sorted(set(product_ids)),
    )["found"]


def lock_users(conn: Connection, user_ids: Iterable[int]) -> None:
    """Lock user rows (their balances are about to change), in id order."""
    db.execute(
        conn, "SELECT 1 FROM users WHERE id = ANY(:ids) ORDER BY id FOR NO KEY UPDATE", ids=sorted(set(user_ids))
    )
