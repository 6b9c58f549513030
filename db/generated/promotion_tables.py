"""How the promotions' rows are written out: coupons, their uses and grants, the points and platform
ledgers, and the promotion columns of order lines (tables.py writes the rest of each line)."""

import numpy as np

from .copyload import TableSource, booleans, integers, money, or_null, timestamps
from .promotions import NO_VALUE, PLATFORM_KINDS, POINTS_KINDS, Promotions
from .texts import escape_copy
from .timeline import DAY, NO_TIME

LINE_COLUMNS = ("seller_discount", "platform_discount", "points_spent", "points_discount", "paid")
LINE_COLUMNS += ("seller_coupon_id", "platform_coupon_id")


def _optional(values: np.ndarray, texts) -> np.ndarray:
    """`texts` with NULL where the value is NO_VALUE."""
    return or_null(texts, values == NO_VALUE)


def _optional_times(seconds: np.ndarray) -> np.ndarray:
    missing = seconds == NO_TIME
    return or_null(timestamps(np.where(missing, DAY, seconds)), missing)


def line_columns(promotions: Promotions, window: slice) -> list:
    """The promotion columns of order lines `window` (LINE_COLUMNS' order)."""
    seller_coupon, platform_coupon = promotions.line_seller_coupon[window], promotions.line_platform_coupon[window]
    return [
        money(promotions.line_seller_discount[window]),
        money(promotions.line_platform_discount[window]),
        integers(promotions.line_points[window]),
        money(promotions.line_points[window]),  # a point is a cent
        money(promotions.line_paid[window]),
        or_null(integers(seller_coupon), seller_coupon == 0),
        or_null(integers(platform_coupon), platform_coupon == 0),
    ]


def _columns_source(name: str, columns: tuple[str, ...], count: int, texts) -> TableSource:
    """A TableSource whose chunk is `texts(index array)`: one text column per name."""
    return TableSource(name, columns, count, lambda start, stop: texts(np.arange(start, stop)))


def coupons(promotions: Promotions) -> TableSource:
    """Coupons in id order; seller 0 is the platform (NULL)."""
    plan = promotions.coupons
    column = {name: np.array(getattr(plan, name), dtype=np.int64) for name in ("seller", "percent", "amount")}
    column |= {name: np.array(getattr(plan, name), dtype=np.int64) for name in ("min_spend", "starts", "ends")}
    column |= {name: np.array(getattr(plan, name), dtype=np.int64) for name in ("max_uses", "per_buyer", "uses")}
    column |= {name: np.array(getattr(plan, name), dtype=np.int64) for name in ("paused", "created")}
    codes = np.array(plan.code, dtype=object)
    descriptions = np.array([escape_copy(text) for text in plan.description], dtype=object)
    thanks = np.array(plan.for_thanks, dtype=bool)

    def texts(at: np.ndarray) -> list:
        return [
            integers(at + 1),
            codes[at],
            or_null(integers(column["seller"][at]), column["seller"][at] == 0),
            descriptions[at],
            _optional(column["percent"][at], money(column["percent"][at])),  # hundredths of a percent
            _optional(column["amount"][at], money(column["amount"][at])),
            money(column["min_spend"][at]),
            timestamps(column["starts"][at]),
            _optional_times(column["ends"][at]),
            _optional(column["max_uses"][at], integers(column["max_uses"][at])),
            integers(column["per_buyer"][at]),
            integers(column["uses"][at]),
            booleans(thanks[at]),
            _optional_times(column["paused"][at]),
            timestamps(column["created"][at]),
        ]

    columns = ("id", "code", "seller_id", "description", "percent_off", "amount_off", "min_spend", "starts_at")
    columns += ("ends_at", "max_uses", "per_buyer_limit", "uses", "for_thanks", "paused_at", "created_at")
    return _columns_source("coupons", columns, len(codes), texts)


def purchase_tables(promotions: Promotions) -> list[TableSource]:
    """What purchases left behind: coupon uses and grants, the points ledger and the platform's."""
    uses, grants, points, platform = promotions.uses, promotions.grants, promotions.points, promotions.platform
    points_kinds, platform_kinds = np.array(POINTS_KINDS, dtype=object), np.array(PLATFORM_KINDS, dtype=object)

    def use_texts(at: np.ndarray) -> list:
        return [
            integers(at + 1),
            integers(uses["coupon"][at] + 1),
            integers(uses["purchase"][at]),
            integers(uses["buyer"][at]),
            money(uses["discount"][at]),
            timestamps(uses["created"][at]),
            _optional_times(uses["restored"][at]),
        ]

    def grant_texts(at: np.ndarray) -> list:
        return [
            integers(grants["buyer"][at]),
            integers(grants["coupon"][at] + 1),
            integers(grants["purchase"][at]),
            timestamps(grants["granted"][at]),
        ]

    def points_texts(at: np.ndarray) -> list:
        return [
            integers(at + 1),
            integers(points["user"][at]),
            points_kinds[points["kind"][at]],
            integers(points["points"][at]),
            integers(points["after"][at]),
            _optional(points["purchase"][at], integers(points["purchase"][at])),
            _optional(points["order"][at], integers(points["order"][at])),
            timestamps(points["created"][at]),
        ]

    def platform_texts(at: np.ndarray) -> list:
        return [
            integers(at + 1),
            platform_kinds[platform["kind"][at]],
            money(platform["amount"][at]),
            integers(platform["purchase"][at]),
            _optional(platform["order"][at], integers(platform["order"][at])),
            timestamps(platform["created"][at]),
        ]

    return [
        _columns_source(
            "coupon_uses",
            ("id", "coupon_id", "purchase_id", "buyer_id", "discount", "created_at", "restored_at"),
            len(uses["coupon"]),
            use_texts,
        ),
        _columns_source(
            "coupon_grants", ("buyer_id", "coupon_id", "purchase_id", "granted_at"), len(grants["buyer"]), grant_texts
        ),
        _columns_source(
            "points_ledger",
            ("id", "user_id", "kind", "points", "balance_after", "purchase_id", "order_id", "created_at"),
            len(points["user"]),
            points_texts,
        ),
        _columns_source(
            "platform_ledger",
            ("id", "kind", "amount", "purchase_id", "order_id", "created_at"),
            len(platform["kind"]),
            platform_texts,
        ),
    ]
