"""A seller's offers: the list at /seller/inventory, one offer's page and its changes
(/seller/inventory/<product_id>), and offering a catalog product (/seller/offers/new).

Every query here is scoped to the seller in its own WHERE clause. A change locks the offer,
then its product, before its first write (the order of app/models/locks.py), so the offers
trigger that refreshes the product's summary finds the product already locked; the stock
change's inventory event is written through inventory.py.
"""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app import db
from app.models import inventory, locks


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


class ProductHasVariants(OfferError):
    def __init__(self) -> None:
        super().__init__("This product comes in options: choose one of its variants to sell.")


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
        """,  # noqa: S608 - sort and filter fragments from allow-lists, values bound
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
    return db.value(f"SELECT count(*) FROM offers AS o {join} WHERE {where}", **params)  # noqa: S608 - sort and filter fragments from allow-lists, values bound


def get_offer(seller_id: int, product_id: int):
    """The seller's offer of this product with its product and units sold, or None."""
    return db.one(
        """
        SELECT o.seller_id, o.product_id, p.name AS product_name, p.image_id, p.creator_id,
               o.price, o.quantity, o.is_active, o.created_at, o.updated_at, o.sale_price, o.sale_ends_at,
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


def _lock_for_change(conn: Connection, seller_id: int, product_id: int):
    """Lock the offer and then its product (whose summary the change refreshes); return the
    offer, or None if the seller never offered the product."""
    offer = locks.lock_offer(conn, seller_id, product_id)
    if offer is not None:
        locks.lock_products(conn, [product_id])
    return offer


@db.retry_on_conflict
def update_offer(seller_id: int, product_id: int, price: Decimal, quantity: int, expected_quantity: int) -> int:
    """Set the offer's price and, if the seller changed it, its stock; return the stock.

    The form carries the stock the seller saw (`expected_quantity`). A stock change is
    refused with StockChanged if sales or cancellations moved the stock since, so a
    seller never overwrites a sale they did not see. A price-only edit always applies.
    """
    with db.transaction() as conn:
        offer = _lock_for_change(conn, seller_id, product_id)
        if offer is None or not offer["is_active"]:
            raise OfferRemoved()
        wants_stock_change = quantity != expected_quantity
        if wants_stock_change and offer["quantity"] != expected_quantity:
            raise StockChanged(offer["quantity"])
        new_quantity = quantity if wants_stock_change else offer["quantity"]
        _set_offer(conn, seller_id, product_id, price, new_quantity)
        if new_quantity != offer["quantity"]:
            delta = new_quantity - offer["quantity"]
            inventory.record_stock_change(conn, seller_id, product_id, delta, new_quantity, inventory.reason_for(delta))
        return new_quantity


def _set_offer(
    conn: Connection, seller_id: int, product_id: int, price: Decimal, quantity: int, is_active: bool = True
) -> None:
    """Price, stock and active flag of a locked offer (the trigger refreshes the product)."""
    db.execute(
        conn,
        """
        UPDATE offers
        SET price = :price,
            quantity = :quantity,
            is_active = :is_active,
            updated_at = now()
        WHERE seller_id = :seller_id
          AND product_id = :product_id
        """,
        seller_id=seller_id,
        product_id=product_id,
        price=price,
        quantity=quantity,
        is_active=is_active,
    )


@db.retry_on_conflict
def remove_offer(seller_id: int, product_id: int) -> bool:
    """Stop selling: the offer leaves the catalog, its orders keep pointing at it.

    Returns False if it was removed already.
    """
    with db.transaction() as conn:
        offer = _lock_for_change(conn, seller_id, product_id)
        if offer is None or not offer["is_active"]:
            return False
        db.execute(
            conn,
            """
            UPDATE offers
            SET is_active = FALSE,
                updated_at = now()
            WHERE seller_id = :seller_id
              AND product_id = :product_id
            """,
            seller_id=seller_id,
            product_id=product_id,
        )
        return True


@db.retry_on_conflict
def add_offer(seller_id: int, product_id: int, price: Decimal, quantity: int) -> bool:
    """Start selling a product; return True if it reactivated an offer removed earlier.

    Raises AlreadyOffered if the seller sells it now, ProductNotFound if it does not exist.
    """
    try:
        with db.transaction() as conn:
            offer = locks.lock_offer(conn, seller_id, product_id)
            # A new offer has no row to lock yet: the product is next in the order either way.
            if not locks.lock_products(conn, [product_id]):
                raise ProductNotFound()
            if offer is None and _has_variants(conn, product_id):
                raise ProductHasVariants()
            if offer is None:
                insert_offer(conn, seller_id, product_id, price, quantity)
                if quantity:
                    inventory.record_stock_change(conn, seller_id, product_id, quantity, quantity, "initial")
                return False
            if offer["is_active"]:
                raise AlreadyOffered(product_id)
            _set_offer(conn, seller_id, product_id, price, quantity)
            if quantity != offer["quantity"]:
                delta = quantity - offer["quantity"]
                inventory.record_stock_change(conn, seller_id, product_id, delta, quantity, inventory.reason_for(delta))
            return True
    except IntegrityError as error:
        # Two "Start selling" at once: the second insert meets the first one's key.
        if getattr(error.orig, "pgcode", None) == "23505":
            raise AlreadyOffered(product_id) from None
        raise


def _has_variants(conn: Connection, product_id: int) -> bool:
    """Whether the product comes in options: its variants are offered, never the product itself."""
    return db.fetch_one(
        conn, "SELECT cardinality(option_names) > 0 AS has FROM products WHERE id = :id", id=product_id
    )["has"]


def insert_offer(conn: Connection, seller_id: int, product_id: int, price: Decimal, quantity: int) -> None:
    """A new offer (its trigger counts it in the product's summary)."""
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
               cardinality(p.option_names) > 0 AS has_variants,
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
              AND cardinality(p.option_names) = 0  -- a product with variants is offered through them
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


class VersionChanged(OfferError):
    """The offer changed since the API client read it (its If-Match names an older version)."""

    def __init__(self) -> None:
        super().__init__("The offer changed since you read it. Read it again and retry with its new ETag.")


def offer_version(offer) -> str:
    """A digest of what a client sees of an offer that can change: price, stock, active, sale price
    (the API's ETag). The same state gives the same version, so a write meant for it stays right."""
    state = f"{offer['price']}|{offer['quantity']}|{offer['is_active']}|{offer['sale_price']}"
    return hashlib.sha256(state.encode()).hexdigest()[:20]


@db.retry_on_conflict
def change_offer(
    seller_id: int,
    product_id: int,
    expected_version: str | None,
    price: Decimal | None = None,
    quantity: int | None = None,
    is_active: bool | None = None,
) -> bool:
    """Set what the API's PATCH names (None: keep), if the offer is still at `expected_version`
    (None: whatever it is now, for `If-Match: *`).

    Returns False if the seller has no such offer; raises VersionChanged if it moved on. The
    offer and its product are locked first (app/models/locks.py), and a stock change writes
    its inventory event in the same transaction, so stock always equals the sum of its events.
    """
    with db.transaction() as conn:
        offer = _lock_for_change(conn, seller_id, product_id)
        if offer is None:
            return False
        if expected_version is not None and offer_version(offer) != expected_version:
            raise VersionChanged()
        new_price = offer["price"] if price is None else price
        new_quantity = offer["quantity"] if quantity is None else quantity
        new_active = offer["is_active"] if is_active is None else is_active
        _set_offer(conn, seller_id, product_id, new_price, new_quantity, new_active)
        if new_quantity != offer["quantity"]:
            delta = new_quantity - offer["quantity"]
            inventory.record_stock_change(conn, seller_id, product_id, delta, new_quantity, inventory.reason_for(delta))
        return True


def list_offers_after(seller_id: int, after_product_id: int, limit: int):
    """Up to `limit` of the seller's offers (active or not) with product ids above
    `after_product_id`, in product order: one page of the API's keyset pagination."""
    return db.all(
        """
        SELECT o.seller_id, o.product_id, p.name AS product_name, o.price, o.quantity, o.is_active,
               o.sale_price, o.sale_ends_at, o.created_at, o.updated_at
        FROM offers AS o
        JOIN products AS p ON p.id = o.product_id
        WHERE o.seller_id = :seller_id
          AND o.product_id > :after_product_id
        ORDER BY o.product_id
        LIMIT :limit
        """,
        seller_id=seller_id,
        after_product_id=after_product_id,
        limit=limit,
    )


class StockMoved(OfferError):
    """A bulk stock update refused: some offers' stock is not what the client expected."""

    def __init__(self, moved: dict[int, int]) -> None:
        super().__init__("The stock of some offers changed since you read it. Nothing was saved.")
        self.moved = moved  # product id -> stock now


class OffersNotFound(OfferError):
    """A bulk stock update naming products the seller does not offer."""

    def __init__(self, product_ids: list[int]) -> None:
        super().__init__("You have no offer of some of these products. Nothing was saved.")
        self.product_ids = product_ids


@db.retry_on_conflict
def set_stocks(seller_id: int, changes: dict[int, tuple[int, int | None]]) -> int:
    """Set the stock of many offers at once, all or none: `changes` maps product id to (new stock,
    expected stock or None). Returns how many stocks changed.

    Every offer is locked, in the order of app/models/locks.py, then their products, before the
    first write; one UPDATE and one INSERT of inventory events cover them all, so 1,000 offers take
    a few statements, not thousands.
    """
    with db.transaction() as conn:
        locked = locks.lock_offers(conn, [(seller_id, product_id) for product_id in changes])
        missing = sorted(product_id for product_id in changes if (seller_id, product_id) not in locked)
        if missing:
            raise OffersNotFound(missing)
        locks.lock_products(conn, changes)
        moved = {
            product_id: locked[(seller_id, product_id)]["quantity"]
            for product_id, (_, expected) in changes.items()
            if expected is not None and locked[(seller_id, product_id)]["quantity"] != expected
        }
        if moved:
            raise StockMoved(moved)
        changed = sorted(
            (product_id, quantity, quantity - locked[(seller_id, product_id)]["quantity"])
            for product_id, (quantity, _) in changes.items()
            if quantity != locked[(seller_id, product_id)]["quantity"]
        )
        if not changed:
            return 0
        params = {
            "seller_id": seller_id,
            "products": [product_id for product_id, _, _ in changed],
            "quantities": [quantity for _, quantity, _ in changed],
            "deltas": [delta for _, _, delta in changed],
        }
        db.execute(
            conn,
            """
            UPDATE offers AS o
            SET quantity = wanted.quantity,
                updated_at = now()
            FROM unnest(CAST(:products AS bigint[]), CAST(:quantities AS integer[])) AS wanted(product_id, quantity)
            WHERE o.seller_id = :seller_id
              AND o.product_id = wanted.product_id
            """,
            **{name: params[name] for name in ("seller_id", "products", "quantities")},
        )
        db.execute(
            conn,
            """
            INSERT INTO inventory_events (seller_id, product_id, delta, quantity_after, reason)
            SELECT :seller_id, change.product_id, change.delta, change.quantity,
                   CASE WHEN change.delta > 0 THEN 'restock' ELSE 'adjustment' END
            FROM unnest(CAST(:products AS bigint[]), CAST(:quantities AS integer[]), CAST(:deltas AS integer[]))
                AS change(product_id, quantity, delta)
            ORDER BY change.product_id
            """,
            **params,
        )
        return len(changed)
