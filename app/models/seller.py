"""A seller's offers and stock, the products they create, and their dashboard.

Every query here is scoped to the seller in its own WHERE clause. Stock changes follow the
lock order every writer shares (cart lines → offers → products → users): the offer row is
locked FOR NO KEY UPDATE first, and the offers trigger then locks the product.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app import db
from app.images import ProcessedImage
from app.models import image as image_model


class OfferError(Exception):
    """An offer change that was refused; the message says why, for the seller."""


class AlreadyOffered(OfferError):
    def __init__(self, product_id: int) -> None:
        super().__init__("You already sell this product.")
        self.product_id = product_id


class StockChanged(OfferError):
    """The stock moved (a sale, a cancellation) since the seller loaded the form."""

    def __init__(self, quantity: int) -> None:
        super().__init__(f"Stock changed to {quantity} since you loaded the page. Nothing was saved: check and retry.")
        self.quantity = quantity


class OfferRemoved(OfferError):
    def __init__(self) -> None:
        super().__init__("This offer is removed. Offer the product again to sell it.")


class ProductNotFound(OfferError):
    def __init__(self) -> None:
        super().__init__("There is no such product.")


# Which offers the inventory shows; fixed SQL fragments chosen by name.
STOCK_FILTERS = {
    "active": "o.is_active",
    "low": "o.is_active AND o.quantity <= :threshold",
    "out": "o.is_active AND o.quantity = 0",
    "removed": "NOT o.is_active",
    "all": "TRUE",
}

# Inventory sorts. Each names output columns only, so the same text orders the page
# (inner query) and the rows joined to it (outer query). None of them is ever NULL, and
# leaving NULLS out lets the name sort walk products_name_idx either way.
_SORT_COLUMNS = {
    "name": "product_name",
    "price": "price",
    "stock": "quantity",
    "sold": "units_sold",
    "updated": "updated_at",
}
INVENTORY_ORDER = {
    (sort, direction): f"{column} {direction.upper()}, product_id {direction.upper()}"
    for sort, column in _SORT_COLUMNS.items()
    for direction in ("asc", "desc")
}


@dataclass(frozen=True)
class InventoryQuery:
    """What the inventory page asks for: a keyword, a stock filter, a sort."""

    keyword: str = ""
    show: str = "active"
    sort: str = "updated"
    direction: str = "desc"
    threshold: int = 5


def _inventory_where(seller_id: int, query: InventoryQuery) -> tuple[str, dict]:
    """WHERE conditions (fixed fragments) and their bound parameters."""
    conditions = ["o.seller_id = :seller_id", STOCK_FILTERS.get(query.show, STOCK_FILTERS["active"])]
    params: dict = {"seller_id": seller_id, "threshold": query.threshold}
    if query.keyword:
        conditions.append("p.name ILIKE :pattern ESCAPE '\\'")
        params["pattern"] = db.contains_pattern(query.keyword)
    return " AND ".join(conditions), params


def list_offers(seller_id: int, query: InventoryQuery, limit: int, offset: int):
    """One page of the seller's offers with product names and units sold.

    The page is chosen on offers alone where the sort and filters allow (products are joined
    first only to sort or search by name), and units sold are summed for its rows only,
    except when sorting by them, which needs every offer's sum (one index-only scan).
    """
    where, params = _inventory_where(seller_id, query)
    order = INVENTORY_ORDER.get((query.sort, query.direction), INVENTORY_ORDER[("updated", "desc")])
    extra_columns, extra_joins = "", ""
    if query.sort == "name" or query.keyword:
        extra_columns += ", p.name AS product_name"
        extra_joins += " JOIN products AS p ON p.id = o.product_id"
    if query.sort == "sold":
        extra_columns += ", coalesce(sold_all.units, 0) AS units_sold"
        extra_joins += f" LEFT JOIN ({_SOLD_PER_PRODUCT}) AS sold_all ON sold_all.product_id = o.product_id"
    return db.all(
        f"""
        SELECT page.product_id, p.name AS product_name, p.image_id, page.price, page.quantity,
               page.is_active, page.updated_at, coalesce(sold.units, 0) AS units_sold
        FROM (
            SELECT o.seller_id, o.product_id, o.price, o.quantity, o.is_active, o.updated_at {extra_columns}
            FROM offers AS o {extra_joins}
            WHERE {where}
            ORDER BY {order}
            LIMIT :limit OFFSET :offset
        ) AS page
        JOIN products AS p ON p.id = page.product_id
        LEFT JOIN LATERAL ({_SOLD_FOR_OFFER}) AS sold ON TRUE
        ORDER BY {order}
        """,
        **params,
        limit=limit,
        offset=offset,
    )


# Units sold of each of the seller's products (cancelled lines do not count).
_SOLD_PER_PRODUCT = """
    SELECT product_id, sum(quantity) AS units
    FROM orders
    WHERE seller_id = :seller_id
      AND cancelled_at IS NULL
    GROUP BY product_id
