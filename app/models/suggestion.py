"""Suggestions as you type: product names and categories that start with what was typed.

Every typed word but the last is complete; the last is the start of a word ("wirel" finds
"Arcwell Wireless Earbuds"), unless the text ends in a space. A word that no catalog word
matches may be a typo of one, by Meilisearch's rules: words of 5 to 8 letters may have one
typo, of 9 or more two, shorter ones none. A complete word is compared with whole catalog words,
the last one with catalog words' starts of its own length (optimal string alignment distance).

At most four statements, whatever was typed: the words (search_words, migration 0027), their
typos if some word matched nothing, the categories, and the products. Products come from
search_suggestions (migration 0029), each catalog word's best-selling products kept in an index
with their words: the rarest typed word's kept rows that hold the other words too are the
candidates, the best few checked against the product itself. Only when
those leave fewer than SHOWN_PRODUCTS and the rarest typed word is in few products
(FURTHER_UP_TO) does the name index look further.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from rapidfuzz.distance import OSA
from sqlalchemy import Connection

from app import db, jobs

MIN_LENGTH = 2  # characters typed before anything is looked up
MAX_LENGTH = 100  # characters of the query read
MAX_WORDS = 6
MAX_WORD_LENGTH = 30  # search_words keeps words of 2 to 30 characters
SHOWN_PRODUCTS = 8
SHOWN_CATEGORIES = 3
EXPANSIONS = 10  # catalog words tried for the word being typed (the most frequent that fit)
CORRECTIONS = 3  # catalog words tried for a misspelt complete word
SUGGESTIONS_PER_WORD = 100  # rows search_suggestions keeps per word (migration 0029)
FURTHER_UP_TO = 3000  # products of the rarest word for which the name index may be asked

WORD = re.compile(r"[^\W_]+")


def allowed_typos(word: str) -> int:
    """Meilisearch's rule: no typo under 5 letters, one from 5, two from 9."""
    return 0 if len(word) < 5 else 1 if len(word) < 9 else 2


@dataclass
class Typed:
    """What was typed, as words: the complete ones and the one being typed (if any)."""

    complete: list[str] = field(default_factory=list)
    prefix: str | None = None

    @property
    def words(self) -> list[str]:
        return self.complete + ([self.prefix] if self.prefix else [])


def read_typed(query: str, finished: bool = False) -> Typed:
    """Split a query into lower-case words; the last is a prefix unless a separator follows it
    (or the query is `finished`: a space typed after it)."""
    words = [word[:MAX_WORD_LENGTH] for word in WORD.findall(query.lower())][-MAX_WORDS:]
    if not words:
        return Typed()
    if not finished and WORD.fullmatch(query[-1:]) is not None:  # still typing the last word
        return Typed(words[:-1], words[-1])
    return Typed(words)


@dataclass
class Group:
    """The catalog words that may stand for one typed word, with how many products hold each."""

    typed: str
    words: dict[str, int]
    prefix: bool = False  # the typed word is a start: categories match it as one too
    typo: bool = False


def suggest(query: str, finished: bool = False) -> dict:
    """Up to SHOWN_PRODUCTS products and SHOWN_CATEGORIES categories for what was typed; with
    `finished`, its last word is complete too."""
    if len(query.strip()) < MIN_LENGTH:
        return {"products": [], "categories": []}
    typed = read_typed(query, finished)
    if not typed.words:
        return {"products": [], "categories": []}
    with db.connect() as connection:
        groups = _groups(connection, typed)
        if not groups:
            return {"products": [], "categories": []}
        return {
            "products": list_products(connection, groups),
            "categories": list_categories(connection, groups),
        }


def _groups(connection: Connection, typed: Typed) -> list[Group] | None:
    """Each typed word's catalog words (typos corrected), or None if one of them has none."""
    found = list_words(connection, typed.complete, typed.prefix)
    groups = [Group(word, found.get(word, {})) for word in typed.complete]
    if typed.prefix:
        groups.append(Group(typed.prefix, found.get(None, {}), prefix=True))
    missing = [group for group in groups if not group.words and allowed_typos(group.typed)]
    if missing:
        candidates = list_typo_candidates(
            connection,
            [group.typed for group in missing if not group.prefix],
            [group.typed for group in missing if group.prefix],
        )
        for group in missing:
            group.words = _corrections(group, candidates.get(group.typed, {}))
            group.typo = True
    if any(not group.words for group in groups):
        return None
    return groups


def _corrections(group: Group, candidates: dict[str, int]) -> dict[str, int]:
    """The candidates within the typo rule's distance of the typed word (its start, for a prefix),
    nearest first, then the most frequent."""
    limit = allowed_typos(group.typed)
    scored = []
    for word, products in candidates.items():
        compared = word[: len(group.typed)] if group.prefix else word
        distance = OSA.distance(group.typed, compared, score_cutoff=limit)
        if distance <= limit:
            scored.append((distance, -products, word))
    scored.sort()
    keep = EXPANSIONS if group.prefix else CORRECTIONS
    return {word: -negative for _distance, negative, word in scored[:keep]}


