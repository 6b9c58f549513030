"""Wishlists: products a user keeps an eye on, with the price and stock they had when added.

A guest's wishlist lives in the signed session (app/guest_wishlist.py) and moves here at sign-in.
"Price now" is the product's cheapest price (products.min_price, kept by triggers), "in stock"
its total stock over active offers; both come from the products row, so the page is one join.
"""

from decimal import Decimal

from app import db

MAX_ITEMS = 500  # per user: a wishlist past this is a catalog, and the page and the e-mail job stay bounded
BACK_IN_STOCK_DAYS = 14  # "back in stock" shows this long after the item was last seen without stock


class WishlistError(Exception):
    """A wishlist change that cannot be made; the message says why, for the user."""


def get_product_for_wishlist(product_id: int):
    """The product as the wishlist needs it (name, price now, stock), if it is in the catalog, else None."""
    return db.one(
        """
        SELECT id, name, min_price, total_stock, offer_count
        FROM products
        WHERE id = :product_id
          AND status = 'listed'
          AND parent_id IS NULL
        """,
        product_id=product_id,
    )


def add(user_id: int, product_id: int) -> bool:
    """Add a listed product at today's price; False if it was already there. Raise WishlistError
    when the product is not in the catalog or the wishlist holds MAX_ITEMS.

    The owner's users row is locked first (alone, as locks.py allows), so two adds at once cannot
    both pass the count and exceed the cap: the second statement's snapshot sees the first's row."""
    with db.transaction() as conn:
        db.execute(conn, "SELECT 1 FROM users WHERE id = :user_id FOR NO KEY UPDATE", user_id=user_id)
        row = db.fetch_one(
            conn,
            """
            SELECT (SELECT count(*) FROM wishlist_items WHERE user_id = :user_id) AS items,
                   EXISTS (SELECT 1 FROM wishlist_items WHERE user_id = :user_id AND product_id = :product_id)
                       AS present
            """,
            user_id=user_id,
            product_id=product_id,
        )
        if row["present"]:
            return False
        if row["items"] >= MAX_ITEMS:
            raise WishlistError(f"Your wishlist holds at most {MAX_ITEMS} products. Remove some to add more.")
        added = db.execute(
            conn,
            """
            INSERT INTO wishlist_items (user_id, product_id, price_when_added, in_stock_when_added, seen_out_at,
                                        alert_price, alert_in_stock)
            SELECT :user_id, id, min_price, total_stock > 0, CASE WHEN total_stock = 0 THEN now() END,
                   min_price, total_stock > 0
            FROM products
            WHERE id = :product_id
              AND status = 'listed'
              AND parent_id IS NULL
            ON CONFLICT (user_id, product_id) DO NOTHING
            """,
            user_id=user_id,
            product_id=product_id,
        )
        if not added:
            raise WishlistError("That product is not in the catalog.")
        return True


def remove(user_id: int, product_id: int) -> bool:
    """Take a product off the user's wishlist; False if it was not on it."""
    return (
        db.run(
            "DELETE FROM wishlist_items WHERE user_id = :user_id AND product_id = :product_id",
            user_id=user_id,
            product_id=product_id,
        )
        == 1
    )


def merge_items(user_id: int, items: list[tuple[int, Decimal | None, bool]]) -> int:
    """Add a guest's (product, price when added, in stock when added) items to the user's wishlist,
    keeping what the guest saw when they added them, up to MAX_ITEMS; return how many were added."""
    if not items:
        return 0
    products, prices, stocks = (list(column) for column in zip(*items, strict=True))
    with db.transaction() as conn:
        db.execute(conn, "SELECT 1 FROM users WHERE id = :user_id FOR NO KEY UPDATE", user_id=user_id)
        return db.execute(
            conn,
            """
            INSERT INTO wishlist_items (user_id, product_id, price_when_added, in_stock_when_added, seen_out_at,
                                        alert_price, alert_in_stock)
            SELECT :user_id, p.id, g.price, g.in_stock,
                   CASE WHEN NOT g.in_stock OR p.total_stock = 0 THEN now() END,
                   p.min_price, p.total_stock > 0
            FROM unnest(CAST(:products AS bigint[]), CAST(:prices AS numeric[]), CAST(:stocks AS boolean[]))
                 WITH ORDINALITY AS g(product_id, price, in_stock, position)
            JOIN products AS p ON p.id = g.product_id
            WHERE p.status = 'listed'
              AND p.parent_id IS NULL
              AND g.position <= :max_items - (SELECT count(*) FROM wishlist_items WHERE user_id = :user_id)
            ON CONFLICT (user_id, product_id) DO NOTHING
            """,
            user_id=user_id,
            products=products,
            prices=prices,
            stocks=stocks,
            max_items=MAX_ITEMS,
        )


