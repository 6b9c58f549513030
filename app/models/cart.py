"""Cart lines: one per (seller, product) offer, kept in PostgreSQL for signed-in users.

Guests keep the same lines in their signed session cookie (app/guest_cart.py); both are
listed by one query, `list_lines`, so the cart page looks the same either way.
"""

from app import db

MAX_LINE_QUANTITY = 999


class CartError(Exception):
    """A cart change that cannot be made; the message says why, for the user."""


def get_offer_for_cart(seller_id: int, product_id: int):
    """The offer as the cart needs it (price, stock, whether it is sold), or None."""
    return db.one(
        """
        SELECT o.seller_id, o.product_id, offer_price_now(o.price, o.sale_price, o.sale_ends_at) AS price,
               o.quantity AS stock, o.is_active, p.name AS product_name
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE o.seller_id = :seller_id
          AND o.product_id = :product_id
        """,
        seller_id=seller_id,
        product_id=product_id,
    )


def check_can_add(offer, buyer_id: int | None, quantity: int, already: int) -> int:
    """The quantity the line may hold after adding; raise CartError with the reason."""
    if offer is None or not offer["is_active"]:
        raise CartError("That offer is no longer available.")
    if buyer_id is not None and offer["seller_id"] == buyer_id:
        raise CartError("You cannot buy your own offer.")
    if offer["stock"] == 0:
        raise CartError(f"{offer['product_name']} is out of stock from this seller.")
    if already >= offer["stock"]:
        raise CartError(f"Only {offer['stock']} available: your cart already has them all.")
    return min(already + quantity, offer["stock"], MAX_LINE_QUANTITY)


def check_can_set(offer, quantity: int) -> int:
    """The quantity a cart line may be changed to: `quantity`, or all the stock when less is left
    (the cart says so at once rather than at checkout); raise CartError when none can be had."""
    if offer is None or not offer["is_active"]:
        raise CartError("That offer is no longer available. Remove it or save it for later.")
    if offer["stock"] == 0:
        raise CartError(f"{offer['product_name']} is out of stock from this seller.")
    return min(quantity, offer["stock"], MAX_LINE_QUANTITY)


def get_line_quantity(user_id: int, seller_id: int, product_id: int) -> int:
    """How many of this offer the user's cart already holds (0 if none)."""
    quantity = db.value(
        """
        SELECT quantity
        FROM cart_lines
        WHERE user_id = :user_id
          AND seller_id = :seller_id
          AND product_id = :product_id
        """,
        user_id=user_id,
        seller_id=seller_id,
        product_id=product_id,
    )
    return quantity or 0


def set_line(user_id: int, seller_id: int, product_id: int, quantity: int) -> None:
    """Put the offer in the user's active cart with this quantity, at today's price."""
    db.run(
        """
        INSERT INTO cart_lines (user_id, seller_id, product_id, quantity, price_when_added)
        SELECT :user_id, seller_id, product_id, :quantity, offer_price_now(price, sale_price, sale_ends_at)
        FROM offers
        WHERE seller_id = :seller_id
          AND product_id = :product_id
        ON CONFLICT (user_id, seller_id, product_id) DO UPDATE
        SET quantity = EXCLUDED.quantity,
            saved_for_later = false
        """,
        user_id=user_id,
        seller_id=seller_id,
        product_id=product_id,
        quantity=quantity,
    )


def merge_lines(user_id: int, lines: list[tuple[int, int, int]]) -> int:
    """Add (seller, product, quantity) lines to the user's cart, adding to existing lines and
    capping each at the offer's stock; the user's own offers and unavailable ones are
    skipped. Return how many lines were merged."""
    if not lines:
        return 0
    sellers, products, quantities = (list(column) for column in zip(*lines, strict=True))
    return db.run(
        """
        INSERT INTO cart_lines AS line (user_id, seller_id, product_id, quantity, price_when_added)
        SELECT :user_id, o.seller_id, o.product_id, least(g.quantity, o.quantity, :max_quantity),
               offer_price_now(o.price, o.sale_price, o.sale_ends_at)
        FROM unnest(CAST(:sellers AS bigint[]), CAST(:products AS bigint[]), CAST(:quantities AS int[]))
             AS g(seller_id, product_id, quantity)
        JOIN offers AS o ON o.seller_id = g.seller_id AND o.product_id = g.product_id
        WHERE o.is_active
          AND o.quantity > 0
          AND o.seller_id <> :user_id
        ON CONFLICT (user_id, seller_id, product_id) DO UPDATE
        SET quantity = least(line.quantity + EXCLUDED.quantity,
                             (SELECT quantity FROM offers
                              WHERE seller_id = EXCLUDED.seller_id AND product_id = EXCLUDED.product_id),
                             :max_quantity),
            saved_for_later = false
        """,
        user_id=user_id,
        sellers=sellers,
        products=products,
        quantities=quantities,
        max_quantity=MAX_LINE_QUANTITY,
    )


