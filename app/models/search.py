"""The catalog's search queries, one function each, over a million products.

Which of them a page runs, and why each stays fast, is app/models/catalog_page.py's business.
Every filter is written so that a NULL parameter turns it off: psycopg2 sends parameters inline,
so PostgreSQL folds `NULL IS NULL OR …` away and plans only the filters in use.
"""

import hashlib
from collections.abc import Sequence

from sqlalchemy import Connection, RowMapping

from app import db
from app.models.catalog import Criteria

SAMPLE_PERCENT = 1  # of the table's pages, for estimates

ORDER_BY = {
    "relevance": "tier DESC, units_sold DESC, id",
    "price_asc": "min_price ASC NULLS LAST, id",
    "price_desc": "min_price DESC NULLS LAST, id",
    "rating": "rating_avg DESC NULLS LAST, rating_count DESC, id",
    "best_selling": "units_sold DESC, id",
    "newest": "created_at DESC, id",
}

BASE_COLUMNS = """
    p.id, p.name, p.category_id, p.min_price, p.min_price_before_sale, p.offer_count, p.total_stock,
    p.rating_avg, p.rating_count, p.units_sold, p.created_at, p.max_price, p.brand_id
"""
# The card's brand, looked up for the rows of the page only (PostgreSQL evaluates an output
# column after ORDER BY … LIMIT), not for every candidate sorted.
BRAND_NAME = "(SELECT b.name FROM brands AS b WHERE b.id = p.brand_id) AS brand_name"
CARD_COLUMNS = f"{BASE_COLUMNS}, {BRAND_NAME}"


MATCHES_FILTERS = """
    (CAST(:category_id AS integer) IS NULL OR p.category_id = :category_id)
    AND (CAST(:category_ids AS integer[]) IS NULL OR p.category_id = ANY(:category_ids))
    AND (CAST(:min_price AS numeric) IS NULL OR p.min_price >= :min_price)
    AND (CAST(:max_price AS numeric) IS NULL OR p.min_price <= :max_price)
    AND (CAST(:min_rating AS numeric) IS NULL OR p.rating_avg >= :min_rating)
    AND (NOT :in_stock OR p.total_stock > 0)
    AND (CAST(:brand AS text) IS NULL OR p.brand_id = (SELECT b.id FROM brands AS b WHERE b.slug = :brand))
    AND (:include_unavailable OR p.offer_count > 0)
    AND p.status = 'listed'
    AND p.parent_id IS NULL
"""
# The chosen tag, two ways. Reading matches, a semi-join the planner may start from the tag's
# index: as `(:tag IS NULL OR EXISTS …)` it could not, so a rare tag's count walked every product
# (`oak`: 279 ms at a million products, now 19), and the 1 % sample hashed all 52,000 products of
# `travel` before its first row (49 ms, now 31). Walking a sort index (the browse's page when
# matches are many, so dense), a test of each walked row: as a semi-join the planner would read
# the tag's products and sort them, not knowing that every `ultrabook` is a laptop (47 → 105 ms).
HAS_TAG = "EXISTS (SELECT 1 FROM product_tags AS t WHERE t.product_id = p.id AND t.tag = :tag)"
HAS_TAG_PER_ROW = f"(CAST(:tag AS text) IS NULL OR {HAS_TAG})"


def matches_words(criteria: Criteria) -> str:
    """SQL: the product matches every group of the search's words (app/search_text.py) in its
    search_vector (name, category and department names, brand and tags, description); `true`
    for a browse. One tsquery, so one GIN lookup intersects the words' posting lists."""
    return "p.search_vector @@ to_tsquery('english', :words)" if criteria.words else "true"


def _attribute_conditions(criteria: Criteria) -> list[tuple[str, dict]]:
    """One EXISTS per chosen attribute, with its key and values bound, each with its parameters."""
    conditions = []
    for number, (key, values) in enumerate(criteria.attribute_choices):
        names = {f"choice_key_{number}": key, f"choice_values_{number}": list(values)}
        condition = f"a.value_text = ANY(:choice_values_{number})"
        conditions.append((_has_attribute(f"choice_key_{number}", condition), names))
    for number, (key, low, high) in enumerate(criteria.attribute_ranges):
        names = {f"range_key_{number}": key, f"range_low_{number}": low, f"range_high_{number}": high}
        bounds = ["a.value_number IS NOT NULL"]
        bounds += [f"a.value_number >= :range_low_{number}"] if low is not None else []
        bounds += [f"a.value_number <= :range_high_{number}"] if high is not None else []
        conditions.append((_has_attribute(f"range_key_{number}", " AND ".join(bounds)), names))
    return conditions


