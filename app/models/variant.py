"""Variants: the options a product comes in (Colour, Size) and the variants that combine them.

A variant is a products row whose parent_id names the product (migration 0026): it has its own
offers, stock and orders; the parent owns the page, the reviews and no offers, and its summary
adds up its variants' (the products_family_summary trigger).
"""

from collections.abc import Sequence

from sqlalchemy import RowMapping

from app import db
from app.models import seller_product

MAX_OPTIONS = 3  # Colour, Size, Material: more would make the picker a form
MAX_VARIANTS = 100  # per product
MAX_VALUE_LENGTH = 40


class VariantRefused(Exception):
    """A variant that cannot be added; the message says why, for the creator."""


def list_variants(parent_id: int) -> Sequence[RowMapping]:
    """A product's variants, in the order they were added, with their own summary."""
    return db.all(
        """
        SELECT id, name, option_values, status, offer_count, total_stock, min_price, min_price_before_sale
        FROM products
        WHERE parent_id = :parent_id
        ORDER BY id
        LIMIT :limit
        """,
        parent_id=parent_id,
        limit=MAX_VARIANTS,
    )


def option_choices(option_names: Sequence[str], variants: Sequence[RowMapping]) -> list[dict]:
    """Each option with its values in the order variants first use them, for the picker."""
    choices = []
    for position, name in enumerate(option_names):
        values = list(dict.fromkeys(variant["option_values"][position] for variant in variants))
        choices.append({"name": name, "field": f"o{position}", "values": values})
    return choices


def pick_variant(variants: Sequence[RowMapping], variant_id: int | None, wanted: list[str | None]):
    """The variant a visitor asked for: by id (links, the cart), else by option values (the picker,
    which may name a combination no variant has: then the variant matching the most options,
    earliest first), else the cheapest one in stock, else the first."""
    if not variants:
        return None
    if variant_id is not None:
        return next((variant for variant in variants if variant["id"] == variant_id), None)
    if any(value is not None for value in wanted):

        def matches(variant) -> tuple[int, int]:
            values = variant["option_values"]
            return tuple(value == values[position] for position, value in enumerate(wanted) if value is not None)

        return max(variants, key=lambda variant: (matches(variant), -variant["id"]))
    in_stock = [variant for variant in variants if variant["total_stock"] > 0]
    return min(in_stock, key=lambda variant: (variant["min_price"], variant["id"])) if in_stock else variants[0]


def variant_label(values: Sequence[str]) -> str:
    """How a variant is named after its product: "Red / M"."""
    return " / ".join(values)


def add_variant(creator_id: int, parent_id: int, option_names: list[str], values: list[str]) -> int:
    """Add a variant to the creator's product and return its id. The first variant sets the
    product's option names; a product already sold as it is (it has offers) cannot get variants,
    because its offers, orders and stock would belong to no variant."""
    with db.transaction() as conn:
        parent = db.fetch_one(
            conn,
            """
            SELECT id, name, category_id, description, status, parent_id, option_names,
                   EXISTS (SELECT 1 FROM offers WHERE product_id = products.id) AS has_offers,
                   (SELECT count(*) FROM products AS variant WHERE variant.parent_id = products.id) AS variants,
                   EXISTS (
                       SELECT 1 FROM products AS variant
                       WHERE variant.parent_id = products.id
                         AND lower(CAST(variant.option_values AS text)) = lower(CAST(CAST(:values AS text[]) AS text))
                   ) AS taken
            FROM products
            WHERE id = :parent_id AND creator_id = :creator_id
            FOR NO KEY UPDATE
            """,
            parent_id=parent_id,
            creator_id=creator_id,
            values=values,
        )
        if parent is None:
            return 0
        if parent["parent_id"] is not None:
            raise VariantRefused("A variant cannot have variants of its own.")
        if parent["has_offers"]:
            raise VariantRefused("This product is already sold as it is, so it cannot be split into variants.")
        if parent["variants"] >= MAX_VARIANTS:
            raise VariantRefused(f"A product has at most {MAX_VARIANTS} variants.")
        names = list(parent["option_names"]) or option_names
        if parent["option_names"] and option_names and option_names != names:
            raise VariantRefused("The product's options are already set: " + ", ".join(names) + ".")
        if not 1 <= len(names) <= MAX_OPTIONS or len({name.casefold() for name in names}) != len(names):
            raise VariantRefused(f"Name 1 to {MAX_OPTIONS} different options, such as Colour and Size.")
        if len(values) != len(names):
            raise VariantRefused("Give a value for each option: " + ", ".join(names) + ".")
        if parent["taken"]:  # "grey" beside "Grey" would show shoppers two of one choice
            raise VariantRefused("The product already has the variant " + variant_label(values) + ".")
        if not parent["option_names"]:
            db.execute(conn, "UPDATE products SET option_names = :names WHERE id = :id", names=names, id=parent_id)
        variant_id = db.fetch_one(
            conn,
            """
            INSERT INTO products (category_id, creator_id, name, description, parent_id, option_values, status)
            VALUES (:category_id, :creator_id, :name, :description, :parent_id, :values, :status)
            ON CONFLICT (parent_id, option_values) WHERE parent_id IS NOT NULL DO NOTHING
            RETURNING id
            """,
            category_id=parent["category_id"],
            creator_id=creator_id,
            name=f"{parent['name']} — {variant_label(values)}"[:200],
            description=parent["description"],
            parent_id=parent_id,
            values=values,
            status=parent["status"],
        )
        if variant_id is None:
            raise VariantRefused("The product already has the variant " + variant_label(values) + ".")
        return variant_id["id"]


def create_product_with_options(creator_id: int, details: dict, option_names: list[str]) -> int:
    """A new product (name, description, category_id, and brand and tags if given, in `details`)
    that comes in `option_names`: sellers will offer its variants, so it gets no offer of its own;
    return its id."""
    with db.transaction() as conn:
        product_id = db.fetch_one(
            conn,
            """
            INSERT INTO products (category_id, creator_id, name, description, option_names)
            VALUES (:category_id, :creator_id, :name, :description, :option_names)
            RETURNING id
            """,
            creator_id=creator_id,
            name=details["name"],
            description=details["description"],
            category_id=details["category_id"],
            option_names=option_names,
        )["id"]
        seller_product.set_labels(conn, product_id, creator_id, details)
        return product_id


def get_own_product(product_id: int, creator_id: int):
    """A product of this creator as its variants page shows it, or None."""
    return db.one(
        """
        SELECT id, name, parent_id, option_names, status,
               EXISTS (SELECT 1 FROM offers WHERE product_id = products.id) AS has_offers
        FROM products
        WHERE id = :id AND creator_id = :creator_id
        """,
        id=product_id,
        creator_id=creator_id,
    )


def family_ids(conn, product_id: int) -> list[int]:
    """A product's id and its variants' ids, inside the caller's transaction (a variant's
    parent_id never changes, so they may be read before locking)."""
    rows = db.fetch_all(conn, "SELECT id FROM products WHERE id = :id OR parent_id = :id ORDER BY id", id=product_id)
    return [row["id"] for row in rows]