# What a wishlist row shows, for the account's list and a guest's alike.
_ITEM_COLUMNS = """
        p.id AS product_id, p.name AS product_name, p.status, p.min_price AS price, p.min_price_before_sale,
        p.total_stock, p.offer_count,
        w.added_at, w.price_when_added, w.in_stock_when_added,
        (p.total_stock > 0 AND w.seen_out_at > now() - make_interval(days => :back_days)) AS back_in_stock
"""


def list_items(user_id: int, limit: int, offset: int):
    """One page of the user's wishlist, newest first, with today's price and stock."""
    return db.all(
        f"""
        SELECT {_ITEM_COLUMNS}
        FROM wishlist_items AS w
        JOIN products AS p ON p.id = w.product_id
        WHERE w.user_id = :user_id
        ORDER BY w.added_at DESC, w.product_id DESC
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - a fixed column list
        user_id=user_id,
        limit=limit,
        offset=offset,
        back_days=BACK_IN_STOCK_DAYS,
    )


def count_items(user_id: int) -> int:
    return db.value("SELECT count(*) FROM wishlist_items WHERE user_id = :user_id", user_id=user_id)


def list_guest_items(items: list[tuple[int, Decimal | None, bool]]):
    """A guest's session items (newest first), shaped like list_items."""
    if not items:
        return []
    products, prices, stocks = (list(column) for column in zip(*items, strict=True))
    return db.all(
        f"""
        SELECT {_ITEM_COLUMNS}
        FROM (
            SELECT product_id, price AS price_when_added, in_stock AS in_stock_when_added, position,
                   NULL::timestamptz AS added_at,
                   CASE WHEN NOT in_stock THEN now() END AS seen_out_at
            FROM unnest(CAST(:products AS bigint[]), CAST(:prices AS numeric[]), CAST(:stocks AS boolean[]))
                 WITH ORDINALITY AS g(product_id, price, in_stock, position)
        ) AS w
        JOIN products AS p ON p.id = w.product_id
        ORDER BY w.position DESC
        """,  # noqa: S608 - a fixed column list
        products=products,
        prices=prices,
        stocks=stocks,
        back_days=BACK_IN_STOCK_DAYS,
    )


def get_cheapest_offer(product_id: int, buyer_id: int):
    """The cheapest active offer in stock of the product or one of its variants that the buyer may
    buy (not their own), shaped as cart.get_offer_for_cart returns it; None when there is none."""
    return db.one(
        """
        SELECT o.seller_id, o.product_id, offer_price_now(o.price, o.sale_price, o.sale_ends_at) AS price,
               o.quantity AS stock, o.is_active, p.name AS product_name
        FROM products AS p
        JOIN offers AS o ON o.product_id = p.id
        WHERE (p.id = :product_id OR p.parent_id = :product_id)
          AND p.status = 'listed'
          AND o.is_active
          AND o.quantity > 0
          AND o.seller_id <> :buyer_id
        ORDER BY offer_price_now(o.price, o.sale_price, o.sale_ends_at), o.seller_id, o.product_id
        LIMIT 1
        """,
        product_id=product_id,
        buyer_id=buyer_id,
    )


def set_alerts(user_id: int, wanted: bool) -> None:
    """Turn the owner's price-drop and back-in-stock e-mails on or off. Turning them on starts
    from today's prices and stock, so the first e-mail is about a change after that."""
    with db.transaction() as conn:
        db.execute(
            conn, "UPDATE users SET wishlist_alerts = :wanted WHERE id = :user_id", user_id=user_id, wanted=wanted
        )
        if wanted:
            db.execute(
                conn,
                """
                UPDATE wishlist_items AS w
                SET alert_price = p.min_price,
                    alert_in_stock = p.total_stock > 0
                FROM products AS p
                WHERE p.id = w.product_id
                  AND w.user_id = :user_id
                """,
                user_id=user_id,
            )
