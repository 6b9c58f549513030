"""What a catalog page shows, chosen so that it stays fast over a million products: the total,
the counts per category, and one page of products. The queries are in app/models/search.py;
figures and plans are in docs/PERFORMANCE.md, "Catalog" and "Search quality and speed".

- The words are read first (app/models/search_word.py): misspelt ones corrected, synonyms added,
  category names matched.
- A 1 % sample of the table's pages estimates the counts first (a few ms whatever matches), per
  category and per relevance tier. When it clearly finds more than COUNT_CAP matches, the page
  shows those estimates ("about 150,000 results"); otherwise it counts exactly, stopping after
  COUNT_CAP + 1 matches. Pages stop at COUNT_CAP results: a search narrows better than page 400.
- A browse without words beyond COUNT_CAP walks its sort's index (one walk per category inside
  a department) and stops after one page: exact and cheap at any size.
- Relevance ranks every match (_ranked): all at once up to RANK_ALL_LIMIT matches, else tier by
  tier, each sorted whole or walked in popularity order.
- Other orders of a search with words sort all matches when there are at most SORTED_CANDIDATES;
  beyond that they walk the first WALK_BUDGET products of their index, and if that does not fill
  the page they sort the first RANKED_CANDIDATES matches instead, and the page says so.
- Every query runs on one connection with a statement timeout (CATALOG_TIME_LIMIT_MS, 250 ms): the rare
  search the planner misjudges (a common word minus the word it always comes with) stops and says so.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from math import ceil

from flask import current_app
from psycopg2.errors import QueryCanceled
from sqlalchemy import Connection, RowMapping
from sqlalchemy.exc import OperationalError

from app import db, page_cache
from app.models import search, search_word
from app.models.catalog import Criteria
from app.pagination import Page

PER_PAGE = 24
COUNT_CAP = 1_000
CLEARLY_MORE = 2 * COUNT_CAP  # an estimate this high (20+ sampled matches) is not sampling luck: skip the exact count
RANKED_CANDIDATES = 1_000
SORTED_CANDIDATES = 5_000
WALK_BUDGET = 5_000
RANK_ALL_LIMIT = 5_000  # matches ranked all at once; beyond, tier by tier (see _ranked)
TIER_SORT_CAP = 5_000  # a tier with more matches is walked in popularity order instead of sorted
TIER_WALK_BUDGET = 100_000  # products a tier's walk looks at before sorting the tier instead
FACET_VALUES = 15  # brands, tags shown, most matches first
POPULAR_ON_ZERO = 8  # popular products a search without results shows


@dataclass(frozen=True)
class Results:
    """One page of a catalog search and what the page says about the rest."""

    page: Page  # its items are the products
    total: int
    total_is_estimate: bool  # more than COUNT_CAP matches: `total` comes from a sample
    facets: dict[int, int]  # category id → matches, ignoring the chosen category
    facets_are_estimates: bool
    sorted_among: int | None = None  # the order covers only the first this-many matches
    corrected_query: str | None = None  # the search with its misspelt words corrected, when they were
    too_slow: bool = False  # a query ran out of time: nothing is shown
    labels: "Labels | None" = None  # brands, tags and attribute values among the matches
    nearby_categories: tuple = ()  # no results: categories named like the words (slug, name)
    popular: tuple = ()  # no results: the best-selling products, so the page is no dead end


@dataclass(frozen=True)
class Labels:
    """Brand, tag and attribute facets, counted among the first COUNT_CAP + 1 matches."""

    brands: list  # (slug, name, matches), most matches first
    tags: list  # (tag, matches)
    values: dict  # attribute key → [(value, matches)]
    ranges: dict  # number attribute key → (lowest, highest)
    estimated: bool  # from the sample of pages (many matches), like the category counts


def _labels(connection: Connection, criteria: Criteria, estimated: bool, sampled: Sequence[RowMapping]) -> Labels:
    """The brand, tag and attribute facets of a search: counted when the category counts were
    (at most COUNT_CAP matches), else estimated from the same sample, taken with the category
    estimates (which leave the attribute filters out; these facets keep them)."""
    brands, tags, values, ranges = [], [], {}, {}
    if estimated:
        rows = [row for row in sampled if row["kind"] != "category"]
    else:
        rows = search.count_facets(connection, criteria, COUNT_CAP + 1)
    for row in rows:
        if row["kind"] == "brand":
            brands.append((row["key"], row["label"], row["matches"]))
        elif row["kind"] == "tag":
            tags.append((row["key"], row["matches"]))
        elif row["kind"] == "value":
            values.setdefault(row["key"], []).append((row["label"], row["matches"]))
        else:
            ranges[row["key"]] = (row["low"], row["high"])
    by_count = lambda item: (-item[-1], item[0])  # noqa: E731 - a sort key
    for key in values:
        values[key].sort(key=by_count)
    return Labels(
        brands=sorted(brands, key=lambda item: (-item[2], item[1]))[:FACET_VALUES],
        tags=sorted(tags, key=by_count)[:FACET_VALUES],
        values=values,
        ranges=ranges,
        estimated=estimated,
    )


def find_products(criteria: Criteria, requested_page: int) -> Results:
    """The page of products the criteria ask for, with the total and the counts per category;
    every query in one read transaction (the time limit is local to it), each cut off after CATALOG_TIME_LIMIT_MS."""
    try:
        with db.read_transaction() as connection:  # a replica's, for a GET (app/replicas.py)
            search.limit_statement_time(connection, current_app.config["CATALOG_TIME_LIMIT_MS"])
            if criteria.query:
                words = search_word.prepare(connection, criteria.query, correct=not criteria.as_typed)
                criteria = replace(criteria, words=words)
            results = _find_products(connection, criteria, requested_page)
            if results.total == 0 and not results.too_slow:
                results = _with_ways_out(connection, criteria, results)
            return results
    except OperationalError as error:
        if not isinstance(error.orig, QueryCanceled):
            raise
    return Results(Page([], 1, PER_PAGE, 0), 0, False, {}, False, too_slow=True)


def _find_products(connection: Connection, criteria: Criteria, requested_page: int) -> Results:
    """find_products on an open connection."""
    counted, over_cap = None, False
    if criteria.words and criteria.words.frequency is not None and criteria.words.frequency <= COUNT_CAP:
        # The words look rare: count them (a few ms) rather than sample a 1 % of the table (10-20 ms).
        counted = _count_by_category(connection, criteria)
        over_cap = counted is None
    sampled = search.sample_matches(connection, criteria, page_cache.kept) if counted is None else []
    by_category = [row for row in sampled if row["kind"] == "category"]
    estimates = {row["category_id"]: _round(row["matches"]) for row in by_category}
    scope = criteria.category_ids
    in_scope = [row for row in by_category if scope is None or row["category_id"] in scope]
    tier_estimates = {number: sum(row[f"tier_{number}"] for row in in_scope) for number in search.TIERS}
    if counted is not None:
        facets, facets_exact = counted, True
    else:
        facets, facets_exact = _facet_counts(connection, criteria, estimates, over_cap)
    ranked = _ranked_with_count(connection, criteria, requested_page, estimates if counted is None else None)
    if ranked and (criteria.attribute_choices or criteria.attribute_ranges):
        total = min(ranked[0]["matches"], COUNT_CAP + 1)  # the sample's estimates leave these filters out
    elif ranked:
        total = _total_of_counted(criteria, ranked[0]["matches"], estimates)
    else:
        total = _total(connection, criteria, facets if facets_exact else None, estimates)
    if criteria.category and total <= COUNT_CAP:
        facets[criteria.category.id] = total  # the exact count beats an estimate
    number = min(requested_page, ceil(min(total, COUNT_CAP) / PER_PAGE) or 1)
    if ranked and number == requested_page:
        products, sorted_among = ranked, None
    elif total == 0:
        products, sorted_among = [], None
    else:
        products, sorted_among = _products_on_page(connection, criteria, total, (number - 1) * PER_PAGE, tier_estimates)
    return Results(
        page=Page(list(products), number, PER_PAGE, min(total, COUNT_CAP)),
        total=total,
        total_is_estimate=total > COUNT_CAP,
        facets=facets,
        facets_are_estimates=not facets_exact,
        sorted_among=sorted_among,
        labels=_labels(connection, criteria, not facets_exact, sampled) if total else None,
        corrected_query=criteria.words.shown if criteria.words and criteria.words.corrected else None,
    )


def _ranked_with_count(
    connection: Connection, criteria: Criteria, requested_page: int, estimates: dict[int, int] | None
) -> Sequence[RowMapping]:
    """A search with words in relevance order whose matches _total would count and rank_all would
    then rank anyway: its page with how many match, in one statement. So it is for
    - attribute filters (the count is at most COUNT_CAP + 1: the filters keep the sample out, and
      COUNT_CAP + 1 < RANK_ALL_LIMIT): 13 of ~110 ms at a million products;
    - a chosen category the sample (`estimates`; None when the words were counted) puts below
      CLEARLY_MORE: a common word's posting list was decoded twice, for the count and for the page
      ("handle" in a category, $20–200, in stock: 2 × ~40 ms at a million products).
    No rows (a page past the end, or nothing matches): counted the usual way."""
    if criteria.sort != "relevance" or not criteria.words:
        return []
    few_in_category = (
        estimates is not None
        and criteria.category is not None
        and estimates.get(criteria.category.id, 0) < CLEARLY_MORE
    )
    if not (criteria.attribute_choices or criteria.attribute_ranges or few_in_category):
        return []
    return search.rank_all(connection, criteria, PER_PAGE, (requested_page - 1) * PER_PAGE, counted=True)


def _total_of_counted(criteria: Criteria, matches: int, estimates: dict[int, int]) -> int:
    """_total's answer from an exact count of the category's matches (as _total gives it)."""
    if matches <= COUNT_CAP:
        return matches
    return max(COUNT_CAP + 1, estimates.get(criteria.category.id, 0))


def _facet_counts(
    connection: Connection, criteria: Criteria, estimates: dict[int, int], over_cap: bool = False
) -> tuple[dict[int, int], bool]:
    """Matches per category (exact up to COUNT_CAP in all, else the estimates) and whether exact;
    `over_cap` when a count has already found more than COUNT_CAP."""
    if over_cap or sum(estimates.values()) >= CLEARLY_MORE:
        return dict(estimates), False
    counted = _count_by_category(connection, criteria)
    return (dict(estimates), False) if counted is None else (counted, True)


def _count_by_category(connection: Connection, criteria: Criteria) -> dict[int, int] | None:
    """Matches per category of the department (or of all), counted; None beyond COUNT_CAP in all."""
    counted = {
        row["category_id"]: row["matches"]
        for row in search.count_products_by_category(connection, criteria, COUNT_CAP + 1)
    }
    return None if sum(counted.values()) > COUNT_CAP else counted


def _total(
    connection: Connection, criteria: Criteria, exact_facets: dict[int, int] | None, estimates: dict[int, int]
) -> int:
    """How many products match: exact up to COUNT_CAP, else an estimate above it."""
    if criteria.attribute_choices or criteria.attribute_ranges:  # the category counts leave them out
        counted = search.count_products(connection, criteria, COUNT_CAP + 1)
        return min(counted, COUNT_CAP + 1)  # "more than 1,000": the sample's estimates leave them out too
    if exact_facets is not None:  # every match of the department (or of all) was counted
        return exact_facets.get(criteria.category.id, 0) if criteria.category else sum(exact_facets.values())
    estimate = estimates.get(criteria.category.id, 0) if criteria.category else sum(estimates.values())
    if estimate >= CLEARLY_MORE or not criteria.category:  # without a category the facets counted past the cap
        return max(COUNT_CAP + 1, estimate)
    counted = search.count_products(connection, criteria, COUNT_CAP + 1)
    return counted if counted <= COUNT_CAP else max(COUNT_CAP + 1, estimate)


def _products_on_page(
    connection: Connection, criteria: Criteria, total: int, offset: int, tier_estimates: dict[int, int]
) -> tuple[Sequence[RowMapping], int | None]:
    """One page of products and, when the order covers only the first matches, how many.
    `total` is an estimate when above COUNT_CAP, `tier_estimates` the sample's matches per tier."""
    if criteria.query is None and total > COUNT_CAP:
        if criteria.department and not criteria.category:
            return search.search_department_in_order(connection, criteria, PER_PAGE, offset), None
        return search.search_in_order(connection, criteria, PER_PAGE, offset), None
    if criteria.sort == "relevance":
        return _ranked(connection, criteria, total, offset, tier_estimates), None
    if total <= COUNT_CAP:
        return _sorted_candidates(connection, criteria, RANKED_CANDIDATES, offset)
    if total <= SORTED_CANDIDATES:
        return _sorted_candidates(connection, criteria, SORTED_CANDIDATES, offset)
    if criteria.category or not criteria.department:  # a department's walk would be one per category
        products = search.search_words_in_order(connection, criteria, WALK_BUDGET, PER_PAGE, offset)
        if len(products) == PER_PAGE:
            return products, None
    return _sorted_candidates(connection, criteria, RANKED_CANDIDATES, offset)


