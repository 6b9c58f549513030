"""Product and seller reviews, their summaries, and helpful votes.

The two kinds share their shape, so one set of functions serves both; `kind` picks table
and column names from a fixed allow-list (KINDS), never from user input. Who may write,
edit, delete or vote is checked in the SQL statement itself, not only in the route.
Ratings summaries on products and users are kept by triggers (db/functions.sql, migration 0009):
a review a moderator hid is shown to its author only and leaves the summaries.

Integrity: nobody reviews themselves, and a seller reviews neither a product they created nor
one they offer (or ever offered). "Verified purchase" means the author bought it (or from that
seller) and the line was shipped; other reviews stay, labelled, and can be filtered out.
"""

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from app import db
from app.models import locks


@dataclass(frozen=True)
class Kind:
    reviews: str  # the reviews table
    votes: str  # its helpful-votes table
    subject: str  # the reviewed column: product_id or seller_id


KINDS = {
    "product": Kind("product_reviews", "product_review_votes", "product_id"),
    "seller": Kind("seller_reviews", "seller_review_votes", "seller_id"),
}

# Review list orders. "helpful" (the default) lists the three most helpful reviews first, then
# every other review newest first; it is built in list_reviews from two index walks.
SORTS = {
    "helpful": "r.created_at DESC, r.id DESC",  # the order after the top three
    "newest": "r.created_at DESC, r.id DESC",
    "highest": "r.rating DESC, r.created_at DESC, r.id DESC",
    "lowest": "r.rating ASC, r.created_at DESC, r.id DESC",
}
TOP_HELPFUL = 3


class ReviewRefused(Exception):
    """The review or vote is not allowed; the message says why, for the user."""


SELLER_OF_PRODUCT = "You sell this product (or created it), so you cannot review it."


def _is_subject(kind: Kind, column: str, subject: str) -> str:
    """SQL true when an order line's or offer's `column` names the subject: the seller, or the
    product or one of its variants (orders and offers name variants; reviews name the product)."""
    if kind.subject != "product_id":
        return f"{column} = {subject}"
    variants = f"SELECT variant.id FROM products AS variant WHERE variant.parent_id = {subject}"  # noqa: S608 - fixed fragments
    # One array, not `= subject OR IN (variants)`: the OR kept the product out of the index
    # condition, so a buyer's every order line was read per review (issue 17's product page).
    return f"{column} = ANY(ARRAY[CAST({subject} AS bigint)] || ARRAY({variants}))"


def _bought(kind: Kind, buyer: str, subject: str) -> str:
    """SQL true when `buyer` has a non-cancelled order line for `subject` (product or seller)."""
    return f"""EXISTS (
        SELECT 1 FROM orders AS bought
        WHERE bought.buyer_id = {buyer}
          AND {_is_subject(kind, f"bought.{kind.subject}", subject)}
          AND bought.cancelled_at IS NULL
    )"""  # noqa: S608 - table and column names from the two fixed review kinds


def _received(kind: Kind, buyer: str, subject: str) -> str:
    """SQL true when `buyer` has a shipped order line for `subject`: a verified purchase."""
    return f"""EXISTS (
        SELECT 1 FROM orders AS bought
        WHERE bought.buyer_id = {buyer}
          AND {_is_subject(kind, f"bought.{kind.subject}", subject)}
          AND bought.fulfilled_at IS NOT NULL
    )"""  # noqa: S608 - table and column names from the two fixed review kinds


def _sells_product(author: str, product: str) -> str:
    """SQL true when `author` created the product or has (or had) an offer of it or of a variant."""
    return f"""(
        EXISTS (SELECT 1 FROM products AS own WHERE own.id = {product} AND own.creator_id = {author})
        OR EXISTS (
            SELECT 1 FROM offers AS sold
            WHERE sold.seller_id = {author}
              AND {_is_subject(KINDS["product"], "sold.product_id", product)}
        )
    )"""  # noqa: S608 - fixed fragments naming bound parameters


