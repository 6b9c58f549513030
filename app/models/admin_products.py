"""Products as moderators see them: the list (with the approval queue), one product's story,
and take-down, restore, approve, edit and delete.

A take-down holds the product's active offers (they leave the catalog, checkout refuses them)
and a restore or approval lets the held ones sell again; the offers trigger keeps an offer held
while its seller is suspended (migration 0009). Offers are locked, then the product (the order of
app/models/locks.py), so the trigger that refreshes the product's summary finds it locked.
"""

from app import db
from app.models import admin_holds as holds
from app.models import audit, locks, product_labels, variant
from app.models import image as image_model
from app.models.admin_query import AdminRefused, Listing, conditions, order_by, search_id, search_pattern

STATUSES = ("listed", "pending", "taken_down")
SORTS = {
    "id": "p.id",
    "name": "p.name",
    "created": "p.created_at",
    "sold": "p.units_sold",
    "rating": "p.rating_avg",
    "changed": "p.status_changed_at",
}
FILTERS = {"status": {status: f"p.status = '{status}'" for status in STATUSES}}
_MATCHES = """
    (CAST(:pattern AS text) IS NULL
     OR p.id = :product_id
     OR p.name ILIKE :pattern ESCAPE '\\')
"""


def _params(listing: Listing) -> dict:
    return {"pattern": search_pattern(listing), "product_id": search_id(listing)}