def _sorted_candidates(
    connection: Connection, criteria: Criteria, candidates: int, offset: int
) -> tuple[Sequence[RowMapping], int | None]:
    """A page sorted among the first `candidates` matches, and that number if there were more."""
    products = search.search_candidates(connection, criteria, candidates, PER_PAGE, offset)
    partial = bool(products) and products[0]["candidates"] >= candidates
    return products, candidates if partial else None


def _round(estimate: int) -> int:
    """An estimate to two significant digits (153,421 → 150,000), as it is only that good."""
    if estimate < 100:
        return estimate
    scale = 10 ** (len(str(estimate)) - 2)
    return round(estimate / scale) * scale


def _ranked(
    connection: Connection, criteria: Criteria, total: int, offset: int, tier_estimates: dict[int, int]
) -> Sequence[RowMapping]:
    """One page in relevance order over ALL matches: tier (every word in the name; in the name or
    category names; in those, the brand or tags; anywhere), then units sold. A few thousand matches are ranked at once.
    Beyond, the tiers are taken best first, each for as many rows as the page still needs: a
    tier the sample estimates at a few thousand matches is sorted whole (the name tier through
    its own index); a bigger one is walked in popularity order, where its matches are dense
    enough to fill a page soon, and sorted whole if the walk runs out. The estimate only picks
    the way: either way the page is the true top of the order, not of a sample."""
    if total <= RANK_ALL_LIMIT:
        return search.rank_all(connection, criteria, PER_PAGE, offset)
    needed = offset + PER_PAGE
    rows: list = []
    for number in search.TIERS:
        rows += _best_of_tier(connection, criteria, number, needed - len(rows), tier_estimates[number])
        if len(rows) >= needed:
            break
    return rows[offset:needed]


def _best_of_tier(
    connection: Connection, criteria: Criteria, number: int, needed: int, estimate: int
) -> Sequence[RowMapping]:
    """The first `needed` matches of one tier in popularity order."""
    if estimate > TIER_SORT_CAP:
        walked = search.walk_tier(connection, criteria, number, TIER_WALK_BUDGET, needed)
        if len(walked) == needed:
            return walked
    return search.rank_in_tier(connection, criteria, number, needed)


def _with_ways_out(connection: Connection, criteria: Criteria, results: Results) -> Results:
    """A search without results, given categories named like its words and popular products."""
    nearby = search.categories_like(connection, criteria.query) if criteria.query else []
    popular = search.popular_products(connection, POPULAR_ON_ZERO)
    return replace(results, nearby_categories=tuple(nearby), popular=tuple(popular))
