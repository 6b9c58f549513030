"""The catalog's words (table search_words, migration 0027): what a search's words are checked
against, and where a misspelt word finds its corrections.

Typo rules as Meilisearch and Algolia have them: a word of 5 to 8 letters may be one typo away
from a catalog word, one of 9 or more two; shorter words must be exact. A typo is a letter
changed, added, dropped or two neighbours swapped (optimal string alignment distance). A word is
corrected only when it is not a catalog word at all (not in search_words, and in no product's
text), so exact matches always come first: a search is either exact or corrected.
"""

import re
from dataclasses import replace
from datetime import timedelta

from rapidfuzz.distance import OSA
from sqlalchemy import Connection

from app import db, jobs
from app.search_text import SearchText, has_synonyms, parts, read, with_synonyms

NEAREST = 40  # trigram neighbours of a word whose typo distance is checked
MAX_CORRECTIONS = 3  # per word: the equally near corrections with the most products


def allowed_typos(word: str) -> int:
    """How many typos a word of this length may have."""
    if len(word) >= 9:
        return 2
    if len(word) >= 5:
        return 1
    return 0


def prepare(connection: Connection, text: str, correct: bool = True) -> SearchText:
    """The search text read into groups (app/search_text.py), each misspelt word replaced by its
    corrections (unless `correct` is False), with synonyms."""
    words, counts = _looked_up(connection, read(text), correct)
    words = with_synonyms(words)
    return replace(words, frequency=_frequency(words, counts))


def _looked_up(connection: Connection, words: SearchText, correct: bool) -> tuple[SearchText, dict]:
    """The words looked up in the catalog's words: each that is not one replaced by its nearest
    (unless not `correct`; a token that is one word by up to MAX_CORRECTIONS of them, a word inside
    a token, "down-altrnative", by the nearest), and how many titles hold each word found."""
    checked = sorted({part for group in words.positive for tokens in group.alternatives for part in _parts(tokens)})
    if not checked:
        return words, {}
    rows = db.fetch_all(
        connection,
        """
        WITH typed AS MATERIALIZED (
            SELECT typed.word, typed.correctable,
                   -- 0: added since the last recount, so not known (NULL), not rare
                   (SELECT nullif(max(s.products), 0) FROM search_words AS s WHERE s.word = typed.word) AS products
            FROM unnest(CAST(:words AS text[]), CAST(:correctable AS boolean[])) AS typed(word, correctable)
        ),
        checked AS MATERIALIZED (
            SELECT typed.*,
                   -- Through the index whatever the planner guesses (migration 0033)
                   typed.products IS NOT NULL OR NOT typed.correctable OR catalog_has_word(typed.word) AS known
            FROM typed
        )
        SELECT checked.word AS typed, checked.known, checked.products AS typed_products, near.word, near.products
        FROM checked
        LEFT JOIN LATERAL (
            SELECT s.word, s.products
            FROM search_words AS s
            WHERE NOT checked.known
            ORDER BY s.word <-> checked.word
            LIMIT :nearest
        ) AS near ON true
        """,
        words=checked,
        correctable=[correct and _is_correctable(word, words) for word in checked],
        nearest=NEAREST,
    )
    counts = {row["typed"]: row["typed_products"] for row in rows}
    corrections = _corrections(rows)
    counts |= {word: products for row in rows if (word := row["word"]) and (products := row["products"]) is not None}
    groups = []
    for group in words.groups:
        token = group.alternatives[0][0] if group.is_word and len(group.alternatives) == 1 else None
        if token is not None and token in corrections:
            found = corrections[token]
            group = replace(group, alternatives=tuple((word,) for word in found), corrected=found[0])
        elif token is not None and any(part in corrections for part in parts(token)):
            fixed = re.sub(r"[^\W_]+", lambda match: corrections.get(match[0], [match[0]])[0], token)
            group = replace(group, alternatives=((fixed,),), corrected=fixed)
        groups.append(group)
    return replace(words, groups=tuple(groups), corrected=bool(corrections)), counts


def _parts(tokens: tuple[str, ...]) -> list[str]:
    return [part for token in tokens for part in parts(token)]


def _is_correctable(word: str, words: SearchText) -> bool:
    """Whether a word may be corrected: long enough for a typo, letters only, without synonyms
    ("couch" is not "touch" misspelt: it is a sofa), and a single typed word or a part of one (not
    inside a phrase or an OR)."""
    if not (allowed_typos(word) and word.isalpha()) or has_synonyms(word):
        return False
    return any(
        group.is_word and len(group.alternatives) == 1 and word in parts(group.alternatives[0][0])
        for group in words.positive
    )


def _frequency(words: SearchText, counts: dict[str, int | None]) -> int | None:
    """How many products the search likely matches, from how many titles hold its words: the least
    of its groups' (each the sum of its alternatives', each its rarest word's); None when no group's
    words are all catalog words. Only a guess (descriptions are not counted), used to pick which
    count runs first, never to answer."""
    groups = []
    for group in words.positive:
        alternatives = [[counts.get(part) for part in _parts(tokens)] for tokens in group.alternatives]
        if all(found and None not in found for found in alternatives):
            groups.append(sum(min(found) for found in alternatives))
    return min(groups) if groups else None


def _corrections(rows) -> dict[str, list[str]]:
    """typed word → its corrections, nearest then most products first, for the unknown words."""
    near: dict[str, dict[str, tuple[int, int]]] = {}
    known = {row["typed"] for row in rows if row["known"]}
    for row in rows:
        typed = row["typed"]
        if typed in known or row["word"] is None:
            continue
        distance = OSA.distance(typed, row["word"], score_cutoff=allowed_typos(typed))
        if distance <= allowed_typos(typed):
            found = near.setdefault(typed, {})
            found[row["word"]] = min(found.get(row["word"], (distance, 0)), (distance, -row["products"]))
    corrections = {}
    for typed, found in near.items():
        nearest = min(distance for distance, _ in found.values())
        best = sorted((key for key in found.items() if key[1][0] == nearest), key=lambda item: (item[1][1], item[0]))
        corrections[typed] = [word for word, _ in best[:MAX_CORRECTIONS]]
    return corrections


@jobs.periodic("search.words", every=timedelta(hours=1))
def recount(connection: Connection, payload: dict) -> None:
    """Recount how many products hold each catalog word, dropping words no product holds any more
    and merging the twins two transactions may have added at once (migration 0027)."""
    db.fetch_one(connection, "SELECT recount_search_words() IS NULL AS done")
