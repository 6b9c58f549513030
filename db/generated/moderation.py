"""Moderation in the demo data: staff roles, a few hidden reviews with the reports that led to
them, open and dismissed reports, site feedback (some of it answered), searches that found
nothing, and the audit rows of everything the console did.

Counts are small (a fraction of a percent of reviews), so this plans row by row in Python from
its own random stream. Hidden reviews leave the rating summaries (summaries.py), as the rating
triggers of migration 0009 would have it.
"""

import json
import random
from dataclasses import dataclass

import numpy as np

from .people import ADMIN_ID, MODERATOR_ID, People
from .reviews import Reviews, ReviewSet
from .texts import escape_copy
from .timeline import DAY, HOUR, MINUTE, NO_TIME, Timeline

HIDDEN_SHARE = 0.003  # of reviews of each kind, at least MIN_HIDDEN
MIN_HIDDEN = 2
OPEN_SHARE = 0.003  # reviews with open reports, at least MIN_OPEN
MIN_OPEN = 4
DISMISSED_SHARE = 0.0015
MIN_DISMISSED = 2
FEEDBACK_PER_USER = 0.03
MIN_FEEDBACK = 6
ANSWERED_SHARE = 0.6
MISS_DAYS = 30

HIDE_REASONS = (
    "Advertises another shop.",
    "Abusive language.",
    "Written by the seller's relative (they said so).",
    "About the delivery company, not the product.",
)
DISMISS_REASONS = ("Harsh but honest.", "Fits the rules: a real experience.")
REPORT_REASONS = ("spam", "offensive", "conflict_of_interest", "off_topic", "other")
REPORT_DETAILS = ("", "", "Looks copied from another review.", "Mentions a competitor's site.", "Rude to the seller.")
FEEDBACK = {
    "suggestion": (
        ("Wish lists", "Let me save products to a wish list and share it."),
        ("Dark mode", "The site is bright at night: a dark theme would help."),
        ("Compare products", "A way to compare two products side by side."),
        ("Gift wrapping", "Sellers could offer gift wrapping at checkout."),
    ),
    "problem": (
        ("Search misses obvious items", "Searching 'tshirt' finds nothing but 't-shirt' does."),
        ("Slow product page", "The page of a best seller took a few seconds to load."),
        ("Wrong time in my orders", "My order times look an hour off after the clock change."),
        ("Image upload failed", "A 4 MB photo was refused without saying why."),
    ),
}
ANSWERS = (
    "Thanks! We added it to our list.",
    "Fixed in this week's release: thank you for telling us.",
    "We could not reproduce this; write again if it happens.",
)
PAGES = ("", "/products", "/cart", "/purchases", "/seller/inventory", "/account")
MISSED_QUERIES = (
    "tshirt",
    "iphone 17 case",
    "gluten free pasta",
    "vinyl record player",
    "left handed scissors",
    "usb c hub",
    "kombucha kit",
    "drone",
    "sourdough starter",
    "e-bike battery",
    "ps5",
    "yoga wheel",
)


@dataclass(frozen=True)
class Moderation:
    """Hidden reviews per kind (as arrays over each review set) and every other moderation row."""

    product_hidden_at: np.ndarray  # seconds, NO_TIME where shown (indexed by review id - 1)
    seller_hidden_at: np.ndarray
    product_hidden_reason: list[str]  # COPY-escaped, "" where shown
    seller_hidden_reason: list[str]
    reports: list[
        tuple
    ]  # (product_review_id, seller_review_id, reporter, reason, details, created, resolved, resolution)
    feedback: list[tuple]  # (user, kind, subject, body, page, created, closed, closed_by, response)
    misses: list[tuple]  # (day as seconds, query, searches)
    audit: list[tuple]  # (created, actor, role, action, target_type, target_id, reason, before, after, ip)


def _count(size: int, share: float, minimum: int) -> int:
    return min(size, max(minimum, round(size * share)))


