"""Check the data's invariants: one SQL query per invariant, each counting the rows that break it.

Usage: python -m db.check   (DATABASE_URL names the database)
Prints "invariant | violations" and exits 1 if any count is not zero. The generator loads with
triggers and foreign-key checks off, so this is where its output is proven; it works as well on a
database the app has been writing to.
"""

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2
from psycopg2 import sql

from app import countries

WORKERS = 2
# Each query runs single-threaded and WORKERS of them run at once: on a small machine that keeps
# every core busy without parallel-query overhead. Big hash joins and sorts stay in memory.
SESSION_SETTINGS = {"work_mem": "1GB", "max_parallel_workers_per_gather": "0"}

INVARIANTS: list[tuple[str, str]] = [
    (
        "products: category_terms holds its category's and department's names (search_vector reads them; after a"
        " rename the job search.category_terms catches up within seconds)",
        """
        SELECT count(*)
        FROM products AS p
        JOIN categories AS c ON c.id = p.category_id
        JOIN departments AS d ON d.id = c.department_id
        WHERE p.category_terms <> c.name || ' ' || d.name
        """,
    ),
    (
        "search_words: every word of a listed product's name, brand and tags, and of every category and"
        " department name, is a catalog word (typo correction and suggestions look there)",
        """
        SELECT count(*)
        FROM (
            SELECT DISTINCT w.word
            FROM products AS p
            CROSS JOIN LATERAL regexp_split_to_table(lower(p.name || ' ' || p.search_terms), '[^[:alnum:]]+') AS w(word)
            WHERE p.status = 'listed' AND p.parent_id IS NULL
            UNION
            SELECT w.word
            FROM categories AS c
            JOIN departments AS d ON d.id = c.department_id
            CROSS JOIN LATERAL regexp_split_to_table(lower(c.name || ' ' || d.name), '[^[:alnum:]]+') AS w(word)
        ) AS held
        WHERE held.word ~ '^[[:alnum:]]{2,30}$'
          AND NOT EXISTS (SELECT 1 FROM search_words AS s WHERE s.word = held.word)
        """,
    ),
    (
        "search_suggestions: each row a well-formed word of an existing product, at most once per product",
        """
        SELECT count(*)
        FROM (
            SELECT s.product_id
            FROM search_suggestions AS s
            LEFT JOIN products AS p ON p.id = s.product_id
            WHERE p.id IS NULL OR s.word !~ '^[[:alnum:]]{2,30}$' OR s.word <> lower(s.word)
            UNION ALL
            SELECT product_id
            FROM search_suggestions
            GROUP BY word, product_id
            HAVING count(*) > 1
        ) AS broken
        """,
    ),
    (
        "product_tags: at most 10 per product, each lower-case, trimmed, 1-30 letters, digits, spaces or hyphens",
        """
        SELECT count(*)
        FROM (
            SELECT product_id
            FROM product_tags
            GROUP BY product_id
            HAVING count(*) > 10
            UNION ALL
            SELECT product_id
            FROM product_tags
            -- Letters of any script; of ASCII, only lower-case letters, digits, single spaces, hyphens.
            WHERE tag <> lower(tag)
               OR char_length(tag) NOT BETWEEN 1 AND 30
               OR tag <> btrim(tag, ' -')
               OR tag LIKE '%  %'
               OR regexp_replace(tag, '[^\x01-\x7f]', '', 'g') !~ '^[a-z0-9 -]*$'
        ) AS broken
        """,
    ),
    (
        "product_attributes: each value is of a key its product's category defines, typed as defined"
        " (a number for a number, one of the choices for a choice), and carries that category",
        """
        SELECT count(*)
        FROM product_attributes AS a
        JOIN products AS p ON p.id = a.product_id
        LEFT JOIN category_attributes AS ca ON ca.category_id = p.category_id AND ca.key = a.key
        WHERE ca.key IS NULL
           OR a.category_id <> p.category_id
           OR (ca.type = 'number') <> (a.value_number IS NOT NULL)
           OR (ca.type = 'choice' AND a.value_text <> ALL(ca.choices))
        """,
    ),
    (
        "products: search_terms holds the brand's name and every tag (what search_vector reads beyond name and"
        " description), and nothing when there are neither",
        """
        SELECT count(*)
        FROM products AS p
        LEFT JOIN brands AS b ON b.id = p.brand_id
        WHERE (b.id IS NOT NULL AND strpos(p.search_terms || ' ', b.name || ' ') <> 1)
           OR EXISTS (
                  SELECT 1
                  FROM product_tags AS t
                  WHERE t.product_id = p.id
                    AND strpos(' ' || p.search_terms || ' ', ' ' || t.tag || ' ') = 0
              )
           OR (b.id IS NULL AND p.search_terms <> ''
               AND NOT EXISTS (SELECT 1 FROM product_tags AS t WHERE t.product_id = p.id))
        """,
    ),
    (
        "product_images: each gallery's positions run 1..n without gaps, n at most 8",
        """
        SELECT count(*)
        FROM (
            SELECT product_id
            FROM product_images
            GROUP BY product_id
            HAVING min(position) <> 1 OR max(position) <> count(*) OR count(*) > 8
        ) AS broken
        """,
    ),
    (
        "products: image_id (the cover) is the uploaded image at gallery position 1, or NULL",
        """
        SELECT count(*)
        FROM products AS p
        LEFT JOIN product_images AS g ON g.product_id = p.id AND g.position = 1
        WHERE p.image_id IS DISTINCT FROM g.image_id
        """,
    ),
    (
        "wishlist_items: at most 500 a user (app/models/wishlist.MAX_ITEMS), and one added without stock was seen out",
        """
        SELECT (SELECT count(*)
                FROM (SELECT user_id FROM wishlist_items GROUP BY user_id HAVING count(*) > 500) AS full_lists)
             + (SELECT count(*)
                FROM wishlist_items
                WHERE (NOT in_stock_when_added AND seen_out_at IS NULL)
                   OR seen_out_at < added_at - interval '1 second')
        """,
    ),
    (
        "recently_viewed: at most 20 products a user (app/models/recently_viewed.KEEP)",
        """
        SELECT count(*)
        FROM (SELECT user_id FROM recently_viewed GROUP BY user_id HAVING count(*) > 20) AS long_lists
        """,
    ),
    (
        "hidden_threads: each hides, up to one of its messages, a thread its user is a party to",
        """
        SELECT count(*)
        FROM hidden_threads AS h
        WHERE NOT EXISTS (
            SELECT 1
            FROM messages AS m
            WHERE m.id = h.through_message_id
              AND m.purchase_id = h.purchase_id
              AND m.seller_id = h.seller_id
              AND h.user_id IN (m.sender_id, m.recipient_id)
        )
        """,
    ),
    (
        "offline_sales: each offer's offline sales add up to its 'offline sale' inventory events",
        """
        SELECT count(*)
        FROM (
            SELECT seller_id, product_id, sum(quantity) AS units
            FROM offline_sales
            GROUP BY seller_id, product_id
        ) AS sales
        FULL JOIN (
            SELECT seller_id, product_id, -sum(delta) AS units
            FROM inventory_events
            WHERE reason = 'offline sale'
            GROUP BY seller_id, product_id
        ) AS events USING (seller_id, product_id)
        WHERE sales.units IS DISTINCT FROM events.units
        """,
    ),
    (
        "purchases: a delivery country is an ISO 3166-1 alpha-2 code app/countries.py knows (the sales filter's)",
        f"""
        SELECT count(*)
        FROM purchases
        WHERE ship_country IS NOT NULL
          AND ship_country <> ALL (ARRAY[{", ".join(f"'{code}'" for code in countries.NAMES)}])
        """,  # noqa: S608 - the codes are constants of app/countries.py
    ),
    (
        "api_tokens: no token was used after it was revoked or expired, nor stored as anything but a hash"
        " (a SHA-256 and the token's first 10 characters), nor given a scope twice",
        """
        SELECT count(*)
        FROM api_tokens
        WHERE last_used_at > revoked_at
           OR last_used_at > expires_at
           OR last_used_at < created_at
           OR display_prefix !~ '^bzr_[A-Za-z0-9_-]{6}$'
           OR token_hash !~ '^[0-9a-f]{64}$'
           OR cardinality(scopes) <> (SELECT count(DISTINCT scope) FROM unnest(scopes) AS scope)
        """,
    ),
    (
        "offline sales' tokens: each offline sale was recorded with a token of its seller's that has the orders"
        " scope, made before the sale, used then (last used at or after it) and neither expired nor revoked"
        " before it (to a minute: the request checks its token before it waits for the offer's lock)",
        """
        SELECT count(*)
        FROM offline_sales AS s
        WHERE NOT EXISTS (
            SELECT 1
            FROM api_tokens AS t
            WHERE t.user_id = s.seller_id
              AND 'orders' = ANY (t.scopes)
              AND t.created_at <= s.created_at
              AND t.last_used_at >= s.created_at - interval '1 minute'
              AND t.expires_at > s.created_at - interval '1 minute'
              AND coalesce(t.revoked_at > s.created_at - interval '1 minute', true)
        )
        """,
    ),
    (
        "offline sales' keys: each Idempotency-Key 1-255 visible ASCII characters, each request digest a"
        " SHA-256, each sale after its offer was listed",
        """
        SELECT count(*)
        FROM offline_sales AS s
        JOIN offers AS o ON o.seller_id = s.seller_id AND o.product_id = s.product_id
        WHERE s.idempotency_key !~ '^[!-~]{1,255}$'
           OR s.request_digest !~ '^[0-9a-f]{64}$'
           OR s.created_at < o.created_at
        """,
    ),
    (
        "users: balance (available) and pending_balance = the sums of their ledger rows on each account",
        """
        SELECT count(*)
        FROM users AS u
        LEFT JOIN (
            SELECT user_id,
                   sum(amount) FILTER (WHERE account = 'available') AS available,
                   sum(amount) FILTER (WHERE account = 'pending') AS pending
            FROM balance_ledger
            GROUP BY user_id
        ) AS ledger ON ledger.user_id = u.id
        WHERE u.balance <> coalesce(ledger.available, 0)
           OR u.pending_balance <> coalesce(ledger.pending, 0)
        """,
    ),
    (
        "users: no negative balance, available or pending",
        """
        SELECT count(*)
        FROM users
        WHERE balance < 0 OR pending_balance < 0
        """,
    ),
    (
        "ledger: balance_after = running sum per user and account (by id), never negative, time forward",
        """
        SELECT count(*)
        FROM (
            SELECT balance_after,
                   sum(amount) OVER by_account AS running,
                   created_at,
                   lag(created_at) OVER by_account AS previous
            FROM balance_ledger
            WINDOW by_account AS (PARTITION BY user_id, account ORDER BY id)
        ) AS ledger
        WHERE balance_after <> running OR balance_after < 0 OR created_at < previous
        """,
    ),
    (
        "escrow: each seller's pending balance = what their unsettled lines and shipping fees hold",
        """
        SELECT count(*)
        FROM users AS u
        LEFT JOIN (
            SELECT seller_id, sum(held_amount) AS held
            FROM orders
            WHERE released_at IS NULL
              AND status NOT IN ('cancelled', 'refunded')
            GROUP BY seller_id
        ) AS lines ON lines.seller_id = u.id
        LEFT JOIN (
            SELECT seller_id, sum(fee) AS held
            FROM shipments
            WHERE fee_settled_at IS NULL
            GROUP BY seller_id
        ) AS fees ON fees.seller_id = u.id
        WHERE u.pending_balance <> coalesce(lines.held, 0) + coalesce(fees.held, 0)
        """,
    ),
    (
        "escrow: a line holds its proceeds (nothing for a line paid out before escrow began, none held since)",
        """
        SELECT count(*)
        FROM orders
        WHERE held_amount <> line_total - seller_discount
          AND NOT (held_amount = 0 AND ordered_at < coalesce(
              (SELECT min(created_at) FROM balance_ledger WHERE kind = 'hold'), '-infinity'))
        """,
    ),
    (
        "escrow: released only when delivered and the 30-day return window had closed",
        """
        SELECT count(*)
        FROM orders
        WHERE released_at IS NOT NULL
          AND (status NOT IN ('delivered', 'return_refused') OR released_at < delivered_at + interval '30 days')
        """,
    ),
    (
        "escrow: release rows move, per purchase and seller, what released lines and fees held, pending to available",
        """
        SELECT count(*)
        FROM (
            SELECT purchase_id, seller_id, sum(amount) AS amount
            FROM (
                SELECT purchase_id, seller_id, held_amount AS amount
                FROM orders
                WHERE released_at IS NOT NULL
                UNION ALL
                SELECT purchase_id, seller_id, fee
                FROM shipments
                WHERE fee_settled_at IS NOT NULL AND NOT fee_refunded
            ) AS parts
            GROUP BY purchase_id, seller_id
            HAVING sum(amount) <> 0
        ) AS released
        FULL JOIN (
            SELECT purchase_id, user_id,
                   sum(amount) FILTER (WHERE account = 'available') AS available,
                   sum(amount) FILTER (WHERE account = 'pending') AS pending
            FROM balance_ledger
            WHERE kind = 'release'
            GROUP BY purchase_id, user_id
        ) AS ledger ON ledger.purchase_id = released.purchase_id AND ledger.user_id = released.seller_id
        WHERE released.amount IS DISTINCT FROM ledger.available
           OR ledger.available <> -ledger.pending
        """,
    ),
    (
        "escrow: holds (when escrow began) move money from available to pending, the same on both sides",
        """
        SELECT count(*)
        FROM (
            SELECT user_id
            FROM balance_ledger
            WHERE kind = 'hold'
            GROUP BY user_id
            HAVING sum(amount) FILTER (WHERE account = 'pending') <> -sum(amount) FILTER (WHERE account = 'available')
        ) AS uneven
        """,
    ),
    (
        "ledger: one purchase row per purchase, by its buyer, for -total (none when coupons paid it all)",
        """
        SELECT count(*)
        FROM purchases AS p
        LEFT JOIN (
            SELECT purchase_id, min(user_id) AS user_id, count(*) AS rows, sum(amount) AS amount
            FROM balance_ledger
            WHERE kind = 'purchase'
            GROUP BY purchase_id
        ) AS ledger ON ledger.purchase_id = p.id
        WHERE ledger.rows IS DISTINCT FROM (CASE WHEN p.total > 0 THEN 1 END)
           OR ledger.user_id <> p.buyer_id
           OR ledger.amount <> -p.total
        """,
    ),
    (
        "ledger: one sale row per purchase and seller, for their proceeds (line totals less their coupons) and fee",
        """
        SELECT count(*)
        FROM (
            SELECT o.purchase_id, o.seller_id,
                   sum(o.line_total - o.seller_discount) + coalesce(min(s.fee), 0) AS total
            FROM orders AS o
            LEFT JOIN shipments AS s ON s.purchase_id = o.purchase_id AND s.seller_id = o.seller_id
            GROUP BY o.purchase_id, o.seller_id
            HAVING sum(o.line_total - o.seller_discount) + coalesce(min(s.fee), 0) > 0
        ) AS sold
        FULL JOIN (
            SELECT purchase_id, user_id, amount
            FROM balance_ledger
            WHERE kind = 'sale'
        ) AS credited ON credited.purchase_id = sold.purchase_id AND credited.user_id = sold.seller_id
        WHERE sold.total IS DISTINCT FROM credited.amount
        """,
    ),
    (
        "ledger: refunds = what cancelled and returned lines were paid, and refunded fees; sale refunds = proceeds",
        """
        SELECT count(*)
        FROM (
            SELECT purchase_id, user_id, kind, sum(amount) AS total
            FROM (
                SELECT purchase_id, buyer_id AS user_id, 'refund' AS kind, refunded_amount AS amount
                FROM orders
                WHERE status IN ('cancelled', 'refunded')
                UNION ALL
                SELECT purchase_id, seller_id, 'sale_refund', -(line_total - seller_discount)
                FROM orders
                WHERE status IN ('cancelled', 'refunded')
                UNION ALL
                SELECT s.purchase_id, p.buyer_id, 'refund', s.fee
                FROM shipments AS s
                JOIN purchases AS p ON p.id = s.purchase_id
                WHERE s.fee_refunded
                UNION ALL
                SELECT purchase_id, seller_id, 'sale_refund', -fee
                FROM shipments
                WHERE fee_refunded
            ) AS owed
            GROUP BY purchase_id, user_id, kind
            HAVING sum(amount) <> 0
        ) AS refunds
        FULL JOIN (
            SELECT purchase_id, user_id, kind, sum(amount) AS total
            FROM balance_ledger
            WHERE kind IN ('refund', 'sale_refund')
            GROUP BY purchase_id, user_id, kind
        ) AS refunded
            ON refunded.purchase_id = refunds.purchase_id
           AND refunded.user_id = refunds.user_id
           AND refunded.kind = refunds.kind
        WHERE refunds.total IS DISTINCT FROM refunded.total
        """,
    ),
    (
        "offers: quantity = sum of inventory deltas",
        """
        SELECT count(*)
        FROM offers AS o
        LEFT JOIN (
            SELECT seller_id, product_id, sum(delta) AS total
            FROM inventory_events
            GROUP BY seller_id, product_id
        ) AS events ON events.seller_id = o.seller_id AND events.product_id = o.product_id
        WHERE o.quantity <> coalesce(events.total, 0)
        """,
    ),
    (
        "inventory: quantity_after = running sum per offer (by id), never negative",
        """
        SELECT count(*)
        FROM (
            SELECT quantity_after,
                   sum(delta) OVER (PARTITION BY seller_id, product_id ORDER BY id) AS running,
                   created_at,
                   lag(created_at) OVER (PARTITION BY seller_id, product_id ORDER BY id) AS previous
            FROM inventory_events
        ) AS events
        WHERE quantity_after <> running OR quantity_after < 0 OR created_at < previous
        """,
    ),
    (
        "inventory: a sale event per order line, a cancellation per cancelled line, a return per restocked one",
        """
        SELECT count(*)
        FROM orders AS o
        FULL JOIN (
            SELECT order_id,
                   min(seller_id) AS seller_id,
                   min(product_id) AS product_id,
                   count(*) FILTER (WHERE reason = 'sale') AS sales,
                   sum(delta) FILTER (WHERE reason = 'sale') AS sold,
                   count(*) FILTER (WHERE reason = 'cancellation') AS cancellations,
                   sum(delta) FILTER (WHERE reason = 'cancellation') AS cancelled,
                   count(*) FILTER (WHERE reason = 'return') AS restocks,
                   sum(delta) FILTER (WHERE reason = 'return') AS restocked
            FROM inventory_events
            WHERE order_id IS NOT NULL
            GROUP BY order_id
        ) AS events ON events.order_id = o.id
        WHERE o.id IS NULL
           OR events.order_id IS NULL
           OR events.seller_id <> o.seller_id
           OR events.product_id <> o.product_id
           OR events.sales <> 1
           OR events.sold <> -o.quantity
           OR events.cancellations <> (o.cancelled_at IS NOT NULL)::int
           OR coalesce(events.cancelled, o.quantity) <> o.quantity
           OR events.restocks <> (o.returned_at IS NOT NULL)::int
           OR coalesce(events.restocked, o.quantity) <> o.quantity
        """,
    ),
    (
        "purchases: total = what its lines were paid in money and its shipping fees, at least one line",
        """
        SELECT count(*)
        FROM purchases AS p
        LEFT JOIN (SELECT purchase_id, sum(paid) AS total FROM orders GROUP BY purchase_id) AS lines
            ON lines.purchase_id = p.id
        LEFT JOIN (SELECT purchase_id, sum(fee) AS total FROM shipments GROUP BY purchase_id) AS fees
            ON fees.purchase_id = p.id
        WHERE lines.total IS NULL OR lines.total + coalesce(fees.total, 0) <> p.total
        """,
    ),
    (
        "purchases: keep a copy of the address they were sent to, and one shipment per seller of their lines",
        """
        SELECT (SELECT count(*) FROM purchases WHERE ship_to IS NULL) + (
            SELECT count(*)
            FROM (SELECT DISTINCT purchase_id, seller_id FROM orders) AS sold
            FULL JOIN shipments AS s ON s.purchase_id = sold.purchase_id AND s.seller_id = sold.seller_id
            WHERE sold.purchase_id IS NULL OR s.purchase_id IS NULL
        )
        """,
    ),
    (
        "shipments: the fee settles once every line of it is settled: back to the buyer only if none shipped",
        """
        SELECT count(*)
        FROM shipments AS s
        JOIN (
            SELECT purchase_id, seller_id,
                   count(*) FILTER (WHERE status NOT IN ('cancelled', 'refunded') AND released_at IS NULL) AS open,
                   count(*) FILTER (WHERE shipped_at IS NOT NULL) AS shipped
            FROM orders
            GROUP BY purchase_id, seller_id
        ) AS lines ON lines.purchase_id = s.purchase_id AND lines.seller_id = s.seller_id
        WHERE (s.fee_settled_at IS NOT NULL) <> (lines.open = 0)
           OR (s.fee_settled_at IS NOT NULL AND s.fee_refunded <> (lines.shipped = 0))
        """,
    ),
    (
        "orders: buyer and ordered_at copied from the purchase",
        """
        SELECT count(*)
        FROM orders AS o
        JOIN purchases AS p ON p.id = o.purchase_id
        WHERE o.buyer_id <> p.buyer_id OR o.ordered_at <> p.created_at
        """,
    ),
    (
        "orders: unit_price > 0, buyer is not the seller",
        """
        SELECT count(*)
        FROM orders
        WHERE unit_price <= 0 OR buyer_id = seller_id
        """,
    ),
    (
        "orders: fulfilled or cancelled (not both) after ordered; fulfilled_at, the old name, = shipped_at",
        """
        SELECT count(*)
        FROM orders
        WHERE fulfilled_at < ordered_at
           OR cancelled_at < ordered_at
           OR (fulfilled_at IS NOT NULL AND cancelled_at IS NOT NULL)
           OR fulfilled_at IS DISTINCT FROM shipped_at
        """,
    ),
    (
        # placed -> cancelled, or placed -> shipped -> delivered -> (return_requested -> (returned ->)
        # refunded, or -> return_refused): each state's time needs the one before, no earlier, and
        # status names the last. Migration 0014 makes the same rule a CHECK constraint. No time is
        # in the future: statement_timestamp(), not now(), in case this runs in a transaction that
        # began before those times were written (a test's).
        "orders: every line's state history is a valid path, in time order, ending in its status",
        """
        SELECT count(*)
        FROM orders
        WHERE NOT coalesce(
            (shipped_at IS NULL OR (cancelled_at IS NULL AND shipped_at >= ordered_at))
            AND (delivered_at IS NULL OR (shipped_at IS NOT NULL AND delivered_at >= shipped_at))
            AND (return_requested_at IS NULL OR (delivered_at IS NOT NULL AND return_requested_at >= delivered_at))
            AND (return_refused_at IS NULL
                 OR (return_requested_at IS NOT NULL AND return_refused_at >= return_requested_at
                     AND refunded_at IS NULL))
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
            END,
            false)
           OR ordered_at > statement_timestamp()
           OR greatest(shipped_at, delivered_at, return_requested_at, return_refused_at, refunded_at,
                       cancelled_at, released_at) > statement_timestamp()
           OR (return_requested_at IS NOT NULL AND return_requested_at > delivered_at + interval '30 days')
           OR (auto_delivered AND delivered_at < shipped_at + interval '14 days')
        """,
    ),
    (
        "orders: refunded amount <= what was paid: all of it for cancelled and refunded lines, else nothing",
        """
        SELECT count(*)
        FROM orders
        WHERE refunded_amount > paid
           OR refunded_amount <> CASE WHEN status IN ('cancelled', 'refunded') THEN paid ELSE 0 END
        """,
    ),
    (
        "addresses: a user with addresses has exactly one default",
        """
        SELECT count(*)
        FROM (
            SELECT user_id
            FROM addresses
            GROUP BY user_id
            HAVING count(*) FILTER (WHERE is_default) <> 1
        ) AS wrong
        """,
    ),
    (
        "time: product listed after its creator registered",
        """
        SELECT count(*)
        FROM products AS p
        JOIN users AS u ON u.id = p.creator_id
        WHERE p.created_at < u.created_at
        """,
    ),
    (
        "time: offer created after its product and its seller",
        """
        SELECT count(*)
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        JOIN users AS u ON u.id = o.seller_id
        WHERE o.created_at < p.created_at OR o.created_at < u.created_at
        """,
    ),
    (
        "time: ordered after the offer existed and the buyer registered",
        """
        SELECT count(*)
        FROM orders AS o
        JOIN offers AS offer ON offer.seller_id = o.seller_id AND offer.product_id = o.product_id
        JOIN users AS u ON u.id = o.buyer_id
        WHERE o.ordered_at < offer.created_at OR o.ordered_at < u.created_at
        """,
    ),
    (
        "product reviews: after the author registered and the product was listed",
        """
        SELECT count(*)
        FROM product_reviews AS r
        JOIN users AS u ON u.id = r.author_id
        JOIN products AS p ON p.id = r.product_id
        WHERE r.created_at < u.created_at OR r.created_at < p.created_at
        """,
    ),
    (
        "product reviews: one per author and product",
        """
        SELECT count(*)
        FROM (SELECT 1 FROM product_reviews GROUP BY author_id, product_id HAVING count(*) > 1) AS repeated
        """,
    ),
    (
        "seller reviews: only by buyers of the seller, after their first purchase",
        """
        SELECT count(*)
        FROM seller_reviews AS r
        LEFT JOIN (
            SELECT buyer_id, seller_id, min(ordered_at) AS first_ordered
            FROM orders
            GROUP BY buyer_id, seller_id
        ) AS bought ON bought.buyer_id = r.author_id AND bought.seller_id = r.seller_id
        WHERE bought.first_ordered IS NULL OR r.created_at < bought.first_ordered
        """,
    ),
    (
        "seller reviews: one per author and seller, never of oneself",
        """
        SELECT count(*) FILTER (WHERE author_id = seller_id) + count(*) - count(DISTINCT (author_id, seller_id))
        FROM seller_reviews
        """,
    ),
    (
        "review votes: no self-votes, unique, after the review",
        """
        SELECT (
            SELECT count(*)
            FROM product_review_votes AS v
            JOIN product_reviews AS r ON r.id = v.review_id
            WHERE v.voter_id = r.author_id OR v.created_at < r.created_at
        ) + (
            SELECT count(*)
            FROM seller_review_votes AS v
            JOIN seller_reviews AS r ON r.id = v.review_id
            WHERE v.voter_id = r.author_id OR v.created_at < r.created_at
        ) + (
            SELECT count(*) - count(DISTINCT (review_id, voter_id)) FROM product_review_votes
        ) + (
            SELECT count(*) - count(DISTINCT (review_id, voter_id)) FROM seller_review_votes
        )
        """,
    ),
    (
        "messages: between the purchase's buyer and one of its sellers",
        """
        SELECT count(*)
        FROM messages AS m
        JOIN purchases AS p ON p.id = m.purchase_id
        WHERE NOT (
                (m.sender_id = p.buyer_id AND m.recipient_id = m.seller_id)
             OR (m.sender_id = m.seller_id AND m.recipient_id = p.buyer_id)
           )
           OR NOT EXISTS (SELECT 1 FROM orders AS o WHERE o.purchase_id = m.purchase_id AND o.seller_id = m.seller_id)
        """,
    ),
    (
        "messages: sent after the purchase, read after sent",
        """
        SELECT count(*)
        FROM messages AS m
        JOIN purchases AS p ON p.id = m.purchase_id
        WHERE m.created_at < p.created_at OR m.read_at < m.created_at
        """,
    ),
    (
        "summary: products offer_count, total_stock, min_price (sales counted), min_price_before_sale = active offers",
        """
        SELECT count(*)
        FROM products AS p
        LEFT JOIN (
            SELECT product_id,
                   count(*) AS offer_count,
                   sum(quantity) AS total_stock,
                   coalesce(min(coalesce(sale_price, price)) FILTER (WHERE quantity > 0),
                            min(coalesce(sale_price, price))) AS min_price,
                   coalesce(min(price) FILTER (WHERE quantity > 0), min(price)) AS min_usual
            FROM offers
            WHERE is_active
            GROUP BY product_id
        ) AS active ON active.product_id = p.id
        WHERE cardinality(p.option_names) = 0
          AND (p.offer_count <> coalesce(active.offer_count, 0)
               OR p.total_stock <> coalesce(active.total_stock, 0)
               OR p.min_price IS DISTINCT FROM active.min_price
               OR p.min_price_before_sale IS DISTINCT FROM
                  (CASE WHEN active.min_usual > active.min_price THEN active.min_usual END)
               OR p.max_price IS NOT NULL)
        """,
    ),
    (
        "summary: a product with variants adds up its variants (offers, stock, prices, range, units sold)",
        """
        SELECT count(*)
        FROM products AS p
        LEFT JOIN (
            SELECT parent_id,
                   sum(offer_count) AS offer_count,
                   sum(total_stock) AS total_stock,
                   coalesce(min(min_price) FILTER (WHERE total_stock > 0), min(min_price)) AS min_price,
                   max(min_price) AS max_price,
                   coalesce(min(coalesce(min_price_before_sale, min_price)) FILTER (WHERE total_stock > 0),
                            min(coalesce(min_price_before_sale, min_price))) AS min_usual,
                   sum(units_sold) AS units_sold
            FROM products
            WHERE parent_id IS NOT NULL
            GROUP BY parent_id
        ) AS family ON family.parent_id = p.id
        WHERE cardinality(p.option_names) > 0
          AND (p.offer_count <> coalesce(family.offer_count, 0)
               OR p.total_stock <> coalesce(family.total_stock, 0)
               OR p.min_price IS DISTINCT FROM family.min_price
               OR p.max_price IS DISTINCT FROM family.max_price
               OR p.min_price_before_sale IS DISTINCT FROM
                  (CASE WHEN family.min_usual > family.min_price THEN family.min_usual END)
               OR p.units_sold <> coalesce(family.units_sold, 0))
        """,
    ),
    (
        "variants: a product with options has no offers of its own (its variants are offered)",
        """
        SELECT count(*)
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE cardinality(p.option_names) > 0
        """,
    ),
    (
        "variants: a variant's product has options, one value per option, no parent, same creator and category",
        """
        SELECT count(*)
        FROM products AS v
        JOIN products AS p ON p.id = v.parent_id
        WHERE p.parent_id IS NOT NULL
           OR cardinality(v.option_values) <> cardinality(p.option_names)
           OR v.creator_id <> p.creator_id
           OR v.category_id <> p.category_id
        """,
    ),
    (
        "summary: products rating_count, rating_sum, rating_avg = reviews not hidden",
        """
        SELECT count(*)
        FROM products AS p
        LEFT JOIN (
            SELECT product_id, count(*) AS rating_count, sum(rating) AS rating_sum
            FROM product_reviews
            WHERE hidden_at IS NULL
            GROUP BY product_id
        ) AS rated ON rated.product_id = p.id
        WHERE p.rating_count <> coalesce(rated.rating_count, 0)
           OR p.rating_sum <> coalesce(rated.rating_sum, 0)
           OR p.rating_avg IS DISTINCT FROM round(rated.rating_sum::numeric / rated.rating_count, 2)
        """,
    ),
    (
        "summary: products units_sold = quantities of lines not cancelled",
        """
        SELECT count(*)
        FROM products AS p
        LEFT JOIN (
            SELECT product_id, sum(quantity) AS units
            FROM orders
            WHERE cancelled_at IS NULL
            GROUP BY product_id
        ) AS sold ON sold.product_id = p.id
        WHERE p.units_sold <> coalesce(sold.units, 0)
          AND cardinality(p.option_names) = 0
        """,
    ),
    (
        "summary: users seller_rating_count, seller_rating_sum = seller reviews not hidden",
        """
        SELECT count(*)
        FROM users AS u
        LEFT JOIN (
            SELECT seller_id, count(*) AS rating_count, sum(rating) AS rating_sum
            FROM seller_reviews
            WHERE hidden_at IS NULL
            GROUP BY seller_id
        ) AS rated ON rated.seller_id = u.id
        WHERE u.seller_rating_count <> coalesce(rated.rating_count, 0)
           OR u.seller_rating_sum <> coalesce(rated.rating_sum, 0)
        """,
    ),
    (
        "summary: review helpful_count = votes",
        """
        SELECT (
            SELECT count(*)
            FROM product_reviews AS r
            LEFT JOIN (SELECT review_id, count(*) AS votes FROM product_review_votes GROUP BY review_id) AS v
                ON v.review_id = r.id
            WHERE r.helpful_count <> coalesce(v.votes, 0)
        ) + (
            SELECT count(*)
            FROM seller_reviews AS r
            LEFT JOIN (SELECT review_id, count(*) AS votes FROM seller_review_votes GROUP BY review_id) AS v
                ON v.review_id = r.id
            WHERE r.helpful_count <> coalesce(v.votes, 0)
        )
        """,
    ),
    (
        "users: e-mail confirmed no earlier than the account was made",
        """
        SELECT count(*)
        FROM users
        WHERE email_verified_at < created_at
        """,
    ),
    (
        "purchases: every buyer had confirmed their e-mail",
        """
        SELECT count(*)
        FROM purchases AS p
        JOIN users AS u ON u.id = p.buyer_id
        WHERE u.email_verified_at IS NULL
        """,
    ),
    (
        "outbox: every message still to send has its queued mail.send job",
        """
        SELECT count(*)
        FROM mail_outbox AS m
        WHERE m.status = 'queued'
          AND NOT EXISTS (
              SELECT
              FROM jobs AS j
              WHERE j.kind = 'mail.send'
                AND j.status = 'queued'
                AND j.payload->>'outbox_id' = m.id::text
          )
        """,
    ),
    (
        "email codes: no code tried more than 5 times",
        """
        SELECT count(*)
        FROM email_codes
        WHERE attempts > 5
        """,
    ),
    (
        "two-factor: a code step is recorded exactly when it is on (the confirming code's step at least)",
        """
        SELECT count(*)
        FROM user_totp
        WHERE (enabled_at IS NULL) <> (last_used_step IS NULL)
        """,
    ),
    (
        "two-factor: recovery codes and pending sign-ins only for users who have it on",
        """
        SELECT count(*)
        FROM (
            SELECT user_id FROM recovery_codes
            UNION ALL
            SELECT user_id FROM pending_sign_ins
        ) AS owned
        WHERE NOT EXISTS (
            SELECT
            FROM user_totp AS t
            WHERE t.user_id = owned.user_id
              AND t.enabled_at IS NOT NULL
        )
        """,
    ),
    (
        "two-factor: a pending sign-in is dropped at its 5th wrong code",
        """
        SELECT count(*)
        FROM pending_sign_ins
        WHERE attempts >= 5
        """,
    ),
    (
        "passkeys: every owner has a WebAuthn user handle",
        """
        SELECT count(*)
        FROM passkeys AS p
        WHERE NOT EXISTS (SELECT FROM passkey_user_handles AS h WHERE h.user_id = p.user_id)
        """,
    ),
    (
        "roles: is_admin (until it is dropped) says the same as role",
        """
        SELECT count(*)
        FROM users
        WHERE is_admin <> (role = 'administrator')
        """,
    ),
    (
        "moderation: no offer sells while held, for a suspended seller or of a product not listed",
        """
        SELECT count(*)
        FROM offers AS o
        JOIN users AS u ON u.id = o.seller_id
        JOIN products AS p ON p.id = o.product_id
        WHERE o.is_active AND (o.moderation_hold OR u.suspended_at IS NOT NULL OR p.status <> 'listed')
        """,
    ),
    (
        "moderation: each suspension and take-down has its audit row of that moment; each adjustment its own",
        """
        SELECT (
            SELECT count(*)
            FROM users AS u
            WHERE u.suspended_at IS NOT NULL
              AND NOT EXISTS (
                  SELECT FROM audit_log AS a
                  WHERE a.action = 'user.suspend'
                    AND a.target_type = 'user'
                    AND a.target_id = u.id
                    AND a.created_at = u.suspended_at
              )
        ) + (
            SELECT count(*)
            FROM products AS p
            WHERE p.status = 'taken_down'
              AND NOT EXISTS (
                  SELECT FROM audit_log AS a
                  WHERE a.action IN ('product.take_down', 'product.reject')
                    AND a.target_type = 'product'
                    AND a.target_id = p.id
                    AND a.created_at = p.status_changed_at
              )
        ) + (
            SELECT count(*)
            FROM (
                SELECT user_id, count(*) AS n FROM balance_ledger WHERE kind = 'adjustment' GROUP BY user_id
            ) AS ledger
            FULL JOIN (
                SELECT target_id AS user_id, count(*) AS n
                FROM audit_log
                WHERE action = 'user.balance' AND target_type = 'user'
                GROUP BY target_id
            ) AS audited USING (user_id)
            WHERE ledger.n IS DISTINCT FROM audited.n
        )
        """,
    ),
    (
        "product reviews: none by the product's creator, nor by a seller who offered it before writing, counts",
        """
        SELECT count(*)
        FROM product_reviews AS r
        JOIN products AS p ON p.id = r.product_id
        WHERE r.hidden_at IS NULL
          AND (p.creator_id = r.author_id
           OR EXISTS (
               SELECT 1 FROM offers AS o
               WHERE o.seller_id = r.author_id AND o.product_id = r.product_id AND o.created_at <= r.updated_at
           ))
        """,
    ),
    (
        "review reports: after the review, resolved after made, none open on a hidden review",
        """
        SELECT count(*)
        FROM review_reports AS rr
        LEFT JOIN product_reviews AS pr ON pr.id = rr.product_review_id
        LEFT JOIN seller_reviews AS sr ON sr.id = rr.seller_review_id
        WHERE rr.created_at < coalesce(pr.created_at, sr.created_at)
           OR rr.resolved_at < rr.created_at
           OR (rr.resolved_at IS NULL AND coalesce(pr.hidden_at, sr.hidden_at) IS NOT NULL)
           OR rr.reporter_id = coalesce(pr.author_id, sr.author_id)
        """,
    ),
    (
        "audit log: the command line acts without a user, everyone else as one; after the actor registered",
        """
        SELECT count(*)
        FROM audit_log AS a
        LEFT JOIN users AS u ON u.id = a.actor_id
        WHERE (a.actor_role = 'command line') <> (a.actor_id IS NULL)
           OR a.created_at < u.created_at
        """,
    ),
    (
        "feedback: closed after sent, by someone registered by then",
        """
        SELECT count(*)
        FROM feedback AS f
        LEFT JOIN users AS closer ON closer.id = f.closed_by
        WHERE f.closed_at < f.created_at OR f.closed_at < closer.created_at
        """,
    ),
    (
        "search misses: queries stored normalised (lower case, single spaces, trimmed)",
        """
        SELECT count(*)
        FROM search_misses
        WHERE query <> lower(btrim(regexp_replace(query, '\\s+', ' ', 'g')))
        """,
    ),
    (
        "coupons: uses = their uses not restored, within the total limit",
        """
        SELECT count(*)
        FROM coupons AS c
        LEFT JOIN (
            SELECT coupon_id, count(*) AS uses
            FROM coupon_uses
            WHERE restored_at IS NULL
            GROUP BY coupon_id
        ) AS used ON used.coupon_id = c.id
        WHERE c.uses <> coalesce(used.uses, 0)
           OR c.uses > c.max_uses
        """,
    ),
    (
        "coupons: no buyer past the per-buyer limit",
        """
        SELECT count(*)
        FROM (
            SELECT u.coupon_id, u.buyer_id, count(*) AS uses
            FROM coupon_uses AS u
            WHERE u.restored_at IS NULL
            GROUP BY u.coupon_id, u.buyer_id
        ) AS used
        JOIN coupons AS c ON c.id = used.coupon_id
        WHERE used.uses > c.per_buyer_limit
        """,
    ),
    (
        "coupons: a use is by its purchase's buyer, of a coupon in time, restored only if every line was cancelled",
        """
        SELECT count(*)
        FROM coupon_uses AS u
        JOIN purchases AS p ON p.id = u.purchase_id
        JOIN coupons AS c ON c.id = u.coupon_id
        WHERE u.buyer_id <> p.buyer_id
           OR p.created_at < c.starts_at
           OR p.created_at >= c.ends_at
           OR (u.restored_at IS NULL) = NOT EXISTS (
               SELECT FROM orders AS o WHERE o.purchase_id = u.purchase_id AND o.cancelled_at IS NULL
           )
        """,
    ),
    (
        "orders: paid = line total - seller, platform and points discounts, never negative; points at 100 a dollar",
        """
        SELECT count(*)
        FROM orders
        WHERE paid <> line_total - seller_discount - platform_discount - points_discount
           OR paid < 0
           OR seller_discount < 0
           OR platform_discount < 0
           OR points_discount * 100 <> points_spent
        """,
    ),
    (
        "orders: coupon discounts come from coupons the purchase used (the seller's, the platform's), adding up",
        """
        SELECT (
            SELECT count(*)
            FROM (
                SELECT o.purchase_id, o.seller_coupon_id AS coupon_id, sum(o.seller_discount) AS discount,
                       bool_and(c.seller_id = o.seller_id) AS issuer_ok
                FROM orders AS o
                JOIN coupons AS c ON c.id = o.seller_coupon_id
                GROUP BY o.purchase_id, o.seller_coupon_id
                UNION ALL
                SELECT o.purchase_id, o.platform_coupon_id, sum(o.platform_discount), bool_and(c.seller_id IS NULL)
                FROM orders AS o
                JOIN coupons AS c ON c.id = o.platform_coupon_id
                GROUP BY o.purchase_id, o.platform_coupon_id
            ) AS lines
            FULL JOIN coupon_uses AS u ON u.purchase_id = lines.purchase_id AND u.coupon_id = lines.coupon_id
            WHERE lines.discount IS DISTINCT FROM u.discount
               OR NOT lines.issuer_ok
        ) + (
            SELECT count(*)
            FROM orders
            WHERE (seller_discount > 0) <> (seller_coupon_id IS NOT NULL)
               OR (platform_discount > 0) <> (platform_coupon_id IS NOT NULL)
        )
        """,
    ),
    (
        "users: points balance = sum of their points ledger",
        """
        SELECT count(*)
        FROM users AS u
        LEFT JOIN (SELECT user_id, sum(points) AS total FROM points_ledger GROUP BY user_id) AS ledger
            ON ledger.user_id = u.id
        WHERE u.points_balance <> coalesce(ledger.total, 0)
        """,
    ),
    (
        "points ledger: balance_after = running sum per user (by id), taken below zero by a reversal only, "
        "time forward",
        """
        SELECT count(*)
        FROM (
            SELECT kind, points, balance_after,
                   sum(points) OVER by_user AS running,
                   created_at,
                   lag(created_at) OVER by_user AS previous
            FROM points_ledger
            WINDOW by_user AS (PARTITION BY user_id ORDER BY id)
        ) AS ledger
        WHERE balance_after <> running
           OR (balance_after < 0 AND kind <> 'reverse' AND points < 0)
           OR created_at < previous
        """,
    ),
    (
        "points: spent = the lines' points; refunded = a cancelled or refunded line's; earned = units paid; "
        "reversed = earned",
        """
        SELECT (
            SELECT count(*)
            FROM (
                SELECT purchase_id, -sum(points_spent) AS points
                FROM orders
                GROUP BY purchase_id
                HAVING sum(points_spent) > 0
            ) AS lines
            FULL JOIN (
                SELECT purchase_id, sum(points) AS points
                FROM points_ledger
                WHERE kind = 'spend'
                GROUP BY purchase_id
            ) AS ledger ON ledger.purchase_id = lines.purchase_id
            WHERE lines.points IS DISTINCT FROM ledger.points
        ) + (
            SELECT count(*)
            FROM points_ledger AS l
            JOIN orders AS o ON o.id = l.order_id
            WHERE l.user_id <> o.buyer_id
               OR (l.kind = 'refund' AND l.points <> o.points_spent)
               OR (l.kind = 'earn' AND (l.points <> floor(o.paid) OR o.cancelled_at IS NOT NULL))
               OR (l.kind = 'reverse' AND l.points <> -coalesce(
                      (SELECT e.points FROM points_ledger AS e WHERE e.order_id = o.id AND e.kind = 'earn'), 0))
        ) + (
            SELECT count(*)
            FROM orders AS o
            WHERE o.status IN ('cancelled', 'refunded')
              AND o.points_spent > 0
              AND NOT EXISTS (SELECT FROM points_ledger AS l WHERE l.order_id = o.id AND l.kind = 'refund')
        )
        """,
    ),
    (
        "points: earned on delivery: only by a delivered line, at or after its delivery",
        """
        SELECT count(*)
        FROM points_ledger AS l
        JOIN orders AS o ON o.id = l.order_id
        WHERE l.kind = 'earn'
          AND (o.delivered_at IS NULL OR l.created_at < o.delivered_at)
        """,
    ),
    (
        "points: a refunded line that earned has all of it reversed, at or after its refund; no other line",
        """
        SELECT count(*)
        FROM (
            SELECT o.id
            FROM orders AS o
            JOIN points_ledger AS l ON l.order_id = o.id AND l.kind IN ('earn', 'reverse')
            GROUP BY o.id
            HAVING (o.status = 'refunded') <> (sum(l.points) = 0)
                OR count(*) FILTER (WHERE l.kind = 'reverse' AND l.created_at >= o.refunded_at)
                   <> count(*) FILTER (WHERE l.kind = 'reverse')
        ) AS wrong
        """,
    ),
    (
        "platform ledger: each purchase pays its platform coupons and points; each refunded line's share comes back",
        """
        SELECT (
            SELECT count(*)
            FROM (
                SELECT purchase_id, 'coupon' AS kind, -sum(platform_discount) AS amount
                FROM orders
                GROUP BY purchase_id
                HAVING sum(platform_discount) > 0
                UNION ALL
                SELECT purchase_id, 'points', -sum(points_discount)
                FROM orders
                GROUP BY purchase_id
                HAVING sum(points_discount) > 0
            ) AS lines
            FULL JOIN (
                SELECT purchase_id, kind, sum(amount) AS amount
                FROM platform_ledger
                WHERE kind IN ('coupon', 'points')
                GROUP BY purchase_id, kind
            ) AS ledger ON ledger.purchase_id = lines.purchase_id AND ledger.kind = lines.kind
            WHERE lines.amount IS DISTINCT FROM ledger.amount
        ) + (
            SELECT count(*)
            FROM platform_ledger AS l
            JOIN orders AS o ON o.id = l.order_id
            WHERE l.purchase_id <> o.purchase_id
               OR (l.kind = 'coupon_refund' AND l.amount <> o.platform_discount)
               OR (l.kind = 'points_refund' AND l.amount <> o.points_discount)
        ) + (
            SELECT count(*)
            FROM orders AS o
            WHERE o.status IN ('cancelled', 'refunded')
              AND (o.platform_discount > 0 OR o.points_discount > 0)
              AND (SELECT coalesce(sum(l.amount), 0) FROM platform_ledger AS l WHERE l.order_id = o.id)
                  <> o.platform_discount + o.points_discount
        )
        """,
    ),
    (
        # Every other ledger row moves money between accounts (a buyer's, a seller's available or held
        # money, the platform's), so they sum to nothing; with each balance equal to its ledger (the
        # checks above), the users' balances and the platform's add up to what came in less what left.
        "money: top-ups - withdrawals + adjustments = every account's ledger, the platform's included",
        """
        SELECT (
            (SELECT coalesce(sum(amount), 0) FROM balance_ledger WHERE kind IN ('top_up', 'withdrawal', 'adjustment'))
            <> (SELECT coalesce(sum(amount), 0) FROM balance_ledger)
               + (SELECT coalesce(sum(amount), 0) FROM platform_ledger)
        )::int
        """,
    ),
]