def list_words(connection: Connection, complete: list[str], prefix: str | None) -> dict[str | None, dict[str, int]]:
    """Catalog words equal to each complete word, and the EXPANSIONS most frequent ones starting
    with the prefix (under the key None): {typed word: {catalog word: products}}."""
    rows = db.fetch_all(
        connection,
        """
        SELECT word AS typed, word, sum(products) AS products
        FROM search_words
        WHERE word = ANY(CAST(:complete AS text[]))
        GROUP BY word
        UNION ALL
        (
            SELECT NULL, word, sum(products)
            FROM search_words
            WHERE CAST(:prefix AS text) IS NOT NULL AND word LIKE :pattern
            GROUP BY word
            ORDER BY sum(products) DESC, word
            LIMIT :expansions
        )
        """,
        complete=complete,
        prefix=prefix,
        pattern=f"{prefix}%" if prefix else None,
        expansions=EXPANSIONS,
    )
    found: dict[str | None, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row["typed"], {})[row["word"]] = int(row["products"])
    return found


def list_typo_candidates(connection: Connection, complete: list[str], prefixes: list[str]) -> dict[str, dict[str, int]]:
    """The catalog words that may be within a typo or two of each misspelt word: those starting
    with its first letter, or with its first two letters swapped (a first letter wrong in another
    way counts as two typos, as in Meilisearch, so it is not looked for), of a fitting length.
    Two ranges of the word index each: a few hundred words at most."""
    ranges = []
    for word in complete + prefixes:
        shortest = len(word) - allowed_typos(word)
        longest = len(word) + allowed_typos(word) if word in complete else MAX_WORD_LENGTH
        for start in {word[0], word[1] + word[0]}:
            ranges.append((word, start, start[:-1] + chr(ord(start[-1]) + 1), shortest, longest))
    rows = db.fetch_all(
        connection,
        """
        SELECT typed.word AS typed, s.word, s.products
        FROM unnest(
            CAST(:typed AS text[]), CAST(:lowest AS text[]), CAST(:above AS text[]),
            CAST(:shortest AS integer[]), CAST(:longest AS integer[])
        ) AS typed(word, lowest, above, shortest, longest)
        JOIN search_words AS s
          ON s.word ~>=~ typed.lowest
         AND s.word ~<~ typed.above
         AND length(s.word) BETWEEN typed.shortest AND typed.longest
         -- Model numbers (c927, s652) are most of the catalog's words: a word of letters skips them.
         AND (typed.word ~ '[0-9]' OR s.word !~ '[0-9]')
        """,
        typed=[row[0] for row in ranges],
        lowest=[row[1] for row in ranges],
        above=[row[2] for row in ranges],
        shortest=[row[3] for row in ranges],
        longest=[row[4] for row in ranges],
    )
    candidates: dict[str, dict[str, int]] = {}
    for row in rows:
        words = candidates.setdefault(row["typed"], {})
        words[row["word"]] = words.get(row["word"], 0) + int(row["products"])
    return candidates


# A text's words, split as search_words splits them; it holds a group when it holds one of its words.
TEXT_WORDS = "regexp_split_to_array(lower({}), '[^[:alnum:]]+')"
# One condition per typed word (MAX_WORDS of them): an unused one is NULL, which PostgreSQL folds
# away (psycopg2 sends parameters inline). Arrays: a regular expression with a lookahead per word
# cost 0.2 ms a row.
HOLDS_EVERY_GROUP = " AND ".join(
    f"(CAST(:group_{number} AS text[]) IS NULL OR {{words}} && CAST(:group_{number} AS text[]))"
    for number in range(MAX_WORDS)
)


def _group_params(groups: list[Group]) -> dict[str, list[str] | None]:
    """Each group's words as the parameters of HOLDS_EVERY_GROUP."""
    return {
        f"group_{number}": sorted(groups[number].words) if number < len(groups) else None for number in range(MAX_WORDS)
    }


def _tsquery(groups: list[Group]) -> str:
    """The same words as a to_tsquery text: every group, any of its words. Catalog words are
    letters and digits only: nothing to escape."""
    return " & ".join("(" + " | ".join(sorted(group.words)) + ")" for group in groups)