def _has_attribute(key_parameter: str, condition: str) -> str:
    """SQL: the product has the attribute named by :key_parameter with a value meeting `condition`.
    Only parameter names are formatted in (numbered, fixed); every value is bound."""
    return f"""EXISTS (
            SELECT 1 FROM product_attributes AS a
            WHERE a.product_id = p.id AND a.category_id = :attribute_category
              AND a.key = :{key_parameter} AND {condition}
        )"""  # noqa: S608


def matches_attributes(criteria: Criteria) -> str:
    """SQL: the product has every chosen attribute value (one of the choices, within the range):
    `true` without attribute filters. One EXISTS per attribute, with its key and values bound, so
    the planner sees each as a semi-join it has statistics for: it intersects the attributes'
    indexes first when they are selective, and probes each product's attributes when few rows are
    read (one jsonb of every filter, probed per product, read 12,000 laptops for 1,001 matches)."""
    return " AND ".join(sql for sql, _names in _attribute_conditions(criteria)) or "true"


def _attribute_params(criteria: Criteria) -> dict:
    """The bound values of matches_attributes. Its category is bound on its own: the facet counts
    leave the category out of :category_id, and a value carries its product's category (0034), so
    (category, key, value) is the index the filter reads."""
    params = {name: value for _sql, names in _attribute_conditions(criteria) for name, value in names.items()}
    return params | {"attribute_category": criteria.category.id if criteria.category else None}


def filters(criteria: Criteria, attributes: bool = True, walking: bool = False) -> str:
    """SQL: the product passes the filters (MATCHES_FILTERS, the chosen tag and, unless left out,
    its attributes); `walking` when the query walks a sort index (see HAS_TAG)."""
    tag = "true" if not criteria.tag else HAS_TAG_PER_ROW if walking else HAS_TAG
    chosen = f"{MATCHES_FILTERS} AND {tag}"
    return f"{chosen} AND {matches_attributes(criteria)}" if attributes else chosen


def matches(criteria: Criteria, attributes: bool = True, walking: bool = False) -> str:
    """SQL: the product matches the words and the filters; `attributes=False` leaves the chosen
    category's attribute filters out (facet counts over the department, with _facet_params)."""
    return f"{matches_words(criteria)} AND {filters(criteria, attributes, walking)}"


# Relevance tiers, best first: every positive word of the search is found in the name (weight A of
# search_vector); in the name or the category's or department's name (B); in those, the brand or
# tags (C); anywhere, the description too (D).
NAME, NAME_OR_CATEGORY, LABELS, ANYWHERE = 4, 3, 2, 1
TIERS = (NAME, NAME_OR_CATEGORY, LABELS, ANYWHERE)
_WEIGHTS = {NAME: "A", NAME_OR_CATEGORY: "AB", LABELS: "ABC"}


def _reaches(criteria: Criteria, number: int, indexed: bool = False) -> str:
    """SQL: the product is in tier `number` or a better one. `indexed` writes the name tier as
    products_name_search_idx's expression, for the planner to find its matches through it."""
    if number == ANYWHERE:
        return "true"
    if indexed and number == NAME:
        return "to_tsvector('english', p.name) @@ to_tsquery('english', :words_in_name)"
    return f"p.search_vector @@ to_tsquery('english', :words_{_WEIGHTS[number]})"


def tier(criteria: Criteria) -> str:
    """SQL: the product's relevance tier (NAME … ANYWHERE)."""
    cases = " ".join(f"WHEN {_reaches(criteria, number)} THEN {number}" for number in TIERS[:-1])
    return f"CASE {cases} ELSE {ANYWHERE} END"


def _in_tier(criteria: Criteria, number: int) -> str:
    """SQL: the product's tier is exactly `number`."""
    if number == NAME:
        return _reaches(criteria, NAME)
    return f"{_reaches(criteria, number)} AND NOT ({_reaches(criteria, number + 1)})"