def summary(kind_name: str, subject_id: int, verified_only: bool = False, viewer_id: int | None = None):
    """Average (one decimal), count, and how many reviews gave each number of stars, over the
    visible reviews; with `verified_only`, also how many of them (per star) are verified purchases.
    Also what the reviews section asks of its viewer: whether they reviewed the subject
    (has_own_review) and, for a product, whether they sell it (sells_product) — one statement
    for all of it, as the product page runs it for every signed-in visitor."""
    kind = KINDS[kind_name]
    # psycopg2 sends :verified_only inline, so when it is false the planner drops the EXISTS.
    verified = f"(:verified_only AND {_received(kind, 'author_id', kind.subject)})"
    sells = _sells_product(":viewer_id", ":subject_id") if kind_name == "product" else "FALSE"
    return db.one(
        f"""
        SELECT EXISTS (
                   SELECT 1 FROM {kind.reviews} AS mine
                   WHERE mine.{kind.subject} = :subject_id AND mine.author_id = :viewer_id
               ) AS has_own_review,
               {sells} AS sells_product,
               count(*) AS count,
               round(avg(rating), 1) AS average,
               count(*) FILTER (WHERE rating = 5) AS stars_5,
               count(*) FILTER (WHERE rating = 4) AS stars_4,
               count(*) FILTER (WHERE rating = 3) AS stars_3,
               count(*) FILTER (WHERE rating = 2) AS stars_2,
               count(*) FILTER (WHERE rating = 1) AS stars_1,
               count(*) FILTER (WHERE {verified}) AS verified,
               count(*) FILTER (WHERE rating = 5 AND {verified}) AS verified_5,
               count(*) FILTER (WHERE rating = 4 AND {verified}) AS verified_4,
               count(*) FILTER (WHERE rating = 3 AND {verified}) AS verified_3,
               count(*) FILTER (WHERE rating = 2 AND {verified}) AS verified_2,
               count(*) FILTER (WHERE rating = 1 AND {verified}) AS verified_1
        FROM {kind.reviews}
        WHERE {kind.subject} = :subject_id
          AND hidden_at IS NULL
        """,  # noqa: S608 - table and column names from the two fixed review kinds
        subject_id=subject_id,
        verified_only=verified_only,
        viewer_id=viewer_id,
    )


def list_reviews(kind_name: str, subject_id: int, viewer_id: int | None, options: dict, limit: int, offset: int):
    """One page of reviews with author, verified-purchase mark and whether the viewer voted.

    options: sort (a SORTS key), stars (1–5 or None) and verified (verified purchases only).
    Hidden reviews are never listed. The page is chosen from the
    reviews table alone (an index walk for "newest"); only its rows are then joined to
    their authors and checked for purchases and votes, so a best seller with thousands of
    reviews costs about what a product with ten does.
    """
    kind = KINDS[kind_name]
    return db.all(
        f"""
        WITH top AS (
            SELECT id, rating, row_number() OVER (ORDER BY helpful_count DESC, created_at DESC, id DESC) AS rank
            FROM {kind.reviews} AS r
            WHERE {kind.subject} = :subject_id
              AND helpful_count > 0
              AND hidden_at IS NULL
              AND (NOT :verified_only OR {_received(kind, "r.author_id", "r." + kind.subject)})
            ORDER BY helpful_count DESC, created_at DESC, id DESC
            LIMIT {TOP_HELPFUL}
        ),
        listed AS (
            -- The rest in the chosen order, walked through an index and cut at the page's end.
            SELECT r.id, row_number() OVER (ORDER BY {SORTS[options["sort"]]}) AS position
            FROM {kind.reviews} AS r
            WHERE r.{kind.subject} = :subject_id
              AND (CAST(:stars AS int) IS NULL OR r.rating = :stars)
              AND r.hidden_at IS NULL
              AND (NOT :verified_only OR {_received(kind, "r.author_id", "r." + kind.subject)})
              AND (NOT :top_first OR r.id NOT IN (SELECT id FROM top))
            ORDER BY {SORTS[options["sort"]]}
            LIMIT :limit + :offset
        ),
        page AS (
            SELECT id, position
            FROM (
                SELECT id, rank - {TOP_HELPFUL} AS position
                FROM top
                WHERE :top_first
                  AND (CAST(:stars AS int) IS NULL OR rating = :stars)
                UNION ALL
                SELECT id, position FROM listed
            ) AS chosen
            ORDER BY position
            LIMIT :limit OFFSET :offset
        )
        SELECT r.id, r.{kind.subject} AS subject_id, r.author_id, a.full_name AS author_name,
               r.rating, r.title, r.body, r.helpful_count, r.created_at, r.updated_at,
               {_received(kind, "r.author_id", "r." + kind.subject)} AS verified,
               EXISTS (
                   SELECT 1 FROM {kind.votes} AS v WHERE v.review_id = r.id AND v.voter_id = :viewer_id
               ) AS voted,
               r.id IN (SELECT id FROM top) AS is_top
        FROM page
        JOIN {kind.reviews} AS r ON r.id = page.id
        JOIN users AS a ON a.id = r.author_id
        ORDER BY page.position
        """,  # noqa: S608 - table and column names from the two fixed review kinds
        subject_id=subject_id,
        viewer_id=viewer_id,
        stars=options.get("stars"),
        verified_only=bool(options.get("verified")),
        top_first=options["sort"] == "helpful",
        limit=limit,
        offset=offset,
    )