def _reporters(author: int, start: int, end: int, people: People, how_many: int, chooser: random.Random):
    """Distinct users (not the author) registered before `start`, with report times in [start, end)."""
    registered = int(people.registered_before(np.array([start]))[0])
    chosen: set[int] = set()
    for _ in range(10 * how_many):  # draws, not a list of every user: large scales have 100,000
        if len(chosen) == how_many or registered < 2:
            break
        user = chooser.randint(1, registered)
        if user != author:
            chosen.add(user)
    return [(user, chooser.randrange(start, max(start + 1, end))) for user in sorted(chosen)]


def _snapshot(values: dict) -> str:
    return escape_copy(json.dumps(values, sort_keys=True))


def audit_row(created: int, actor: int | None, action: str, target: tuple, reason: str, before, after) -> tuple:
    """One audit row as Moderation.audit holds it: the staff act from 192.0.2.<id>, the command line
    as itself; `before` and `after` are snapshots (dicts) as app/models/audit.py writes them."""
    role = "command line" if actor is None else ("administrator" if actor == ADMIN_ID else "moderator")
    address = "command line" if actor is None else f"192.0.2.{actor}"
    before_text, after_text = (None if value is None else _snapshot(value) for value in (before, after))
    return (created, actor, role, action, *target, escape_copy(reason), before_text, after_text, address)


class _Planner:
    """Collects the rows while walking the review sets."""

    def __init__(self, people: People, timeline: Timeline, chooser: random.Random) -> None:
        self.people, self.timeline, self.chooser = people, timeline, chooser
        self.reports: list[tuple] = []
        self.audit: list[tuple] = []

    def report(self, kind: str, review_id: int, reporter: int, created: int, resolved: int | None, resolution):
        ids = (review_id, None) if kind == "product" else (None, review_id)
        reason = self.chooser.choice(REPORT_REASONS)
        details = self.chooser.choice(REPORT_DETAILS)
        self.reports.append((*ids, reporter, reason, details, created, resolved, resolution))

    def act(self, created: int, actor: int | None, action: str, target: tuple, reason: str, before, after) -> None:
        self.audit.append(audit_row(created, actor, action, target, reason, before, after))

    def moderate(self, kind: str, reviews: ReviewSet) -> tuple[np.ndarray, list[str]]:
        """Hide some reviews (with the reports before), leave open and dismissed reports on others."""
        count = len(reviews.target)
        hidden_at = np.full(count, NO_TIME, dtype=np.int64)
        reasons = [""] * count
        late = [index for index in range(count) if reviews.created[index] < self.timeline.now - 3 * DAY]
        hidden = _count(count, HIDDEN_SHARE, MIN_HIDDEN)
        dismissed = _count(count, DISMISSED_SHARE, MIN_DISMISSED)
        opened = _count(count, OPEN_SHARE, MIN_OPEN)
        picked = self.chooser.sample(late, min(len(late), hidden + dismissed + opened))
        for position, index in enumerate(picked):
            review_id, author, written = index + 1, int(reviews.author[index]), int(reviews.created[index])
            if position < hidden + dismissed:
                decided = self.chooser.randrange(written + 2 * HOUR, self.timeline.now - HOUR)
                reporters = _reporters(
                    author, written + HOUR, decided - MINUTE, self.people, self.chooser.randint(1, 3), self.chooser
                )
                if not reporters:
                    continue
                resolution = "hidden" if position < hidden else "dismissed"
                for reporter, at in reporters:
                    self.report(kind, review_id, reporter, at, decided, resolution)
                pool = HIDE_REASONS if resolution == "hidden" else DISMISS_REASONS
                reason = self.chooser.choice(pool)
                if resolution == "hidden":
                    hidden_at[index], reasons[index] = decided, escape_copy(reason)
                    self.act(
                        decided,
                        MODERATOR_ID,
                        "review.hide",
                        (f"{kind}_review", review_id),
                        reason,
                        {"hidden": False, "rating": int(reviews.rating[index])},
                        {"hidden": True, "reports_closed": len(reporters)},
                    )
                else:
                    self.act(
                        decided,
                        MODERATOR_ID,
                        "review.dismiss_reports",
                        (f"{kind}_review", review_id),
                        reason,
                        None,
                        {"reports_closed": len(reporters)},
                    )
            else:
                since = max(written + HOUR, self.timeline.now - 10 * DAY)
                for reporter, at in _reporters(author, since, self.timeline.now - MINUTE, self.people, 1, self.chooser):
                    self.report(kind, review_id, reporter, at, None, None)
        return hidden_at, reasons