def _params(criteria: Criteria, **extra) -> dict:
    """The bound parameters of MATCHES: one category as a scalar, so its indexes apply, or a
    department's categories as an array."""
    department_only = criteria.department is not None and criteria.category is None
    words = {}
    if criteria.words:
        words["words"] = criteria.words.tsquery()
        words["words_in_name"] = criteria.words.tsquery(positive_only=True)
        words |= {f"words_{weight}": criteria.words.tsquery(weight) for weight in _WEIGHTS.values()}
    return (
        words
        | {
            "category_id": criteria.category.id if criteria.category else None,
            "category_ids": [category.id for category in criteria.department.categories] if department_only else None,
            "min_price": criteria.min_price,
            "max_price": criteria.max_price,
            "min_rating": criteria.min_rating,
            "in_stock": criteria.in_stock,
            "include_unavailable": criteria.include_unavailable,
            "brand": criteria.brand_slug,
            "tag": criteria.tag,
        }
        | _attribute_params(criteria)
        | extra
    )


def _facet_params(criteria: Criteria, **extra) -> dict:
    """MATCHES parameters for facet counts: every category of the department, not just the chosen one,
    and so without the chosen category's attribute filters (other categories do not have them)."""
    department = criteria.department
    category_ids = [category.id for category in department.categories] if department else None
    return _params(criteria, category_id=None, category_ids=category_ids, **extra)


def limit_statement_time(connection: Connection, milliseconds: int) -> None:
    """Cancel any later statement of this transaction that runs longer than `milliseconds`."""
    db.fetch_one(connection, "SELECT set_config('statement_timeout', :limit, true)", limit=f"{milliseconds}ms")


def count_products(connection: Connection, criteria: Criteria, cap: int) -> int:
    """How many products match, counting no further than `cap`."""
    return db.fetch_one(
        connection,
        f"""
        SELECT count(*) AS matches
        FROM (
            SELECT 1
            FROM products AS p
            WHERE {matches(criteria)}
            LIMIT :cap
        ) AS capped
        """,  # noqa: S608 - fixed fragments and allow-listed sort orders, values bound
        **_params(criteria, cap=cap),
    )["matches"]


def count_products_by_category(connection: Connection, criteria: Criteria, cap: int) -> Sequence[RowMapping]:
    """Matches per category of the department (or of every category), over the first `cap` matches."""
    return db.fetch_all(
        connection,
        f"""
        SELECT category_id, count(*) AS matches
        FROM (
            SELECT p.category_id
            FROM products AS p
            WHERE {matches(criteria, attributes=False)}
            LIMIT :cap
        ) AS capped
        GROUP BY category_id
        """,  # noqa: S608 - fixed fragments and allow-listed sort orders, values bound
        **_facet_params(criteria, cap=cap),
    )


def sample_matches(connection: Connection, criteria: Criteria, keep=None) -> Sequence[RowMapping]:
    """What a fixed sample of the table's pages finds, scaled up: rows of kind 'category' (matches
    per category, as for the facets: the whole department, with words also per relevance tier,
    columns tier_4 … tier_1, for choosing how to rank them), and the brand, tag and attribute
    facets (kinds as count_facets has them) among the sampled matches of the chosen category that
    have its chosen attribute values (the sample read once for both).

    `keep(key, compute)`, if given, may answer from what an earlier identical sample found (the
    key is the statement and its values): see app/page_cache.py's kept."""
    sql, params = _sample_statement(criteria)
    if keep is None:
        return db.fetch_all(connection, sql, **params)
    statement = repr((sql, sorted(params.items())))
    key = "shared sample " + hashlib.sha256(statement.encode()).hexdigest()
    return keep(key, lambda: [dict(row) for row in db.fetch_all(connection, sql, **params)])