def get_reviewed_product(product_id: int):
    """The product a review page is about (id, name and whether it is listed), or None."""
    return db.one(
        "SELECT id, name, status = 'listed' AS listed FROM products WHERE id = :id AND parent_id IS NULL", id=product_id
    )


def get_reviewed_seller(seller_id: int):
    """The seller a review page is about (id and their full name as `name`), or None."""
    return db.one("SELECT id, full_name AS name FROM users WHERE id = :id", id=seller_id)


def get_own_review(kind_name: str, subject_id: int, author_id: int):
    """The author's review of this subject, or None."""
    kind = KINDS[kind_name]
    return db.one(
        f"SELECT * FROM {kind.reviews} WHERE {kind.subject} = :subject_id AND author_id = :author_id",  # noqa: S608 - table and column names from the two fixed review kinds
        subject_id=subject_id,
        author_id=author_id,
    )


def may_review_seller(seller_id: int, author_id: int) -> bool:
    """Only a buyer of the seller (a line not cancelled) may review them."""
    return db.value(
        f"SELECT {_bought(KINDS['seller'], ':author_id', ':seller_id')}", author_id=author_id, seller_id=seller_id
    )


def sells_product(product_id: int, user_id: int) -> bool:
    """Whether the user created the product or offers (or offered) it: then they may not review it."""
    return db.value(f"SELECT {_sells_product(':user_id', ':product_id')}", user_id=user_id, product_id=product_id)


def has_bought_product(product_id: int, buyer_id: int) -> bool:
    return db.value(
        f"SELECT {_bought(KINDS['product'], ':buyer_id', ':product_id')}", buyer_id=buyer_id, product_id=product_id
    )


@db.retry_on_conflict
def save_review(kind_name: str, subject_id: int, author_id: int, rating: int, title: str, body: str) -> bool:
    """Create the author's review or update it; return True if it was new.

    Seller reviews are written only when the author bought from the seller, nobody reviews
    themselves, and a seller never reviews a product they created or offer: the conditions are
    part of the INSERT (an edit is refused by them too, as ON CONFLICT only sees allowed rows).
    """
    kind = KINDS[kind_name]
    allowed = f"NOT {_sells_product(':author_id', ':subject_id')}"
    refusal = SELLER_OF_PRODUCT
    if kind_name == "seller":
        allowed = f":author_id <> :subject_id AND {_bought(kind, ':author_id', ':subject_id')}"
        refusal = "Only buyers of this seller can review them."
    try:
        with db.transaction() as conn:
            _lock_rated_product(conn, kind_name, subject_id)
            row = db.fetch_one(
                conn,
                f"""
                INSERT INTO {kind.reviews} AS r ({kind.subject}, author_id, rating, title, body)
                SELECT :subject_id, :author_id, :rating, :title, :body
                WHERE {allowed}
                ON CONFLICT (author_id, {kind.subject}) DO UPDATE
                SET rating = EXCLUDED.rating,
                    title = EXCLUDED.title,
                    body = EXCLUDED.body,
                    updated_at = now()
                RETURNING (xmax = 0) AS created
                """,  # noqa: S608 - table and column names from the two fixed review kinds
                subject_id=subject_id,
                author_id=author_id,
                rating=rating,
                title=title,
                body=body,
            )
    except IntegrityError as error:  # the product or seller vanished meanwhile
        raise ReviewRefused("That cannot be reviewed.") from error
    if row is None:
        raise ReviewRefused(refusal)
    return row["created"]