FOREIGN_KEYS = """
    SELECT c.conname,
           c.conrelid::regclass::text AS child,
           c.confrelid::regclass::text AS parent,
           array_agg(child_column.attname ORDER BY key.position) AS child_columns,
           array_agg(parent_column.attname ORDER BY key.position) AS parent_columns
    FROM pg_constraint AS c
    CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS key(child_number, parent_number, position)
    JOIN pg_attribute AS child_column
        ON child_column.attrelid = c.conrelid AND child_column.attnum = key.child_number
    JOIN pg_attribute AS parent_column
        ON parent_column.attrelid = c.confrelid AND parent_column.attnum = key.parent_number
    WHERE c.contype = 'f'
      AND c.connamespace = 'public'::regnamespace
    GROUP BY c.conname, c.conrelid, c.confrelid
    ORDER BY child, c.conname
"""

IDENTITY_COLUMNS = """
    SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name)
    FROM information_schema.columns
    WHERE table_schema = 'public'
      AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')
    ORDER BY table_name
"""


def _foreign_key_checks(cursor) -> list[tuple[str, sql.Composed]]:
    """One anti-join per foreign key in the schema: child rows whose parent row is missing."""
    cursor.execute(FOREIGN_KEYS)
    checks = []
    for _, child, parent, child_columns, parent_columns in cursor.fetchall():
        pairs = list(zip(child_columns, parent_columns, strict=True))
        matches = sql.SQL(" AND ").join(
            sql.SQL("parent.{} = child.{}").format(sql.Identifier(p), sql.Identifier(c)) for c, p in pairs
        )
        present = sql.SQL(" AND ").join(sql.SQL("child.{} IS NOT NULL").format(sql.Identifier(c)) for c, _ in pairs)
        query = sql.SQL(
            "SELECT count(*) FROM {} AS child WHERE {} AND NOT EXISTS (SELECT 1 FROM {} AS parent WHERE {})"
        ).format(sql.Identifier(child), present, sql.Identifier(parent), matches)
        name = f"foreign key: {child}({', '.join(child_columns)}) -> {parent}"
        checks.append((name, query))
    return checks