def _sample_statement(criteria: Criteria) -> tuple[str, dict]:
    """sample_matches' statement and its values."""
    tiers = ", ".join(f"count(*) FILTER (WHERE tier = {number}) * :scale AS tier_{number}" for number in TIERS)
    no_tiers = ", ".join(f"NULL::bigint AS tier_{number}" for number in TIERS)
    return (
        f"""
        WITH sampled AS MATERIALIZED (
            SELECT p.id, p.brand_id, p.category_id, {tier(criteria) if criteria.words else 0} AS tier
            FROM products AS p TABLESAMPLE SYSTEM (:percent) REPEATABLE (0)
            WHERE {matches(criteria, attributes=False)}
        ),
        own AS (
            SELECT * FROM sampled AS p
            WHERE (CAST(:own_category AS integer) IS NULL OR p.category_id = :own_category)
              AND {matches_attributes(criteria)}
        )
        SELECT 'category' AS kind, category_id, NULL AS key, NULL AS label, count(*) * :scale AS matches,
               NULL::numeric AS low, NULL::numeric AS high, {tiers}
        FROM sampled
        GROUP BY category_id
        UNION ALL
        SELECT 'brand', NULL, b.slug, b.name, count(*) * :scale, NULL, NULL, {no_tiers}
        FROM own AS m
        JOIN brands AS b ON b.id = m.brand_id
        GROUP BY b.id
        UNION ALL
        SELECT 'tag', NULL, t.tag, t.tag, count(*) * :scale, NULL, NULL, {no_tiers}
        FROM own AS m
        JOIN product_tags AS t ON t.product_id = m.id
        GROUP BY t.tag
        UNION ALL
        SELECT CASE WHEN a.value_text IS NULL THEN 'range' ELSE 'value' END, NULL, a.key, a.value_text,
               count(*) * :scale, min(a.value_number), max(a.value_number), {no_tiers}
        FROM own AS m
        JOIN product_attributes AS a ON a.product_id = m.id
        WHERE CAST(:own_category AS integer) IS NOT NULL
        GROUP BY a.key, a.value_text
        """,  # noqa: S608 - fixed fragments, values bound
        _facet_params(
            criteria,
            percent=SAMPLE_PERCENT,
            scale=100 // SAMPLE_PERCENT,
            own_category=criteria.category.id if criteria.category else None,
        ),
    )