@db.retry_on_conflict
def delete_review(kind_name: str, review_id: int, author_id: int) -> bool:
    """Delete the author's own review; False if there is no such review of theirs."""
    kind = KINDS[kind_name]
    with db.transaction() as conn:
        review = db.fetch_one(
            conn,
            f"SELECT {kind.subject} AS subject_id FROM {kind.reviews} WHERE id = :id AND author_id = :author_id",  # noqa: S608 - table and column names from the two fixed review kinds
            id=review_id,
            author_id=author_id,
        )
        if review is None:
            return False
        _lock_rated_product(conn, kind_name, review["subject_id"])
        deleted = db.execute(
            conn,
            f"DELETE FROM {kind.reviews} WHERE id = :id AND author_id = :author_id",  # noqa: S608 - table and column names from the two fixed review kinds
            id=review_id,
            author_id=author_id,
        )
    return deleted == 1


def _lock_rated_product(conn, kind_name: str, subject_id: int) -> None:
    """Lock a reviewed product before its review row: the rating trigger updates the product,
    and every writer locks products before reviews (app/models/locks.py). A seller review
    needs no lock first: its trigger's users row comes after the review in that order."""
    if kind_name == "product":
        locks.lock_products(conn, [subject_id])


def get_review(kind_name: str, review_id: int):
    """A review by id (any author), or None."""
    kind = KINDS[kind_name]
    return db.one(f"SELECT *, {kind.subject} AS subject_id FROM {kind.reviews} WHERE id = :id", id=review_id)  # noqa: S608 - table and column names from the two fixed review kinds


def vote(kind_name: str, review_id: int, voter_id: int, helpful: bool) -> None:
    """Mark a review helpful (or take the vote back). One vote per user; never on one's own.

    Replays and races are harmless: the primary key (review, voter) admits one row, and
    the count follows the rows through a trigger.
    """
    kind = KINDS[kind_name]
    if helpful:
        inserted = db.run(
            f"""
            INSERT INTO {kind.votes} (review_id, voter_id)
            SELECT id, :voter_id
            FROM {kind.reviews}
            WHERE id = :review_id
              AND author_id <> :voter_id
              AND hidden_at IS NULL
            ON CONFLICT (review_id, voter_id) DO NOTHING
            """,  # noqa: S608 - table and column names from the two fixed review kinds
            review_id=review_id,
            voter_id=voter_id,
        )
        if inserted == 0:  # a replayed vote, or a review that is the voter's own or gone
            review = get_review(kind_name, review_id)
            if review is None or review["hidden_at"] is not None:
                raise ReviewRefused("That review no longer exists.")
            if review["author_id"] == voter_id:
                raise ReviewRefused("You cannot vote on your own review.")
    else:
        db.run(
            f"DELETE FROM {kind.votes} WHERE review_id = :review_id AND voter_id = :voter_id",  # noqa: S608 - table and column names from the two fixed review kinds
            review_id=review_id,
            voter_id=voter_id,
        )


def list_by_author(author_id: int, limit: int, offset: int):
    """Everything the user wrote, product and seller reviews together, newest first."""
    return db.all(
        """
        SELECT 'product' AS kind, r.id, r.product_id AS subject_id, p.name AS subject_name,
               r.rating, r.title, r.body, r.helpful_count, r.created_at, r.updated_at, r.hidden_at, r.hidden_reason
        FROM product_reviews AS r
        JOIN products AS p ON p.id = r.product_id
        WHERE r.author_id = :author_id
        UNION ALL
        SELECT 'seller', r.id, r.seller_id, u.full_name,
               r.rating, r.title, r.body, r.helpful_count, r.created_at, r.updated_at, r.hidden_at, r.hidden_reason
        FROM seller_reviews AS r
        JOIN users AS u ON u.id = r.seller_id
        WHERE r.author_id = :author_id
        ORDER BY created_at DESC, id DESC
        LIMIT :limit OFFSET :offset
        """,
        author_id=author_id,
        limit=limit,
        offset=offset,
    )


def count_by_author(author_id: int) -> int:
    return db.value(
        """
        SELECT (SELECT count(*) FROM product_reviews WHERE author_id = :author_id)
             + (SELECT count(*) FROM seller_reviews WHERE author_id = :author_id)
        """,
        author_id=author_id,
    )
