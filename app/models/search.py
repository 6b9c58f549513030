"""Catalog search over a million products: counts, facet counts and one page of results.

Each query stays fast at both ends, a word in every sixth product and a word in none (figures
and plans in docs/PERFORMANCE.md, "Catalog"):
- Counting stops after COUNT_CAP matches; beyond it a 1 % sample of the table's pages estimates
  the total and the counts per category ("about 150,000 results"), and pages stop at COUNT_CAP.
- Up to COUNT_CAP matches, a page sorts all of them in memory, found through the GIN index.
- Beyond it, a browse walks its sort's index (per category inside a department) and stops after
  one page. A search with words walks at most WALK_BUDGET products of that order; if they do not
  fill the page, it sorts the first SORT_CANDIDATES matches instead and says so.
- Relevance ranks the first SORT_CANDIDATES matches only: ranking every match of a common word
  costs 100-230 ms.

Every filter is written so that a NULL parameter turns it off. psycopg2 sends parameters inline,
so PostgreSQL folds `NULL IS NULL OR …` away and plans only the filters in use.
"""

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil

from sqlalchemy import RowMapping

from app import db
from app.models.catalog import Criteria
from app.pagination import Page

PER_PAGE = 24
COUNT_CAP = 1_000
SORT_CANDIDATES = 2_000
WALK_BUDGET = 5_000
SAMPLE_PERCENT = 1
TRIGRAM_MAX_LENGTH = 60  # a long typo has many trigrams, and each is a posting list to read

_WORD = re.compile(r"\w+")

ORDER_BY = {
    "relevance": "rank DESC, units_sold DESC, id",
    "price_asc": "min_price ASC NULLS LAST, id",
    "price_desc": "min_price DESC NULLS LAST, id",
    "rating": "rating_avg DESC NULLS LAST, rating_count DESC, id",
    "best_selling": "units_sold DESC, id",
    "newest": "created_at DESC, id",
}

CARD_COLUMNS = """
    p.id, p.name, p.category_id, p.min_price, p.offer_count, p.total_stock,
    p.rating_avg, p.rating_count, p.units_sold, p.created_at
"""

MATCHES_WORDS = """
    (CAST(:query AS text) IS NULL OR p.search_vector @@ websearch_to_tsquery('english', :query))
"""

MATCHES_FILTERS = """
    (CAST(:category_id AS integer) IS NULL OR p.category_id = :category_id)
    AND (CAST(:category_ids AS integer[]) IS NULL OR p.category_id = ANY(:category_ids))
    AND (CAST(:min_price AS numeric) IS NULL OR p.min_price >= :min_price)
    AND (CAST(:max_price AS numeric) IS NULL OR p.min_price <= :max_price)
    AND (CAST(:min_rating AS numeric) IS NULL OR p.rating_avg >= :min_rating)
    AND (NOT :in_stock OR p.total_stock > 0)
    AND (:include_unavailable OR p.offer_count > 0)
"""

MATCHES = f"{MATCHES_WORDS} AND {MATCHES_FILTERS}"


def _params(criteria: Criteria, **extra) -> dict:
    """The bound parameters of MATCHES: one category as a scalar, so its indexes apply, or a
    department's categories as an array."""
    department_only = criteria.department is not None and criteria.category is None
    return {
        "query": criteria.query,
        "category_id": criteria.category.id if criteria.category else None,
        "category_ids": [category.id for category in criteria.department.categories] if department_only else None,
        "min_price": criteria.min_price,
        "max_price": criteria.max_price,
        "min_rating": criteria.min_rating,
        "in_stock": criteria.in_stock,
        "include_unavailable": criteria.include_unavailable,
    } | extra


def _facet_params(criteria: Criteria, **extra) -> dict:
    """MATCHES parameters for facet counts: every category of the department, not just the chosen one."""
    department = criteria.department
    category_ids = [category.id for category in department.categories] if department else None
    return _params(criteria, category_id=None, category_ids=category_ids, **extra)


def count_products(criteria: Criteria) -> int:
    """How many products match, counting no further than COUNT_CAP + 1."""
    return db.value(
        f"""
        SELECT count(*)
        FROM (
            SELECT 1
            FROM products AS p
            WHERE {MATCHES}
            LIMIT :cap
        ) AS capped
        """,
        **_params(criteria, cap=COUNT_CAP + 1),
    )