def list_products(listing: Listing, limit: int, offset: int):
    """One page of products with category, creator, status and summary."""
    return db.all(
        f"""
        SELECT p.id, p.name, p.status, p.moderation_note, p.status_changed_at, p.created_at,
               p.offer_count, p.total_stock, p.units_sold, p.rating_avg, p.rating_count,
               c.name AS category_name, p.creator_id, u.full_name AS creator_name
        FROM products AS p
        JOIN categories AS c ON c.id = p.category_id
        JOIN users AS u ON u.id = p.creator_id
        WHERE {conditions(FILTERS, listing, _MATCHES)}
        ORDER BY {order_by(SORTS, listing, "p.id")}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments from allow-lists, values bound
        **_params(listing),
        limit=limit,
        offset=offset,
    )


def count_products(listing: Listing) -> int:
    """How many products match."""
    return db.value(
        f"SELECT count(*) FROM products AS p WHERE {conditions(FILTERS, listing, _MATCHES)}",  # noqa: S608 - fixed fragments
        **_params(listing),
    )


def get_product(product_id: int):
    """One product with its category, creator, offers and sales counts; or None."""
    return db.one(
        """
        SELECT p.id, p.name, p.description, p.category_id, p.status, p.moderation_note, p.status_changed_at,
               p.created_at, p.updated_at, p.image_id, p.offer_count, p.total_stock, p.min_price,
               p.units_sold, p.rating_avg, p.rating_count,
               c.name AS category_name, d.name AS department_name,
               p.creator_id, u.full_name AS creator_name, u.email AS creator_email,
               (SELECT count(*) FROM offers WHERE product_id = p.id AND moderation_hold) AS held_offers,
               EXISTS (SELECT 1 FROM orders WHERE product_id = p.id) AS ever_sold,
               (SELECT b.name FROM brands AS b WHERE b.id = p.brand_id) AS brand,
               array_to_string(
                   ARRAY(SELECT t.tag FROM product_tags AS t WHERE t.product_id = p.id ORDER BY t.tag), ', '
               ) AS tags
        FROM products AS p
        JOIN categories AS c ON c.id = p.category_id
        JOIN departments AS d ON d.id = c.department_id
        JOIN users AS u ON u.id = p.creator_id
        WHERE p.id = :product_id
        """,
        product_id=product_id,
    )


def list_product_offers(product_id: int):
    """Every offer of the product: active, held or removed, with its seller."""
    return db.all(
        """
        SELECT o.seller_id, u.full_name AS seller_name, u.suspended_at, o.price, o.quantity,
               o.is_active, o.moderation_hold, o.updated_at
        FROM offers AS o
        JOIN users AS u ON u.id = o.seller_id
        WHERE o.product_id = :product_id
        ORDER BY o.is_active DESC, o.price, o.seller_id
        """,
        product_id=product_id,
    )


def count_pending() -> int:
    """How many products wait for approval."""
    return db.value("SELECT count(*) FROM products WHERE status = 'pending'")


ALREADY = {"taken_down": "This product is taken down already.", "listed": "This product is listed already."}


@db.retry_on_conflict
def set_status(product_id: int, status: str, reason: str, actor: audit.Actor, action: str) -> int:
    """Take a product down ('taken_down': its creator sees `reason`; also how a pending product
    is rejected) or list it ('listed': restore, approve). Taking down holds its active offers;
    listing lets the held ones sell again, unless their seller is suspended. Returns how many
    offers changed state.
    """
    listing = status == "listed"
    with db.transaction() as conn:
        holds.lock_offers_and_products(conn, "product", product_id, "held" if listing else "active")
        # A product with options goes with its variants: their offers are held (or released) too.
        locks.lock_products(conn, variant.family_ids(conn, product_id))
        before = db.fetch_one(conn, "SELECT id, status, moderation_note FROM products WHERE id = :id", id=product_id)
        if before is None:
            raise AdminRefused("There is no such product.")
        if before["status"] == status:
            raise AdminRefused(ALREADY[status])
        db.execute(
            conn,
            """
            UPDATE products
            SET status = :status, moderation_note = :note, status_changed_at = now()
            WHERE id = :product_id OR parent_id = :product_id
            """,
            product_id=product_id,
            status=status,
            note=None if listing else reason,
        )
        changed = holds.switch_offers(conn, "product", product_id, activate=listing)
        audit.record(
            conn,
            actor,
            action,
            "product",
            product_id,
            before=before,
            after={"status": status, "offers_released" if listing else "offers_held": changed},
            reason=reason,
        )
    return changed


def edit_product(product_id: int, details: dict, actor: audit.Actor, reason: str = "") -> bool:
    """Change a product's name, description, category, brand and tags; False if nothing changed.

    Raises AdminRefused if there is no such product.
    """
    with db.transaction() as conn:
        before = db.fetch_one(
            conn,
            """
            SELECT p.name, p.description, p.category_id, b.name AS brand,
                   ARRAY(SELECT t.tag FROM product_tags AS t WHERE t.product_id = p.id ORDER BY t.tag) AS tags
            FROM products AS p
            LEFT JOIN brands AS b ON b.id = p.brand_id
            WHERE p.id = :id
            FOR NO KEY UPDATE OF p
            """,
            id=product_id,
        )
        if before is None:
            raise AdminRefused("There is no such product.")
        wanted = details | {"tags": sorted(details["tags"])}
        changed = {key: value for key, value in wanted.items() if _differs(key, before[key], value)}
        if not changed:
            return False
        db.execute(
            conn,
            """
            UPDATE products
            SET name = :name, description = :description, category_id = :category_id, updated_at = now()
            WHERE id = :id
            """,
            id=product_id,
            name=details["name"],
            description=details["description"],
            category_id=details["category_id"],
        )
        if "brand" in changed or "tags" in changed:
            product_labels.set_brand_and_tags(conn, product_id, actor.user_id, details["brand"], details["tags"])
        audit.record(
            conn,
            actor,
            "product.edit",
            "product",
            product_id,
            before={key: before[key] for key in changed},
            after=changed,
            reason=reason,
        )
    return True


def _differs(key: str, before, after) -> bool:
    """Whether a field changed: a brand only if it is not the same name in another case (the same brand)."""
    if key == "brand" and before and after:
        return before.lower() != after.lower()
    return before != after


@db.retry_on_conflict
def delete_product(product_id: int, reason: str, actor: audit.Actor) -> None:
    """Delete a product that was never sold, with its offers, their stock history, its reviews and
    its image. Raises AdminRefused if it was sold (order lines keep pointing at it) or is gone."""
    with db.transaction() as conn:
        sellers = db.fetch_all(conn, "SELECT seller_id FROM offers WHERE product_id = :id", id=product_id)
        locks.lock_offers(conn, [(row["seller_id"], product_id) for row in sellers])
        before = db.fetch_one(
            conn,
            """
            SELECT id, name, description, category_id, creator_id, image_id, status, created_at
            FROM products
            WHERE id = :id
            FOR UPDATE
            """,
            id=product_id,
        )
        if before is None:
            raise AdminRefused("There is no such product.")
        if db.fetch_one(conn, "SELECT 1 AS sold FROM orders WHERE product_id = :id LIMIT 1", id=product_id):
            raise AdminRefused("This product was sold: its order lines keep it. Take it down instead.")
        # Offers' stock history first (it references them), through the (seller, product) index.
        db.execute(
            conn,
            """
            DELETE FROM inventory_events
            WHERE (seller_id, product_id) IN (SELECT seller_id, product_id FROM offers WHERE product_id = :id)
            """,
            id=product_id,
        )
        db.execute(conn, "DELETE FROM offers WHERE product_id = :id", id=product_id)
        # Reviews before the product: their rating trigger updates the product row, which a
        # cascade from the product's own DELETE would find deleted by that same statement.
        db.execute(conn, "DELETE FROM product_reviews WHERE product_id = :id", id=product_id)
        gallery = db.fetch_all(
            conn, "SELECT image_id FROM product_images WHERE product_id = :id AND image_id IS NOT NULL", id=product_id
        )
        db.execute(conn, "DELETE FROM products WHERE id = :id", id=product_id)  # its gallery rows cascade
        for image_id in {before["image_id"], *(row["image_id"] for row in gallery)} - {None}:
            image_model.delete_unused_image(conn, image_id, before["creator_id"])
        audit.record(conn, actor, "product.delete", "product", product_id, before=before, reason=reason)