def _feedback(people: People, timeline: Timeline, planner: _Planner, chooser: random.Random) -> list[tuple]:
    """Feedback from users over the last months; some of it answered by the staff."""
    rows = []
    for _ in range(max(MIN_FEEDBACK, round(people.count * FEEDBACK_PER_USER))):
        created = chooser.randrange(timeline.now - 120 * DAY, timeline.now - HOUR)
        registered = int(people.registered_before(np.array([created]))[0])
        user = chooser.randrange(1, registered + 1)
        kind = chooser.choice(list(FEEDBACK))
        subject, body = chooser.choice(FEEDBACK[kind])
        closed = closer = response = None
        if chooser.random() < ANSWERED_SHARE and created < timeline.now - 3 * HOUR:
            closed = chooser.randrange(created + HOUR, min(created + 3 * DAY, timeline.now - MINUTE))
            closer, response = chooser.choice((ADMIN_ID, MODERATOR_ID)), chooser.choice(ANSWERS)
        rows.append((user, kind, subject, body, chooser.choice(PAGES), created, closed, closer, response))
    rows.sort(key=lambda row: row[5])
    for number, row in enumerate(rows, start=1):
        if row[6] is not None:
            planner.act(row[6], row[7], "feedback.close", ("feedback", number), "", None, {"response": row[8]})
    return rows


def _misses(timeline: Timeline, chooser: random.Random) -> list[tuple]:
    """Searches that found nothing, counted per query and day over the last MISS_DAYS days."""
    rows = []
    for days_ago in range(MISS_DAYS, 0, -1):
        day = timeline.now - days_ago * DAY
        for query in chooser.sample(MISSED_QUERIES, chooser.randint(2, 6)):
            rows.append((day, query, chooser.randint(1, 12)))
    return rows


def make_moderation(people: People, reviews: Reviews, timeline: Timeline, rng: np.random.Generator) -> Moderation:
    """Plan every moderation row; the staff get their roles first (from the command line, then the console)."""
    chooser = random.Random(int(rng.integers(0, 2**32)))
    planner = _Planner(people, timeline, chooser)
    granted = int(people.created_at[MODERATOR_ID - 1]) + HOUR
    planner.act(
        granted,
        None,
        "user.role",
        ("user", ADMIN_ID),
        "granted with ./setup.sh admin",
        {"role": "user"},
        {"role": "administrator"},
    )
    planner.act(
        granted + 10 * MINUTE,
        ADMIN_ID,
        "user.role",
        ("user", MODERATOR_ID),
        "Runs the review queue.",
        {"role": "user"},
        {"role": "moderator"},
    )
    product_hidden_at, product_reasons = planner.moderate("product", reviews.products)
    seller_hidden_at, seller_reasons = planner.moderate("seller", reviews.sellers)
    feedback = _feedback(people, timeline, planner, chooser)
    planner.reports.sort(key=lambda row: row[5])
    planner.audit.sort(key=lambda row: row[0])
    return Moderation(
        product_hidden_at=product_hidden_at,
        seller_hidden_at=seller_hidden_at,
        product_hidden_reason=product_reasons,
        seller_hidden_reason=seller_reasons,
        reports=planner.reports,
        feedback=feedback,
        misses=_misses(timeline, chooser),
        audit=planner.audit,
    )
