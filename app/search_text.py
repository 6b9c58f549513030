"""A shopper's search text, read into what the catalog's SQL matches (app/models/search.py).

The text is read the way search boxes read it: words a product must all match, "a phrase" in
quotes, -word for a word it must not have, and `a OR b` for either. Each such part becomes a
Group: alternatives any of which matches (a word, its synonyms from search_synonyms.txt, the
corrections of a misspelt word). The groups, ANDed, are one tsquery.

A token is what the shopper typed between spaces ("6.1-inch", "wool-blend", "hdr10+"), without
quotes or backslashes, always inside a bound parameter and quoted for to_tsquery, whose parser
splits it as to_tsvector split the product's text ('6.1' <-> 'inch') and stems it the same way.
"""

import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

SYNONYMS_FILE = Path(__file__).with_name("search_synonyms.txt")
MAX_ALTERNATIVES = 6  # per group: each one is a posting list the GIN index reads

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
_WORD = re.compile(r"[^\W_]+")
_NOT_IN_TOKENS = re.compile(r"['\"\\]+")  # what would end or escape a quoted to_tsquery operand


@dataclass(frozen=True)
class Group:
    """One thing a product must match (or, negated, must not): any of `alternatives`, each a word
    or a phrase (a tuple of words in order)."""

    alternatives: tuple[tuple[str, ...], ...]  # each a phrase of tokens
    negated: bool = False
    typed: str = ""  # the word or phrase as the shopper typed it (lower case)
    corrected: str | None = None  # the correction shown, when the typed word is not a catalog word

    @property
    def is_word(self) -> bool:
        """A single typed word (not a phrase, not negated): what may be corrected or have synonyms."""
        return not self.negated and len(self.alternatives[0]) == 1

    @property
    def shown(self) -> str:
        """The group as the "Showing results for" line writes it."""
        return self.corrected or self.typed

    def tsquery(self, weight: str = "") -> str:
        """The group as to_tsquery text: '(a | b <-> c)'; `weight` 'A' restricts it to titles."""
        suffix = f":{weight}" if weight else ""
        phrases = [" <-> ".join(f"'{token}'{suffix}" for token in tokens) for tokens in self.alternatives]
        return "(" + " | ".join(phrases) + ")"


@dataclass(frozen=True)
class SearchText:
    """The parts of a search text, in order."""

    groups: tuple[Group, ...]
    corrected: bool = field(default=False)  # some word was replaced by its corrections
    frequency: int | None = None  # a guess at how many products match (search_word._frequency)

    @property
    def positive(self) -> tuple[Group, ...]:
        return tuple(group for group in self.groups if not group.negated)

    @property
    def shown(self) -> str:
        """The search as the shopper would have typed it with every correction made."""
        parts = []
        for group in self.groups:
            text = group.shown
            if len(group.alternatives[0]) > 1 and not group.corrected:
                text = f'"{text}"'
            parts.append(("-" if group.negated else "") + text)
        return " ".join(parts)

    def tsquery(self, weight: str = "", positive_only: bool = False) -> str:
        """The whole search as to_tsquery text: every group, ANDed; `weight` ('A', 'AB' …) asks
        for the positive groups within those parts of search_vector (the negated ones are already
        left out by the match itself), as does `positive_only`."""
        parts = [
            ("!" if group.negated else "") + group.tsquery(weight)
            for group in self.groups
            if not (group.negated and (weight or positive_only))
        ]
        return " & ".join(parts)

    def with_groups(self, groups: list[Group]) -> "SearchText":
        return replace(self, groups=tuple(groups))


def read(text: str) -> SearchText:
    """The groups of a search text: words, "phrases", -exclusions and `OR`s between them."""
    groups: list[Group] = []
    join_next = False
    for match in _TOKEN.finditer(text.lower()):
        quoted_minus, quoted, minus, bare = match.groups()
        if bare == "or" and groups and not groups[-1].negated:
            join_next = True
            continue
        words = tokens(quoted if quoted is not None else bare)
        if not words:
            continue
        negated = bool(quoted_minus or minus)
        typed = " ".join(words)
        if join_next and not negated:
            previous = groups.pop()
            alternatives = _unique((*previous.alternatives, words))
            groups.append(Group(alternatives, typed=f"{previous.typed} or {typed}"))
        elif not any(group.typed == typed and group.negated == negated for group in groups):
            groups.append(Group((words,), negated=negated, typed=typed))
        join_next = False
    return SearchText(tuple(groups))


def tokens(text: str) -> tuple[str, ...]:
    """The tokens of a text: its space-separated parts that hold a letter or digit, without quotes
    and backslashes, and without punctuation at either end ("lamp," is "lamp")."""
    found = []
    for part in _NOT_IN_TOKENS.sub("", text).split():
        words = _WORD.findall(part)
        if words:
            start, end = part.index(words[0]), part.rindex(words[-1]) + len(words[-1])
            found.append(part[start:end])
    return tuple(found)


def parts(token: str) -> list[str]:
    """The letters-and-digits runs of a token ("down-altrnative" → down, altrnative)."""
    return _WORD.findall(token)


def with_synonyms(text: SearchText) -> SearchText:
    """Each word and each correction of a word given its synonyms as further alternatives."""
    synonyms = _synonyms()
    groups = []
    for group in text.groups:
        if group.negated or not group.is_word:
            groups.append(group)
            continue
        more = [synonym for words in group.alternatives for synonym in synonyms.get(words, ())]
        groups.append(replace(group, alternatives=_unique((*group.alternatives, *more))[:MAX_ALTERNATIVES]))
    return text.with_groups(groups)


def has_synonyms(word: str) -> bool:
    return (word,) in _synonyms()


@functools.cache
def _synonyms() -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Each listed word or phrase → the others of its line."""
    table: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        entries = [tuple(_WORD.findall(entry.lower())) for entry in line.split(",")]
        entries = [entry for entry in entries if entry]
        for entry in entries:
            table[entry] = _unique((*table.get(entry, ()), *(other for other in entries if other != entry)))
    return table


def _unique(items):
    return tuple(dict.fromkeys(items))