"""

# Units sold of the offer `page` (a lateral subquery).
_SOLD_FOR_OFFER = """
    SELECT sum(line.quantity) AS units
    FROM orders AS line
    WHERE line.seller_id = page.seller_id
      AND line.product_id = page.product_id
      AND line.cancelled_at IS NULL
"""


def count_offers(seller_id: int, query: InventoryQuery) -> int:
    """How many of the seller's offers match the filters."""
    where, params = _inventory_where(seller_id, query)
    join = "JOIN products AS p ON p.id = o.product_id" if query.keyword else ""
    return db.value(f"SELECT count(*) FROM offers AS o {join} WHERE {where}", **params)


def get_offer(seller_id: int, product_id: int):
    """The seller's offer of this product with its product and units sold, or None."""
    return db.one(
        """
        SELECT o.seller_id, o.product_id, p.name AS product_name, p.image_id, p.creator_id,
               o.price, o.quantity, o.is_active, o.created_at, o.updated_at,
               (SELECT coalesce(sum(line.quantity), 0)
                FROM orders AS line
                WHERE line.seller_id = o.seller_id
                  AND line.product_id = o.product_id
                  AND line.cancelled_at IS NULL) AS units_sold
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE o.seller_id = :seller_id
          AND o.product_id = :product_id
        """,
        seller_id=seller_id,
        product_id=product_id,
    )


def _lock_offer(conn: Connection, seller_id: int, product_id: int):
    """The seller's offer row, locked for a stock change (first lock after cart lines)."""
    return db.fetch_one(
        conn,
        """
        SELECT quantity, is_active
        FROM offers
        WHERE seller_id = :seller_id
          AND product_id = :product_id
        FOR NO KEY UPDATE
        """,
        seller_id=seller_id,
        product_id=product_id,
    )


def _record_stock_change(conn: Connection, seller_id: int, product_id: int, delta: int, after: int, reason: str):
    """The inventory event for a stock change the seller made."""
    db.execute(
        conn,
        """
        INSERT INTO inventory_events (seller_id, product_id, delta, quantity_after, reason)
        VALUES (:seller_id, :product_id, :delta, :quantity_after, :reason)
        """,
        seller_id=seller_id,
        product_id=product_id,
        delta=delta,
        quantity_after=after,
        reason=reason,
    )


def _reason_for(delta: int) -> str:
    return "restock" if delta > 0 else "adjustment"


def update_offer(seller_id: int, product_id: int, price: Decimal, quantity: int, expected_quantity: int) -> int:
    """Set the offer's price and, if the seller changed it, its stock; return the stock.

    The form carries the stock the seller saw (`expected_quantity`). A stock change is
    refused with StockChanged if sales or cancellations moved the stock since, so a
    seller never overwrites a sale they did not see. A price-only edit always applies.
    """
    with db.transaction() as conn:
        offer = _lock_offer(conn, seller_id, product_id)
        if offer is None or not offer["is_active"]:
            raise OfferRemoved()
        wants_stock_change = quantity != expected_quantity
        if wants_stock_change and offer["quantity"] != expected_quantity:
            raise StockChanged(offer["quantity"])
        new_quantity = quantity if wants_stock_change else offer["quantity"]
        _set_offer(conn, seller_id, product_id, price, new_quantity)
        if new_quantity != offer["quantity"]:
            delta = new_quantity - offer["quantity"]
            _record_stock_change(conn, seller_id, product_id, delta, new_quantity, _reason_for(delta))
        return new_quantity


def _set_offer(conn: Connection, seller_id: int, product_id: int, price: Decimal, quantity: int) -> None:
    """Price, stock and active flag of a locked offer (the trigger refreshes the product)."""
    db.execute(
        conn,
        """
        UPDATE offers
        SET price = :price,
            quantity = :quantity,
            is_active = TRUE,
            updated_at = now()
        WHERE seller_id = :seller_id
          AND product_id = :product_id
        """,
        seller_id=seller_id,
        product_id=product_id,
        price=price,
        quantity=quantity,
    )


def remove_offer(seller_id: int, product_id: int) -> bool:
    """Stop selling: the offer leaves the catalog, its orders keep pointing at it."""
    removed = db.run(
        """
        UPDATE offers
        SET is_active = FALSE,
            updated_at = now()
        WHERE seller_id = :seller_id
          AND product_id = :product_id
          AND is_active
        """,
        seller_id=seller_id,
        product_id=product_id,
    )
    return removed == 1