def _sequence_check(cursor) -> tuple[str, sql.Composed]:
    """Identity sequences whose next value would collide with an existing id."""
    cursor.execute(IDENTITY_COLUMNS)
    parts = [
        sql.SQL(
            "(SELECT (coalesce((SELECT max({}) FROM {}), 0) >= "
            "CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::int FROM {})"
        ).format(sql.Identifier(column), sql.Identifier(table), sql.SQL(sequence))
        for table, column, sequence in cursor.fetchall()
    ]
    query = sql.SQL("SELECT {}").format(sql.SQL(" + ").join(parts) if parts else sql.SQL("0"))
    return "sequences: every identity and serial sequence is past the largest id", query


def _count(url: str, query) -> int:
    """Run one counting query on its own connection."""
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            for name, value in SESSION_SETTINGS.items():
                cursor.execute(sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
            cursor.execute(query)
            return int(cursor.fetchone()[0])
    finally:
        connection.close()


def all_checks(url: str) -> list[tuple[str, object]]:
    """Every invariant as (name, query): the fixed ones, then one per foreign key and the sequences."""
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            derived = _foreign_key_checks(cursor) + [_sequence_check(cursor)]
    finally:
        connection.close()
    return list(INVARIANTS) + derived


def run_checks(url: str, workers: int = WORKERS) -> list[tuple[str, int]]:
    """Count the violations of every invariant, a few queries at a time."""
    checks = all_checks(url)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        counts = list(pool.map(lambda check: _count(url, check[1]), checks))
    return [(name, count) for (name, _), count in zip(checks, counts, strict=True)]


def render(results: list[tuple[str, int]]) -> str:
    """The results as an aligned 'invariant | violations' table."""
    width = max(len(name) for name, _ in results)
    lines = [f"{'invariant':<{width}} | violations", f"{'-' * width}-+-{'-' * 10}"]
    lines += [f"{name:<{width}} | {count:>10,}" for name, count in results]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every check against DATABASE_URL; exit 1 if any invariant is broken."""
    parser = argparse.ArgumentParser(prog="python -m db.check", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=WORKERS, help="queries run at once (default 2)")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL")
    if not url:
        parser.error("DATABASE_URL is not set")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    started = time.perf_counter()
    results = run_checks(url, args.workers)
    print(render(results))
    broken = sum(1 for _, count in results if count)
    print(f"{len(results)} invariants checked in {time.perf_counter() - started:.1f} s; {broken} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
