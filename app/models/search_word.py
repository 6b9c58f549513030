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
from app.search_text import SearchText, parts, read, with_synonyms

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
    words = read(text)
    if correct:
        words = _corrected(connection, words)
    return with_synonyms(words)


def _corrected(connection: Connection, words: SearchText) -> SearchText:
    """Each word that is not a catalog word replaced by its nearest catalog words: a token that is
    one word by up to MAX_CORRECTIONS of them, a word inside a token ("down-altrnative") by the
    nearest."""
    checked = sorted(
        {
            part
            for group in words.groups
            if group.is_word and len(group.alternatives) == 1
            for part in parts(group.alternatives[0][0])
            if allowed_typos(part) and part.isalpha()
        }
    )
    if not checked:
        return words
    rows = db.fetch_all(
        connection,
        """
        WITH typed AS MATERIALIZED (
            SELECT typed.word,
                   EXISTS (SELECT 1 FROM search_words AS s WHERE s.word = typed.word)
                   OR EXISTS (
                       SELECT 1 FROM products AS p WHERE p.search_vector @@ plainto_tsquery('english', typed.word)
                   ) AS known
            FROM unnest(CAST(:words AS text[])) AS typed(word)
        )
        SELECT typed.word AS typed, typed.known, near.word, near.products
        FROM typed
        LEFT JOIN LATERAL (
            SELECT s.word, s.products
            FROM search_words AS s
            WHERE NOT typed.known
            ORDER BY s.word <-> typed.word
            LIMIT :nearest
        ) AS near ON true
        """,
        words=checked,
        nearest=NEAREST,
    )
    corrections = _corrections(rows)
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
    return replace(words, groups=tuple(groups), corrected=bool(corrections))


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
