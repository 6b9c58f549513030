"""A guest's recently viewed products, kept in the signed session (newest first, at most KEEP ids).

The guest page cache (app/page_cache.py) allows this key in an otherwise empty session, so a guest
who looks at products still gets cached pages: a cached page carries a placeholder where the list
goes, and app/static/js/recently-viewed.js fills it from /recently-viewed/fragment, which reads
the session. The product page records its view on every hit, cached or not (in_every_session).
"""

from collections.abc import Mapping, MutableMapping

from flask import session

from app.models.recently_viewed import KEEP

SESSION_KEY = "recently_viewed"


def product_ids(visitor_session: Mapping | None = None) -> list[int]:
    visitor_session = session if visitor_session is None else visitor_session
    return [product_id for product_id in visitor_session.get(SESSION_KEY, []) if isinstance(product_id, int)]


def record(visitor_session: MutableMapping, product_id: int) -> None:
    """Put the product first in the visitor's session, dropping it from further down and anything
    past KEEP. The session is passed in: a cached page's hit may be served before Flask has one."""
    current = product_ids(visitor_session)
    if current[:1] == [product_id]:
        return  # already the newest: leave the cookie as it is
    visitor_session[SESSION_KEY] = [product_id, *(seen for seen in current if seen != product_id)][:KEEP]


def clear() -> None:
    session.pop(SESSION_KEY, None)
