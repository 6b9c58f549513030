"""Version numbers of the products shown on cached pages (table page_cache_versions, bumped by
triggers when a product, its offers or its reviews change)."""

from collections.abc import Iterable

from app import db


def sum_versions(product_ids: Iterable[int]) -> int:
    """The sum of the products' versions (0 for a product never changed since loading): it grows
    whenever any of them changes."""
    return db.value(
        """
        SELECT coalesce(sum(version), 0)
        FROM page_cache_versions
        WHERE product_id = ANY(:ids)
        """,
        ids=sorted(set(product_ids)),
    )
