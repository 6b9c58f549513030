"""Version numbers of the products shown on cached pages (table page_cache_versions, bumped by
triggers when a product, its offers or its reviews change)."""

from collections.abc import Iterable

from app import db

SUM_VERSIONS = """
    SELECT coalesce(sum(version), 0)
    FROM page_cache_versions
    WHERE product_id = ANY(:ids)
    """


def sum_versions(product_ids: Iterable[int]) -> int:
    """The sum of the products' versions (0 for a product never changed since loading): it grows
    whenever any of them changes."""
    return db.value(SUM_VERSIONS, ids=sorted(set(product_ids)))


# psycopg2's own placeholder: the fast path runs it on the driver's connection (SQLAlchemy's execute
# costs as much CPU again as the statement's round trip).
_SUM_VERSIONS_FOR_DRIVER = SUM_VERSIONS.replace(":ids", "%(ids)s")


def sum_versions_on(dbapi_connection, product_ids: Iterable[int]) -> int:
    """sum_versions on a driver (psycopg2) connection given: a cached page served before Flask
    (app/guest_fast_path.py) has no request's connection, and wants the cheapest statement there is."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(_SUM_VERSIONS_FOR_DRIVER, {"ids": sorted(set(product_ids))})
        return cursor.fetchone()[0]