def add_offer(seller_id: int, product_id: int, price: Decimal, quantity: int) -> bool:
    """Start selling a product; return True if it reactivated an offer removed earlier.

    Raises AlreadyOffered if the seller sells it now, ProductNotFound if it does not exist.
    """
    try:
        with db.transaction() as conn:
            offer = _lock_offer(conn, seller_id, product_id)
            if offer is None:
                if not _product_exists(conn, product_id):
                    raise ProductNotFound()
                _insert_offer(conn, seller_id, product_id, price, quantity)
                if quantity:
                    _record_stock_change(conn, seller_id, product_id, quantity, quantity, "initial")
                return False
            if offer["is_active"]:
                raise AlreadyOffered(product_id)
            _set_offer(conn, seller_id, product_id, price, quantity)
            if quantity != offer["quantity"]:
                delta = quantity - offer["quantity"]
                _record_stock_change(conn, seller_id, product_id, delta, quantity, _reason_for(delta))
            return True
    except IntegrityError as error:
        # Two "Start selling" at once: the second insert meets the first one's key.
        if getattr(error.orig, "pgcode", None) == "23505":
            raise AlreadyOffered(product_id) from None
        raise


def _product_exists(conn: Connection, product_id: int) -> bool:
    return db.fetch_one(conn, "SELECT 1 AS found FROM products WHERE id = :id", id=product_id) is not None


def _insert_offer(conn: Connection, seller_id: int, product_id: int, price: Decimal, quantity: int) -> None:
    db.execute(
        conn,
        """
        INSERT INTO offers (seller_id, product_id, price, quantity)
        VALUES (:seller_id, :product_id, :price, :quantity)
        """,
        seller_id=seller_id,
        product_id=product_id,
        price=price,
        quantity=quantity,
    )


def get_product_to_offer(seller_id: int, product_id: int):
    """A product as the "start selling" form shows it, with the seller's offer if any."""
    return db.one(
        """
        SELECT p.id, p.name, p.image_id, p.offer_count, p.min_price,
               c.name AS category_name, o.is_active AS offered, o.price AS my_price
        FROM products AS p
        JOIN categories AS c ON c.id = p.category_id
        LEFT JOIN offers AS o ON o.product_id = p.id AND o.seller_id = :seller_id
        WHERE p.id = :product_id
        """,
        seller_id=seller_id,
        product_id=product_id,
    )


def search_products_to_offer(seller_id: int, keyword: str, limit: int = 20):
    """Catalog products whose name or description match, best first, with the seller's offer if any."""
    return db.all(
        """
        SELECT found.id, found.name, found.image_id, found.offer_count, found.min_price,
               o.is_active AS offered
        FROM (
            SELECT p.id, p.name, p.image_id, p.offer_count, p.min_price,
                   ts_rank(p.search_vector, query) AS rank
            FROM products AS p,
                 websearch_to_tsquery('english', :keyword) AS query
            WHERE p.search_vector @@ query
            ORDER BY rank DESC, p.id
            LIMIT :limit
        ) AS found
        LEFT JOIN offers AS o ON o.product_id = found.id AND o.seller_id = :seller_id
        ORDER BY found.rank DESC, found.id
        """,
        seller_id=seller_id,
        keyword=keyword,
        limit=limit,
    )


# Stock history


def list_inventory_events(seller_id: int, product_id: int, limit: int, offset: int):
    """One page of the offer's inventory events, newest first."""
    return db.all(
        """
        SELECT id, delta, quantity_after, reason, order_id, created_at
        FROM inventory_events
        WHERE seller_id = :seller_id
          AND product_id = :product_id
        ORDER BY id DESC
        LIMIT :limit OFFSET :offset
        """,
        seller_id=seller_id,
        product_id=product_id,
        limit=limit,
        offset=offset,
    )


def count_inventory_events(seller_id: int, product_id: int) -> int:
    """How many inventory events the offer has."""
    return db.value(
        "SELECT count(*) FROM inventory_events WHERE seller_id = :seller_id AND product_id = :product_id",
        seller_id=seller_id,
        product_id=product_id,
    )


def list_stock_points(seller_id: int, product_id: int, limit: int):
    """The stock after each of the offer's latest `limit` events, oldest first (for the chart)."""
    return db.all(
        """
        SELECT created_at, quantity_after
        FROM (
            SELECT id, created_at, quantity_after
            FROM inventory_events
            WHERE seller_id = :seller_id
              AND product_id = :product_id
            ORDER BY id DESC
            LIMIT :limit
        ) AS latest
        ORDER BY id
        """,
        seller_id=seller_id,
        product_id=product_id,
        limit=limit,
    )


# Dashboard


def get_stock_summary(seller_id: int, threshold: int):
    """Counts of the seller's active, low-stock and sold-out offers, in one pass."""
    return db.one(
        """
        SELECT count(*) FILTER (WHERE is_active) AS active_offers,
               count(*) FILTER (WHERE is_active AND quantity <= :threshold) AS low_stock,
               count(*) FILTER (WHERE is_active AND quantity = 0) AS sold_out,
               count(*) FILTER (WHERE NOT is_active) AS removed_offers,
               coalesce(sum(quantity) FILTER (WHERE is_active), 0) AS units_in_stock
        FROM offers
        WHERE seller_id = :seller_id
        """,
        seller_id=seller_id,
        threshold=threshold,
    )