def search_candidates(
    connection: Connection, criteria: Criteria, candidates: int, limit: int, offset: int
) -> Sequence[RowMapping]:
    """One page in the criteria's order among the first `candidates` matches (all of them when
    there are fewer), ranked by how well they match the words if that is the order; column
    `candidates` says how many were sorted."""
    return db.fetch_all(
        connection,
        f"""
        WITH candidates AS MATERIALIZED (
            SELECT {BASE_COLUMNS}
            FROM products AS p
            WHERE {matches(criteria)}
            LIMIT :candidates
        )
        SELECT p.*, {BRAND_NAME}, (SELECT count(*) FROM candidates) AS candidates
        FROM candidates AS p
        ORDER BY {ORDER_BY[criteria.sort]}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments and allow-listed sort orders, values bound
        **_params(criteria, candidates=candidates, limit=limit, offset=offset),
    )


def search_in_order(connection: Connection, criteria: Criteria, limit: int, offset: int) -> Sequence[RowMapping]:
    """One page of a browse without words, walking the sort's index until the page is full."""
    return db.fetch_all(
        connection,
        f"""
        SELECT {CARD_COLUMNS}
        FROM products AS p
        WHERE {matches(criteria, walking=True)}
        ORDER BY {ORDER_BY[criteria.sort]}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments and allow-listed sort orders, values bound
        **_params(criteria, limit=limit, offset=offset),
    )


def search_department_in_order(
    connection: Connection, criteria: Criteria, limit: int, offset: int
) -> Sequence[RowMapping]:
    """One page of a department browse: the first rows of each category's sort index, merged."""
    return db.fetch_all(
        connection,
        f"""
        SELECT walked.*
        FROM unnest(CAST(:category_ids AS integer[])) AS scope(category_id)
        CROSS JOIN LATERAL (
            SELECT {CARD_COLUMNS}
            FROM products AS p
            WHERE p.category_id = scope.category_id
              AND {matches(criteria, walking=True)}
            ORDER BY {ORDER_BY[criteria.sort]}
            LIMIT :limit + :offset
        ) AS walked
        ORDER BY {ORDER_BY[criteria.sort]}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments and allow-listed sort orders, values bound
        **_params(criteria, limit=limit, offset=offset),
    )


def search_words_in_order(
    connection: Connection, criteria: Criteria, budget: int, limit: int, offset: int
) -> Sequence[RowMapping]:
    """One page of a search with words in a sort order, looking only at the first `budget`
    products of that order: a short page means the budget ran out before the page was full."""
    return db.fetch_all(
        connection,
        f"""
        WITH walked AS MATERIALIZED (
            SELECT {BASE_COLUMNS}, p.search_vector
            FROM products AS p
            WHERE {filters(criteria, walking=True)}
            ORDER BY {ORDER_BY[criteria.sort]}
            LIMIT :budget
        )
        SELECT {CARD_COLUMNS}
        FROM walked AS p
        WHERE {matches_words(criteria)}
        ORDER BY {ORDER_BY[criteria.sort]}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments and allow-listed sort orders, values bound
        **_params(criteria, budget=budget, limit=limit, offset=offset),
    )


def count_tagged(tag: str, cap: int) -> int:
    """How many listed products carry the tag, counting no further than `cap`."""
    return db.value(
        """
        SELECT count(*)
        FROM (
            SELECT 1
            FROM product_tags AS t
            JOIN products AS p ON p.id = t.product_id
            WHERE t.tag = :tag
              AND p.status = 'listed'
              AND p.parent_id IS NULL
            LIMIT :cap
        ) AS capped
        """,
        tag=tag,
        cap=cap,
    )


def list_tagged(tag: str, sort: str, candidates: int, limit: int, offset: int) -> Sequence[RowMapping]:
    """One page of the listed products carrying the tag, in a catalog sort order among the first
    `candidates` of them (by the (tag, product_id) index): a tag on 57,000 of a million products made
    walking a sort index and probing each product's tags take half a second. Each row's `tagged`
    says how many carry the tag, counting no further than `candidates` + 1 (more than are sorted):
    the rows read for the sort are counted too, so the page needs no count of its own."""
    return db.all(
        f"""
        WITH found AS MATERIALIZED (
            SELECT {BASE_COLUMNS}
            FROM product_tags AS t
            JOIN products AS p ON p.id = t.product_id
            WHERE t.tag = :tag
              AND p.status = 'listed'
              AND p.parent_id IS NULL
            ORDER BY t.product_id
            LIMIT :candidates + 1
        ),
        candidates AS (
            SELECT * FROM found ORDER BY id LIMIT :candidates
        )
        SELECT p.*, {BRAND_NAME}, (SELECT count(*) FROM found) AS tagged
        FROM candidates AS p
        ORDER BY {ORDER_BY[sort]}
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments and an allow-listed sort order, values bound
        tag=tag,
        candidates=candidates,
        limit=limit,
        offset=offset,
    )


def count_facets(connection: Connection, criteria: Criteria, cap: int) -> Sequence[RowMapping]:
    """Products per brand, per tag and, inside a category, per value of each choice or text attribute,
    with each number attribute's lowest and highest value, among the first `cap` matches (with many
    matches, sample_matches estimates them). Rows: kind ('brand', 'tag', 'value', 'range'), key,
    label, matches, low, high."""
    found = f"SELECT p.id, p.brand_id FROM products AS p WHERE {matches(criteria)} LIMIT :first"  # noqa: S608
    return db.fetch_all(
        connection,
        f"""
        WITH matches AS MATERIALIZED ({found})
        SELECT 'brand' AS kind, b.slug AS key, b.name AS label, count(*) AS matches,
               NULL::numeric AS low, NULL::numeric AS high
        FROM matches AS m
        JOIN brands AS b ON b.id = m.brand_id
        GROUP BY b.id
        UNION ALL
        SELECT 'tag', t.tag, t.tag, count(*), NULL, NULL
        FROM matches AS m
        JOIN product_tags AS t ON t.product_id = m.id
        GROUP BY t.tag
        UNION ALL
        SELECT CASE WHEN a.value_text IS NULL THEN 'range' ELSE 'value' END, a.key, a.value_text,
               count(*), min(a.value_number), max(a.value_number)
        FROM matches AS m
        JOIN product_attributes AS a ON a.product_id = m.id
        WHERE CAST(:category_id AS integer) IS NOT NULL
        GROUP BY a.key, a.value_text
        """,  # noqa: S608 - fixed fragments, values bound
        **_params(criteria, first=cap),
    )


def rank_all(
    connection: Connection, criteria: Criteria, limit: int, offset: int, counted: bool = False
) -> Sequence[RowMapping]:
    """One page in relevance order, every match ranked: for searches with a few thousand matches;
    `counted` adds each row's `matches`, how many there are in all."""
    matches_column = ", count(*) OVER () AS matches" if counted else ""
    return db.fetch_all(
        connection,
        f"""
        SELECT {CARD_COLUMNS}, {tier(criteria)} AS tier{matches_column}
        FROM products AS p
        WHERE {matches(criteria)}
        ORDER BY tier DESC, units_sold DESC, id
        LIMIT :limit OFFSET :offset
        """,  # noqa: S608 - fixed fragments, values bound
        **_params(criteria, limit=limit, offset=offset),
    )


def rank_in_tier(connection: Connection, criteria: Criteria, number: int, limit: int) -> Sequence[RowMapping]:
    """The first `limit` matches of tier `number` by popularity, every one of them sorted. The name
    tier is read through products_name_search_idx alone: a name holding every word matches, and
    rechecking search_vector too made the planner intersect with the common word's whole posting
    list and recheck each row three ways (150 ms for "handle" at a million products, now ~20)."""
    if number == NAME:
        negated = any(group.negated for group in criteria.words.groups)
        words = f"{_reaches(criteria, NAME, indexed=True)} AND {matches_words(criteria) if negated else 'true'}"
        condition = f"{words} AND {filters(criteria)}"
    else:
        condition = f"{matches(criteria)} AND {_in_tier(criteria, number)}"
    # MATERIALIZED: without ORDER BY … LIMIT inside, the planner reads the tier through its index
    # rather than walking units_sold and testing every product (238 ms for "handle").
    return db.fetch_all(
        connection,
        f"""
        WITH tier AS MATERIALIZED (
            SELECT {BASE_COLUMNS}
            FROM products AS p
            WHERE {condition}
        )
        SELECT p.*, {BRAND_NAME}, {number} AS tier
        FROM tier AS p
        ORDER BY units_sold DESC, id
        LIMIT :limit
        """,  # noqa: S608 - fixed fragments, values bound
        **_params(criteria, limit=limit),
    )


def walk_tier(connection: Connection, criteria: Criteria, number: int, budget: int, limit: int) -> Sequence[RowMapping]:
    """The first `limit` matches of tier `number` by popularity, found by walking the products in
    popularity order (the units_sold index), looking at no more than `budget` of them: a tier with
    many matches fills a page within a few thousand. Fewer than `limit` rows: the budget ran out."""
    return db.fetch_all(
        connection,
        f"""
        SELECT {CARD_COLUMNS}, {number} AS tier
        FROM (
            SELECT p.*
            FROM products AS p
            WHERE {filters(criteria, walking=True)}
            ORDER BY units_sold DESC, id
            LIMIT :budget
        ) AS p
        WHERE {matches_words(criteria)} AND {_in_tier(criteria, number)}
        ORDER BY units_sold DESC, id
        LIMIT :limit
        """,  # noqa: S608 - fixed fragments, values bound
        **_params(criteria, budget=budget, limit=limit),
    )


def categories_like(connection: Connection, query: str) -> Sequence[RowMapping]:
    """Up to three categories whose name (or department's) is most like the words (pg_trgm)."""
    return db.fetch_all(
        connection,
        """
        SELECT c.slug, c.name, d.name AS department_name,
               word_similarity(:query, c.name || ' ' || d.name) AS likeness
        FROM categories AS c
        JOIN departments AS d ON d.id = c.department_id
        WHERE word_similarity(:query, c.name || ' ' || d.name) >= 0.3
        ORDER BY likeness DESC, c.name
        LIMIT 3
        """,
        query=query,
    )


def popular_products(connection: Connection, limit: int) -> Sequence[RowMapping]:
    """The best-selling products on sale, for a page that found nothing."""
    return db.fetch_all(
        connection,
        f"""
        SELECT {CARD_COLUMNS}
        FROM products AS p
        WHERE p.status = 'listed' AND p.parent_id IS NULL AND p.offer_count > 0
        ORDER BY units_sold DESC, id
        LIMIT :limit
        """,  # noqa: S608 - fixed fragments, values bound
        limit=limit,
    )
