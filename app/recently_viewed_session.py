"""A guest's recently viewed products, kept in the signed session (newest first, at most KEEP ids).

The guest page cache (app/page_cache.py) allows this key in an otherwise empty session, so a guest
who looks at products still gets cached pages: a cached page carries a placeholder where the list
goes, and app/static/js/recently-viewed.js fills it from /recently-viewed/fragment, which reads
the session. The product page records its view on every hit, cached or not (on_every_request).
"""

from flask import session

from app.models.recently_viewed import KEEP

SESSION_KEY = "recently_viewed"


def product_ids() -> list[int]:
    return [product_id for product_id in session.get(SESSION_KEY, []) if isinstance(product_id, int)]


def record(product_id: int) -> None:
    """Put the product first, dropping it from further down and anything past KEEP."""
    current = product_ids()
    if current[:1] == [product_id]:
        return  # already the newest: leave the cookie as it is
    session[SESSION_KEY] = [product_id, *(seen for seen in current if seen != product_id)][:KEEP]


def clear() -> None:
    session.pop(SESSION_KEY, None)