def list_low_stock(seller_id: int, threshold: int, limit: int):
    """Active offers at or under the threshold, emptiest first."""
    return db.all(
        """
        SELECT o.product_id, p.name AS product_name, o.quantity, o.price
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE o.seller_id = :seller_id
          AND o.is_active
          AND o.quantity <= :threshold
        ORDER BY o.quantity, o.product_id
        LIMIT :limit
        """,
        seller_id=seller_id,
        threshold=threshold,
        limit=limit,
    )


def update_low_stock_threshold(seller_id: int, threshold: int) -> None:
    """The stock at or under which the dashboard warns the seller."""
    db.run(
        "UPDATE users SET low_stock_threshold = :threshold WHERE id = :seller_id",
        seller_id=seller_id,
        threshold=threshold,
    )


# Products the seller creates


def list_category_choices():
    """Every category with its department's name, by department and then category name."""
    return db.all(
        """
        SELECT c.id, c.name, d.name AS department_name
        FROM categories AS c
        JOIN departments AS d ON d.id = c.department_id
        ORDER BY d.name, c.name
        """
    )


def create_product(
    creator_id: int,
    details: dict,
    image: ProcessedImage | None,
    price: Decimal,
    quantity: int,
) -> int:
    """A new product (name, description, category_id in `details`), its image and the
    creator's first offer, all in one transaction; return the product's id."""
    with db.transaction() as conn:
        image_id = image_model.insert_image(conn, creator_id, image) if image else None
        product_id = _insert_product(conn, creator_id, details, image_id)
        _insert_offer(conn, creator_id, product_id, price, quantity)
        if quantity:
            _record_stock_change(conn, creator_id, product_id, quantity, quantity, "initial")
        return product_id


def _insert_product(conn: Connection, creator_id: int, details: dict, image_id: int | None) -> int:
    row = db.fetch_one(
        conn,
        """
        INSERT INTO products (category_id, creator_id, name, description, image_id)
        VALUES (:category_id, :creator_id, :name, :description, :image_id)
        RETURNING id
        """,
        creator_id=creator_id,
        image_id=image_id,
        name=details["name"],
        description=details["description"],
        category_id=details["category_id"],
    )
    return row["id"]


def get_product_for_editing(product_id: int):
    """A product's editable details and its creator, or None."""
    return db.one(
        """
        SELECT id, creator_id, name, description, category_id, image_id
        FROM products
        WHERE id = :product_id
        """,
        product_id=product_id,
    )


def update_product(product_id: int, creator_id: int, details: dict, image: ProcessedImage | None) -> bool:
    """Change the creator's product (and its image, if a new one came); False if not theirs."""
    with db.transaction() as conn:
        current = db.fetch_one(
            conn,
            """
            SELECT image_id
            FROM products
            WHERE id = :product_id
              AND creator_id = :creator_id
            FOR NO KEY UPDATE
            """,
            product_id=product_id,
            creator_id=creator_id,
        )
        if current is None:
            return False
        image_id = image_model.insert_image(conn, creator_id, image) if image else current["image_id"]
        _update_product_row(conn, product_id, creator_id, details, image_id)
        if image and current["image_id"]:
            image_model.delete_unused_image(conn, current["image_id"], creator_id)
        return True


def _update_product_row(conn: Connection, product_id: int, creator_id: int, details: dict, image_id) -> None:
    db.execute(
        conn,
        """
        UPDATE products
        SET name = :name,
            description = :description,
            category_id = :category_id,
            image_id = :image_id,
            updated_at = now()
        WHERE id = :product_id
          AND creator_id = :creator_id
        """,
        product_id=product_id,
        creator_id=creator_id,
        image_id=image_id,
        name=details["name"],
        description=details["description"],
        category_id=details["category_id"],
    )


# Public profile


def list_public_offers(seller_id: int, limit: int, offset: int):
    """What the seller sells now, newest products first, as anyone may see it."""
    return db.all(
        """
        SELECT p.id, p.name, p.image_id, o.price, o.quantity
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE o.seller_id = :seller_id
          AND o.is_active
        ORDER BY o.product_id DESC
        LIMIT :limit OFFSET :offset
        """,
        seller_id=seller_id,
        limit=limit,
        offset=offset,
    )


def count_public_offers(seller_id: int) -> int:
    """How many active offers the seller has."""
    return db.value(
        "SELECT count(*) FROM offers WHERE seller_id = :seller_id AND is_active",
        seller_id=seller_id,
    )