def list_products(connection: Connection, groups: list[Group]) -> list[dict]:
    """The most popular listed products (not variants) whose name, brand or tags hold a word of
    every group. Candidates: the kept best-selling products of the rarest group's words, whose
    kept words hold every group; the best are then checked against the product itself. For one
    word that is exact (each catalog word's SHOWN_PRODUCTS best are kept). For several, when the
    kept rows give fewer than SHOWN_PRODUCTS and a word has more products than kept, the name
    index finds the rest if the rarest group is in at most FURTHER_UP_TO products (asking it for
    two common words took over 100 ms); otherwise fewer are shown."""
    one_word = len(groups) == 1
    rarest = min(groups, key=lambda group: sum(group.words.values()))
    title_words = TEXT_WORDS.format("p.name || ' ' || p.search_terms")
    rows = db.fetch_all(
        connection,
        f"""
        WITH kept AS MATERIALIZED (
            SELECT typed.word, kept.product_id, kept.units_sold, kept.holds_every_group
            FROM unnest(CAST(:rarest AS text[])) AS typed(word)
            CROSS JOIN LATERAL (
                SELECT s.product_id, s.units_sold,
                       {HOLDS_EVERY_GROUP.format(words="s.title_words")} AS holds_every_group
                FROM search_suggestions AS s
                WHERE s.word = typed.word
                ORDER BY s.units_sold DESC, s.product_id
                LIMIT :per_word
            ) AS kept
        ),
        candidates AS MATERIALIZED (
            SELECT DISTINCT product_id, units_sold
            FROM kept
            WHERE holds_every_group
            ORDER BY units_sold DESC, product_id
            LIMIT :candidates
        ),
        found AS MATERIALIZED (
            SELECT p.id, p.name, p.units_sold
            FROM products AS p
            CROSS JOIN LATERAL (SELECT {title_words} AS words) AS words
            WHERE p.id IN (SELECT product_id FROM candidates)
              AND p.status = 'listed'
              AND p.parent_id IS NULL
              AND {HOLDS_EVERY_GROUP.format(words="words.words")}
            ORDER BY p.units_sold DESC, p.id
            LIMIT :shown
        ),
        -- Fewer than shown, and a word with more products than the table keeps: the name index
        -- (products_name_search_idx, 0027) finds the rest in a bitmap scan, when the rarest group
        -- is rare enough for that to be quick. Words only in a brand or tag are not looked for so.
        further AS MATERIALIZED (
            SELECT p.id, p.name, p.units_sold
            FROM products AS p
            CROSS JOIN LATERAL (SELECT {title_words} AS words) AS words
            WHERE :look_further
              AND (SELECT count(*) FROM found) < :shown
              AND EXISTS (SELECT FROM kept GROUP BY word HAVING count(*) >= :per_word)
              AND numnode(to_tsquery('english', :tsquery)) > 0
              AND to_tsvector('english', p.name) @@ to_tsquery('english', :tsquery)
              AND p.status = 'listed'
              AND p.parent_id IS NULL
              AND {HOLDS_EVERY_GROUP.format(words="words.words")}
            LIMIT :further_rows
        )
        SELECT id, name
        FROM (
            SELECT id, name, units_sold FROM found
            UNION
            SELECT id, name, units_sold FROM further
        ) AS suggested
        ORDER BY units_sold DESC, id
        LIMIT :shown
        """,  # noqa: S608 - constant SQL: the module's own text, every value a parameter
        rarest=sorted(rarest.words),
        per_word=SHOWN_PRODUCTS if one_word else SUGGESTIONS_PER_WORD,
        # A few more than shown: a kept row may be stale (a product renamed or taken down since).
        candidates=SHOWN_PRODUCTS + 4,
        look_further=not one_word and sum(rarest.words.values()) <= FURTHER_UP_TO,
        tsquery=_tsquery(groups),
        shown=SHOWN_PRODUCTS,
        further_rows=FURTHER_UP_TO,
        **_group_params(groups),
    )
    return [{"id": row["id"], "name": row["name"]} for row in rows]


def list_categories(connection: Connection, groups: list[Group]) -> list[dict]:
    """Categories whose name (or department's name) holds every group's word, or for the word
    being typed (unless it was a typo) a word starting with it; those whose own name does first."""
    last = groups[-1]
    starts = last.typed if last.prefix and not last.typo else None
    complete = groups[:-1] if starts else groups
    return [
        dict(row)
        for row in db.fetch_all(
            connection,
            f"""
            SELECT c.name, c.slug, d.name AS department
            FROM categories AS c
            JOIN departments AS d ON d.id = c.department_id
            CROSS JOIN LATERAL (SELECT {TEXT_WORDS.format("c.name || ' ' || d.name")} AS words) AS words
            WHERE {HOLDS_EVERY_GROUP.format(words="words.words")}
              AND (CAST(:starts AS text) IS NULL
                   OR EXISTS (SELECT 1 FROM unnest(words.words) AS w(word) WHERE starts_with(w.word, :starts)))
            ORDER BY (CAST(:starts AS text) IS NULL OR lower(c.name) ~ ('(^|[^[:alnum:]])' || :starts)) DESC,
                     c.name, c.id
            LIMIT :shown
            """,  # noqa: S608 - constant SQL: the module's own text, every value a parameter
            starts=starts,
            shown=SHOWN_CATEGORIES,
            **_group_params(complete),
        )
    ]


def refresh(connection: Connection) -> None:
    """Rebuild search_suggestions: every word's most popular listed products, as sold now."""
    db.execute(connection, "SELECT refresh_search_suggestions()")


@jobs.periodic("search.suggestions", every=timedelta(hours=1))
def refresh_job(connection: Connection, payload: dict) -> None:
    """Periodic: re-rank the kept suggestions by units sold, drop unlisted products' rows."""
    refresh(connection)
