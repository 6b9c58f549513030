"""The summary columns the triggers in functions.sql would maintain, computed in one pass.

The load runs with triggers off, so these must equal what the triggers would have produced:
check.py recomputes every one of them in SQL.
"""

from dataclasses import dataclass

import numpy as np

from .catalog import Catalog
from .commerce import Orders
from .moderation import Moderation
from .reviews import Reviews
from .timeline import NO_TIME

NO_PRICE = -1  # stands for NULL min_price / rating_avg


@dataclass(frozen=True)
class Summaries:
    """Per-product and per-user summary columns (indexed by id - 1)."""

    offer_count: np.ndarray
    total_stock: np.ndarray
    min_price: np.ndarray  # cents, NO_PRICE when the product has no active offer (a sale's price counts)
    min_price_before_sale: np.ndarray  # the lowest usual price when a sale makes min_price lower, else NO_PRICE
    max_price: np.ndarray  # a product with options: its dearest variant's min_price, else NO_PRICE
    rating_count: np.ndarray
    rating_sum: np.ndarray
    rating_avg: np.ndarray  # hundredths, NO_PRICE when unrated
    units_sold: np.ndarray
    seller_rating_count: np.ndarray
    seller_rating_sum: np.ndarray


def _lowest(products: np.ndarray, prices: np.ndarray, product_count: int) -> np.ndarray:
    """The lowest price per product id, NO_PRICE where it has none."""
    lowest = np.full(product_count, np.iinfo(np.int64).max)
    np.minimum.at(lowest, products - 1, prices)
    return np.where(lowest == np.iinfo(np.int64).max, NO_PRICE, lowest)


def _rating_average(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    """round(total / count, 2) in hundredths, halves away from zero like PostgreSQL's numeric round."""
    safe = np.maximum(count, 1)
    return np.where(count > 0, (200 * total + safe) // (2 * safe), NO_PRICE)


def _lowest_active(offered, prices, in_stock, count) -> np.ndarray:
    """The lowest price per product among its offers in stock, else among all its offers (the trigger's rule)."""
    cheapest_in_stock = _lowest(offered[in_stock], prices[in_stock], count)
    return np.where(cheapest_in_stock != NO_PRICE, cheapest_in_stock, _lowest(offered, prices, count))


def _family_lowest(parents, prices, in_stock, count) -> np.ndarray:
    """Per parent (by index), the lowest of its variants' prices among those in stock, else of all
    of them (NO_PRICE prices ignored): refresh_family_summary's rule."""
    priced = prices != NO_PRICE
    return _lowest_active(parents[priced] + 1, prices[priced], in_stock[priced], count)


def _add_up_families(families, offer_count, total_stock, min_price, min_price_before_sale, units_sold):
    """A product with options sums its variants' offers, stock and units, takes the cheapest variant
    in stock, its usual price and the dearest variant's price (in place; returns max_price)."""
    count = len(offer_count)
    variants = np.flatnonzero(families.parent)
    parents = families.parent[variants] - 1
    for column in (offer_count, total_stock, units_sold):
        column += np.bincount(parents, weights=column[variants], minlength=count).round().astype(np.int64)
    in_stock = total_stock[variants] > 0
    usual = np.where(min_price_before_sale[variants] != NO_PRICE, min_price_before_sale[variants], min_price[variants])
    lowest = _family_lowest(parents, min_price[variants], in_stock, count)
    lowest_usual = _family_lowest(parents, usual, in_stock, count)
    highest = np.full(count, NO_PRICE)
    np.maximum.at(highest, parents, min_price[variants])
    has_options = families.has_options
    min_price[has_options] = lowest[has_options]
    min_price_before_sale[has_options] = np.where(
        lowest_usual[has_options] > lowest[has_options], lowest_usual[has_options], NO_PRICE
    )
    return np.where(has_options, highest, NO_PRICE)


def make_summaries(
    catalog: Catalog,
    stock_quantity: np.ndarray,
    orders: Orders,
    reviews: Reviews,
    users: int,
    moderation: Moderation,
    sale_price: np.ndarray,
):
    """Compute every summary column from the generated rows (hidden reviews left out, as the triggers do)."""
    products = catalog.product_count
    active = catalog.offer_active
    offered = catalog.offer_product[active]
    quantity = stock_quantity[active]
    usual = catalog.offer_price[active]
    charged = np.where(sale_price[active] != NO_PRICE, sale_price[active], usual)
    in_stock = quantity > 0
    min_price = _lowest_active(offered, charged, in_stock, products)
    min_usual = _lowest_active(offered, usual, in_stock, products)
    kept = ~orders.line_is_cancelled
    shown = moderation.product_hidden_at == NO_TIME
    rated, ratings = reviews.products.target[shown], reviews.products.rating[shown]
    rating_count = np.bincount(rated - 1, minlength=products)
    rating_sum = np.bincount(rated - 1, weights=ratings, minlength=products).round().astype(np.int64)
    seller_shown = moderation.seller_hidden_at == NO_TIME
    sellers_rated, seller_ratings = reviews.sellers.target[seller_shown], reviews.sellers.rating[seller_shown]
    seller_sum = np.bincount(sellers_rated - 1, weights=seller_ratings, minlength=users)
    offer_count = np.bincount(offered - 1, minlength=products)
    total_stock = np.bincount(offered - 1, weights=quantity, minlength=products).round().astype(np.int64)
    min_price_before_sale = np.where(min_usual > min_price, min_usual, NO_PRICE)
    units_sold = (
        np.bincount(orders.line_product[kept] - 1, weights=orders.line_quantity[kept], minlength=products)
        .round()
        .astype(np.int64)
    )
    max_price = _add_up_families(
        catalog.families, offer_count, total_stock, min_price, min_price_before_sale, units_sold
    )
    return Summaries(
        offer_count=offer_count,
        total_stock=total_stock,
        min_price=min_price,
        min_price_before_sale=min_price_before_sale,
        max_price=max_price,
        rating_count=rating_count,
        rating_sum=rating_sum,
        rating_avg=_rating_average(rating_sum, rating_count),
        units_sold=units_sold,
        seller_rating_count=np.bincount(sellers_rated - 1, minlength=users),
        seller_rating_sum=seller_sum.round().astype(np.int64),
    )