# What a cart line shows; a constant shared by the two listing queries below. `price` is the price
# charged now (a sale's, until it ends), `usual_price` the offer's own.
_LINE_COLUMNS = """
        p.id AS product_id, p.name AS product_name, p.image_id, p.category_id,
        s.id AS seller_id, s.full_name AS seller_name,
        offer_price_now(o.price, o.sale_price, o.sale_ends_at) AS price, o.price AS usual_price, o.sale_ends_at,
        o.quantity AS stock, o.is_active,
        g.quantity, g.price_when_added, g.saved_for_later,
        offer_price_now(o.price, o.sale_price, o.sale_ends_at) * g.quantity AS line_total
"""


def list_lines(user_id: int):
    """Every line of the user's cart (active and saved), with today's price and stock."""
    return db.all(
        f"""
        SELECT {_LINE_COLUMNS}
        FROM cart_lines AS g
        JOIN offers AS o ON o.seller_id = g.seller_id AND o.product_id = g.product_id
        JOIN products AS p ON p.id = g.product_id
        JOIN users AS s ON s.id = g.seller_id
        WHERE g.user_id = :user_id
        ORDER BY g.saved_for_later, g.added_at, g.product_id, g.seller_id
        """,  # noqa: S608 - a fixed column list
        user_id=user_id,
    )


def list_guest_lines(lines: list[tuple[int, int, int]]):
    """A guest's session lines, shaped like list_lines (never saved for later)."""
    if not lines:
        return []
    sellers, products, quantities = (list(column) for column in zip(*lines, strict=True))
    return db.all(
        f"""
        SELECT {_LINE_COLUMNS}
        FROM (
            SELECT seller_id, product_id, quantity, position,
                   NULL::numeric AS price_when_added, false AS saved_for_later
            FROM unnest(CAST(:sellers AS bigint[]), CAST(:products AS bigint[]), CAST(:quantities AS int[]),
                        CAST(:positions AS int[])) AS session_line(seller_id, product_id, quantity, position)
        ) AS g
        JOIN offers AS o ON o.seller_id = g.seller_id AND o.product_id = g.product_id
        JOIN products AS p ON p.id = g.product_id
        JOIN users AS s ON s.id = g.seller_id
        ORDER BY g.position
        """,  # noqa: S608 - a fixed column list
        sellers=sellers,
        products=products,
        quantities=quantities,
        positions=list(range(len(lines))),
    )


def update_quantity(user_id: int, seller_id: int, product_id: int, quantity: int) -> bool:
    """Change a line's quantity; False if the user has no such line."""
    return (
        db.run(
            """
            UPDATE cart_lines
            SET quantity = :quantity
            WHERE user_id = :user_id
              AND seller_id = :seller_id
              AND product_id = :product_id
            """,
            user_id=user_id,
            seller_id=seller_id,
            product_id=product_id,
            quantity=quantity,
        )
        == 1
    )


def remove_line(user_id: int, seller_id: int, product_id: int) -> bool:
    """Remove a line; False if the user has no such line."""
    return (
        db.run(
            """
            DELETE FROM cart_lines
            WHERE user_id = :user_id
              AND seller_id = :seller_id
              AND product_id = :product_id
            """,
            user_id=user_id,
            seller_id=seller_id,
            product_id=product_id,
        )
        == 1
    )


def set_saved_for_later(user_id: int, seller_id: int, product_id: int, saved: bool) -> bool:
    """Move a line between the cart and "saved for later"; False if there is no such line."""
    return (
        db.run(
            """
            UPDATE cart_lines
            SET saved_for_later = :saved
            WHERE user_id = :user_id
              AND seller_id = :seller_id
              AND product_id = :product_id
            """,
            user_id=user_id,
            seller_id=seller_id,
            product_id=product_id,
            saved=saved,
        )
        == 1
    )


def keep_selected(user_id: int, chosen: list[tuple[int, int]]) -> int:
    """Check out only the chosen (seller, product) lines of the active cart: every other active
    line moves to "saved for later" (still in the cart; checkout leaves it). Return how many moved;
    raise CartError when none of the chosen is an active line of this user's cart."""
    sellers = [seller_id for seller_id, _ in chosen]
    products = [product_id for _, product_id in chosen]
    with db.transaction() as conn:
        kept = db.fetch_one(
            conn,
            """
            SELECT count(*) AS lines
            FROM cart_lines
            WHERE user_id = :user_id
              AND NOT saved_for_later
              AND (seller_id, product_id) IN (
                  SELECT * FROM unnest(CAST(:sellers AS bigint[]), CAST(:products AS bigint[]))
              )
            """,
            user_id=user_id,
            sellers=sellers,
            products=products,
        )["lines"]
        if not kept:
            raise CartError("Select at least one line of your cart to check out.")
        return db.execute(
            conn,
            """
            UPDATE cart_lines
            SET saved_for_later = true
            WHERE user_id = :user_id
              AND NOT saved_for_later
              AND (seller_id, product_id) NOT IN (
                  SELECT * FROM unnest(CAST(:sellers AS bigint[]), CAST(:products AS bigint[]))
              )
            """,
            user_id=user_id,
            sellers=sellers,
            products=products,
        )


def clear(user_id: int) -> int:
    """Remove every line of the user's cart, saved for later too; return how many."""
    return db.run("DELETE FROM cart_lines WHERE user_id = :user_id", user_id=user_id)
