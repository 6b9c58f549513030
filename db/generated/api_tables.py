"""How the seller API's rows are written out: offline_sales and api_tokens."""

import numpy as np

from .copyload import TableSource, integers, money, or_null, timestamps
from .seller_api import OfflineSales, Tokens
from .texts import escape_copy
from .timeline import DAY, NO_TIME


def _optional_times(seconds: np.ndarray) -> np.ndarray:
    missing = seconds == NO_TIME
    return or_null(timestamps(np.where(missing, DAY, seconds)), missing)


def offline_sales(sales: OfflineSales, offer_seller: np.ndarray, offer_product: np.ndarray) -> TableSource:
    """Offline sales in id (time) order."""

    def rows(start: int, stop: int):
        window = slice(start, stop)
        offers = sales.offer[window]
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(offer_seller[offers]),
            integers(offer_product[offers]),
            integers(sales.quantity[window]),
            money(sales.unit_price[window]),
            sales.key[window],
            sales.digest[window],
            timestamps(sales.created[window]),
        ]

    columns = ("id", "seller_id", "product_id", "quantity", "unit_price", "idempotency_key", "request_digest")
    return TableSource("offline_sales", (*columns, "created_at"), len(sales.offer), rows)


def api_tokens(tokens: Tokens) -> TableSource:
    """API tokens in id (creation) order."""
    scopes = np.array(["{" + ",".join(scope_set) + "}" for scope_set in tokens.scopes], dtype=object)
    names = np.array([escape_copy(name) for name in tokens.name], dtype=object)

    def rows(start: int, stop: int):
        window = slice(start, stop)
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(tokens.user[window]),
            names[window],
            scopes[window],
            tokens.token_hash[start:stop],
            tokens.display_prefix[start:stop],
            timestamps(tokens.created[window]),
            timestamps(tokens.expires[window]),
            _optional_times(tokens.last_used[window]),
            _optional_times(tokens.revoked[window]),
        ]

    columns = ("id", "user_id", "name", "scopes", "token_hash", "display_prefix", "created_at", "expires_at")
    return TableSource("api_tokens", (*columns, "last_used_at", "revoked_at"), len(tokens.user), rows)