def count_products_by_category(criteria: Criteria) -> Sequence[RowMapping]:
    """Matches per category of the department (or of all), over the first COUNT_CAP + 1 matches."""
    return db.all(
        f"""
        SELECT category_id, count(*) AS matches
        FROM (
            SELECT p.category_id
            FROM products AS p
            WHERE {MATCHES}
            LIMIT :cap
        ) AS capped
        GROUP BY category_id
        """,
        **_facet_params(criteria, cap=COUNT_CAP + 1),
    )


def estimate_products_by_category(criteria: Criteria) -> Sequence[RowMapping]:
    """Matches per category, as for the facets, estimated from a fixed sample of the table's pages."""
    return db.all(
        f"""
        SELECT p.category_id, count(*) * :scale AS matches
        FROM products AS p TABLESAMPLE SYSTEM (:percent) REPEATABLE (0)
        WHERE {MATCHES}
        GROUP BY p.category_id
        """,
        **_facet_params(criteria, percent=SAMPLE_PERCENT, scale=100 // SAMPLE_PERCENT),
    )


def search_candidates(criteria: Criteria, limit: int, offset: int) -> Sequence[RowMapping]:
    """One page in the criteria's order among the first SORT_CANDIDATES matches (all of them
    when there are no more), each ranked by how well it matches the words."""
    return db.all(
        f"""
        WITH candidates AS MATERIALIZED (
            SELECT {CARD_COLUMNS},
                   ts_rank(p.search_vector, websearch_to_tsquery('english', :query)) AS rank
            FROM products AS p
            WHERE {MATCHES}
            LIMIT :candidates
        )
        SELECT *
        FROM candidates
        ORDER BY {ORDER_BY[criteria.sort]}
        LIMIT :limit OFFSET :offset
        """,
        **_params(criteria, candidates=SORT_CANDIDATES, limit=limit, offset=offset),
    )


def search_in_order(criteria: Criteria, limit: int, offset: int) -> Sequence[RowMapping]:
    """One page of a browse without words, walking the sort's index until the page is full."""
    return db.all(
        f"""
        SELECT {CARD_COLUMNS}
        FROM products AS p
        WHERE {MATCHES}
        ORDER BY {ORDER_BY[criteria.sort]}
        LIMIT :limit OFFSET :offset
        """,
        **_params(criteria, limit=limit, offset=offset),
    )


def search_department_in_order(criteria: Criteria, limit: int, offset: int) -> Sequence[RowMapping]:
    """One page of a department browse: the first rows of each category's sort index, merged."""
    return db.all(
        f"""
        SELECT walked.*
        FROM unnest(CAST(:category_ids AS integer[])) AS scope(category_id)
        CROSS JOIN LATERAL (
            SELECT {CARD_COLUMNS}
            FROM products AS p
            WHERE p.category_id = scope.category_id
              AND {MATCHES}
            ORDER BY {ORDER_BY[criteria.sort]}
            LIMIT :limit + :offset
        ) AS walked
        ORDER BY {ORDER_BY[criteria.sort]}
        LIMIT :limit OFFSET :offset
        """,
        **_params(criteria, limit=limit, offset=offset),
    )


def search_words_in_order(criteria: Criteria, limit: int, offset: int) -> Sequence[RowMapping]:
    """One page of a search with words in a sort order, looking only at the first WALK_BUDGET
    products of that order: a short page means the budget ran out before the page was full."""
    return db.all(
        f"""
        WITH walked AS MATERIALIZED (
            SELECT {CARD_COLUMNS}, p.search_vector
            FROM products AS p
            WHERE {MATCHES_FILTERS}
            ORDER BY {ORDER_BY[criteria.sort]}
            LIMIT :budget
        )
        SELECT {CARD_COLUMNS}
        FROM walked AS p
        WHERE {MATCHES_WORDS}
        ORDER BY {ORDER_BY[criteria.sort]}
        LIMIT :limit OFFSET :offset
        """,
        **_params(criteria, budget=WALK_BUDGET, limit=limit, offset=offset),
    )


def search_similar_names(criteria: Criteria, limit: int) -> Sequence[RowMapping]:
    """Products with a name word like the search's words (pg_trgm), most alike first: what a
    misspelt search finds."""
    if len(criteria.query or "") > TRIGRAM_MAX_LENGTH:
        return []
    return db.all(
        f"""
        SELECT {CARD_COLUMNS}, word_similarity(:words, p.name) AS similarity
        FROM products AS p
        WHERE :words <% p.name
          AND {MATCHES_FILTERS}
        ORDER BY similarity DESC, p.units_sold DESC, p.id
        LIMIT :limit
        """,
        **_params(criteria, words=criteria.query, limit=limit),
    )


@dataclass(frozen=True)
class Results:
    """One page of a catalog search and what the page says about the rest."""

    page: Page  # its items are the products
    total: int
    total_is_estimate: bool  # more than COUNT_CAP matches: `total` comes from a sample
    facets: dict[int, int]  # category id → matches, ignoring the chosen category
    facets_are_estimates: bool
    sorted_among: int | None = None  # the order covers only the first this-many matches
    corrected_query: str | None = None  # nothing matched the words; these are names like them


def find_products(criteria: Criteria, requested_page: int) -> Results:
    """The page of products the criteria ask for, with the total and the facet counts."""
    total = count_products(criteria)
    facets = {row["category_id"]: row["matches"] for row in count_products_by_category(criteria)}
    facets_capped = sum(facets.values()) > COUNT_CAP
    if total > COUNT_CAP or facets_capped:
        estimates = {row["category_id"]: _round(row["matches"]) for row in estimate_products_by_category(criteria)}
        if total > COUNT_CAP:
            total = max(COUNT_CAP + 1, _round(_estimated_total(criteria, estimates)))
        if facets_capped:
            facets = estimates
    if criteria.category and total <= COUNT_CAP:
        facets[criteria.category.id] = total  # the exact count beats the estimate
    number = min(requested_page, ceil(min(total, COUNT_CAP) / PER_PAGE) or 1)
    if total == 0 and criteria.query:
        return _similar_names(criteria, facets)
    products, sorted_among = _products_on_page(criteria, total, (number - 1) * PER_PAGE)
    return Results(
        page=Page(list(products), number, PER_PAGE, min(total, COUNT_CAP)),
        total=total,
        total_is_estimate=total > COUNT_CAP,
        facets=facets,
        facets_are_estimates=facets_capped,
        sorted_among=sorted_among,
    )


def _products_on_page(criteria: Criteria, total: int, offset: int) -> tuple[Sequence[RowMapping], int | None]:
    """One page of products and, when the order covers only the first matches, how many."""
    if total <= COUNT_CAP or criteria.sort == "relevance":
        return search_candidates(criteria, PER_PAGE, offset), _sorted_among(total)
    if criteria.query is None:
        if criteria.department and not criteria.category:
            return search_department_in_order(criteria, PER_PAGE, offset), None
        return search_in_order(criteria, PER_PAGE, offset), None
    if criteria.category or not criteria.department:
        products = search_words_in_order(criteria, PER_PAGE, offset)
        if len(products) == PER_PAGE:
            return products, None
    return search_candidates(criteria, PER_PAGE, offset), _sorted_among(total)


def _sorted_among(total: int) -> int | None:
    return SORT_CANDIDATES if total > SORT_CANDIDATES else None


def _estimated_total(criteria: Criteria, estimates: dict[int, int]) -> int:
    """The estimated matches of the chosen category, or of every category the facets cover."""
    if criteria.category:
        return estimates.get(criteria.category.id, 0)
    return sum(estimates.values())


def _round(estimate: int) -> int:
    """An estimate to two significant digits (153,421 → 150,000), as it is only that good."""
    if estimate < 100:
        return estimate
    scale = 10 ** (len(str(estimate)) - 2)
    return round(estimate / scale) * scale


def _similar_names(criteria: Criteria, facets: dict[int, int]) -> Results:
    """Results for a search whose words matched nothing: products with names like them."""
    products = search_similar_names(criteria, PER_PAGE)
    return Results(
        page=Page(list(products), 1, PER_PAGE, len(products)),
        total=len(products),
        total_is_estimate=False,
        facets=facets,
        facets_are_estimates=False,
        corrected_query=_closest_words(criteria.query, [product["name"] for product in products]) if products else None,
    )


def _closest_words(query: str, names: list[str]) -> str:
    """The search's words, each replaced by the most alike word of the names found (if alike enough)."""
    vocabulary = sorted({word for name in names for word in _WORD.findall(name.lower())})
    words = [
        next(iter(difflib.get_close_matches(word, vocabulary, n=1, cutoff=0.6)), word)
        for word in _WORD.findall(query.lower())
    ]
    return " ".join(words) or query
