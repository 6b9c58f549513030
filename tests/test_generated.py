"""The demo-data generator: every invariant holds, a seed repeats exactly, the demo logins work.

The generator drops and recreates the public schema, so these tests never touch the session's
test database: they generate into their own database on the same server and drop it afterwards.
"""

import datetime as dt
import hashlib
import os

import pytest
from psycopg2 import sql
from sqlalchemy import text
from werkzeug.security import check_password_hash

from db import manage
from db.check import run_checks
from db.generated import DEMO_API_TOKEN, DEMO_LOGINS, GENERATED_PASSWORD
from db.generated.build import generate
from db.generated.cli import main
from db.generated.journey import STATUSES
from db.generated.scales import SCALES
from db.generated.world import Counts
from tests.direct import fetch

# Per run, so parallel runs on one server (checkouts side by side) do not drop each other's.
GENERATED_DATABASE = f"bazaar_generated_test_{os.getpid()}"
NOW = dt.date(2026, 11, 23)
SEED = 7
# Uploads, failed sign-ins and report snapshots are the app's to make.
EMPTY_BY_DESIGN = {"images", "login_failures", "report_snapshots"}
EMPTY_BY_DESIGN |= {"hidden_threads"}  # a thread deleted for oneself: only by a user, at run time
# Two-factor sign-in and passkeys are off for every generated user (README, "Demo logins").
EMPTY_BY_DESIGN |= {
    "user_totp",
    "recovery_codes",
    "pending_sign_ins",
    "passkey_user_handles",
    "passkeys",
    "passkey_challenges",
    "sign_in_devices",
}
# The guest page cache's versions start at 0 (no row) and are bumped by triggers, off during the load.
EMPTY_BY_DESIGN |= {"page_cache_versions"}
# Made by people using the site and by the worker: sessions, codes, limits, the queue and the outbox.
EMPTY_BY_DESIGN |= {
    "user_sessions",
    "email_codes",
    "password_resets",
    "rate_limit_hits",
    "jobs",
    "periodic_jobs",
    "mail_outbox",
}


@pytest.fixture(scope="module")
def generated_url(database_url):
    """A throwaway database holding the tiny scale, generated once for the module."""
    url = manage.with_database(database_url, GENERATED_DATABASE)
    manage.drop_database(url)
    manage.ensure_database(url)
    generate(url, SCALES["tiny"], SEED, NOW, show_progress=False)
    yield url
    manage.drop_database(url)


def table_names(url: str) -> list[str]:
    """Every table in the public schema."""
    return [name for (name,) in fetch(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]


def table_digests(url: str) -> dict[str, str]:
    """md5 of every table's rows as text, in primary-key order (whole rows for search_words, which
    has no key: see migration 0027)."""
    digests = {}
    for table in table_names(url):
        key = fetch(
            url,
            """
            SELECT array_agg(a.attname ORDER BY k.position)
            FROM pg_index AS i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
            JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = %s::regclass AND i.indisprimary
            """,
            (table,),
        )[0][0]
        order = sql.SQL(", ").join(sql.Identifier(column) for column in key) if key else sql.SQL("t::text")
        query = sql.SQL("SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY {}), '')) FROM {} AS t").format(
            order, sql.Identifier(table)
        )
        digests[table] = fetch(url, query)[0][0]
    return digests


def test_every_invariant_holds(generated_url):
    results = run_checks(generated_url)
    assert len(results) > 40
    assert [(name, count) for name, count in results if count] == []


def test_every_table_has_rows(generated_url):
    counts = {}
    for table in table_names(generated_url):
        counts[table] = fetch(generated_url, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))[0][0]
    # Every table the demo should show has rows; the runtime-only ones may or may not.
    assert {table for table, count in counts.items() if count == 0} <= EMPTY_BY_DESIGN
    assert counts["products"] == SCALES["tiny"].products
    assert counts["purchases"] == SCALES["tiny"].purchases
    assert counts["product_reviews"] == SCALES["tiny"].reviews


def test_three_products_in_five_have_a_drawn_gallery_of_2_to_4_views(generated_url):
    [(products, rows, longest, shortest, uploaded, fronts)] = fetch(
        generated_url,
        """
        SELECT count(DISTINCT product_id), count(*), max(position), min(n), count(image_id),
               count(*) FILTER (WHERE position = 1 AND drawn_view = 1 AND alt_text = 'Front view')
        FROM product_images
        JOIN (SELECT product_id, count(*) AS n FROM product_images GROUP BY product_id) AS sizes USING (product_id)
        """,
    )
    assert products == fronts == SCALES["tiny"].products * 3 // 5
    assert (shortest, longest, uploaded) == (2, 4, 0)  # drawn views only: no stored bytes
    assert rows == products * 3


def test_same_seed_same_rows(generated_url):
    before = table_digests(generated_url)
    generate(generated_url, SCALES["tiny"], SEED, NOW, show_progress=False)
    assert table_digests(generated_url) == before


def test_other_seed_other_rows(generated_url):
    url = manage.with_database(generated_url, GENERATED_DATABASE + "_other")
    try:
        generate(url, SCALES["tiny"], SEED + 1, NOW, show_progress=False)
        before, after = table_digests(generated_url), table_digests(url)
    finally:
        manage.drop_database(url)
    assert after["users"] != before["users"]
    assert after["orders"] != before["orders"]
    assert after["departments"] == before["departments"]


@pytest.mark.parametrize("login", DEMO_LOGINS, ids=lambda login: login.role)
def test_demo_logins_verify(generated_url, login):
    [(password_hash, role, is_admin)] = fetch(
        generated_url, "SELECT password_hash, role, is_admin FROM users WHERE lower(email) = %s", (login.email,)
    )
    assert check_password_hash(password_hash, login.password)
    assert not check_password_hash(password_hash, GENERATED_PASSWORD)
    assert role == (login.role if login.role in ("administrator", "moderator") else "user")
    assert is_admin == (role == "administrator")


def test_the_console_has_something_to_moderate(generated_url):
    [row] = fetch(
        generated_url,
        """
        SELECT (SELECT count(*) FROM product_reviews WHERE hidden_at IS NOT NULL),
               (SELECT count(*) FROM seller_reviews WHERE hidden_at IS NOT NULL),
               (SELECT count(*) FROM review_reports WHERE resolved_at IS NULL),
               (SELECT count(*) FROM review_reports WHERE resolution = 'dismissed'),
               (SELECT count(*) FROM feedback WHERE closed_at IS NULL),
               (SELECT count(*) FROM feedback WHERE closed_at IS NOT NULL),
               (SELECT count(*) FROM search_misses),
               (SELECT count(*) FROM audit_log WHERE action = 'review.hide'),
               (SELECT count(*) FROM audit_log WHERE actor_id IS NULL)
        """,
    )
    assert all(count > 0 for count in row), row


def test_the_console_acted_on_users_products_balances_and_the_catalog(generated_url):
    """Suspended users (offers held, no session), taken-down and waiting products (offers held), balance
    adjustments through the ledger, renames and a move: each with its audit row, as the app writes them."""
    [row] = fetch(
        generated_url,
        """
        SELECT (SELECT count(*) FROM users WHERE suspended_at IS NOT NULL),
               (SELECT count(*) FROM offers AS o JOIN users AS u ON u.id = o.seller_id
                WHERE u.suspended_at IS NOT NULL AND o.moderation_hold),
               (SELECT count(*) FROM products WHERE status = 'taken_down' AND moderation_note IS NOT NULL),
               (SELECT count(*) FROM products WHERE status = 'pending'),
               (SELECT count(*) FROM offers AS o JOIN products AS p ON p.id = o.product_id
                WHERE p.status = 'pending' AND o.moderation_hold),
               (SELECT count(*) FROM balance_ledger WHERE kind = 'adjustment' AND note IS NOT NULL),
               (SELECT count(*) FROM audit_log WHERE action = 'product.approve'),
               (SELECT count(*) FROM audit_log WHERE action = 'category.rename'),
               (SELECT count(*) FROM audit_log WHERE action = 'category.move'),
               (SELECT count(*) FROM audit_log WHERE action IN ('setting.enable', 'setting.disable'))
        """,
    )
    assert all(count > 0 for count in row), row
    suspended, held_for_suspension, taken_down, pending, held_pending, adjustments = row[:6]
    assert suspended >= 2 and held_for_suspension >= 1 and pending >= 1 and held_pending >= 1
    # Nobody suspended holds a session or an active offer; the held offers are exactly those inactive for it.
    [(sessions, active)] = fetch(
        generated_url,
        """
        SELECT (SELECT count(*) FROM user_sessions AS s JOIN users AS u ON u.id = s.user_id
                WHERE u.suspended_at IS NOT NULL),
               (SELECT count(*) FROM offers AS o JOIN users AS u ON u.id = o.seller_id
                WHERE u.suspended_at IS NOT NULL AND o.is_active)
        """,
    )
    assert (sessions, active) == (0, 0)
    # Each change's audit row says what the rows say now.
    [(offers_held, take_downs, balances, names, places, switch)] = fetch(
        generated_url,
        """
        SELECT (SELECT sum((a.after->>'offers_held')::int) FROM audit_log AS a JOIN users AS u ON u.id = a.target_id
                WHERE a.action = 'user.suspend' AND a.reason = u.suspended_reason AND a.created_at = u.suspended_at),
               (SELECT count(*) FROM audit_log AS a JOIN products AS p ON p.id = a.target_id
                WHERE a.action = 'product.take_down' AND a.reason = p.moderation_note),
               (SELECT count(*) FROM audit_log AS a
                JOIN balance_ledger AS l ON l.user_id = a.target_id AND l.kind = 'adjustment'
                WHERE a.action = 'user.balance' AND l.note = a.reason
                  AND (a.after->>'amount')::numeric = l.amount AND (a.after->>'balance')::numeric = l.balance_after),
               (SELECT count(*) FROM audit_log AS a JOIN categories AS c ON c.id = a.target_id
                WHERE a.action = 'category.rename' AND a.after->>'name' = c.name AND a.before->>'name' <> c.name),
               (SELECT count(*) FROM audit_log AS a JOIN categories AS c ON c.id = a.target_id
                WHERE a.action = 'category.move' AND (a.after->>'department_id')::int = c.department_id),
               (SELECT enabled::int FROM site_settings WHERE name = 'product_approval')
        """,
    )
    assert offers_held == held_for_suspension and take_downs == taken_down and balances == adjustments
    assert (names, places) == (row[7], row[8]) and switch == 0  # the queue was switched off again


def test_generated_users_share_the_demo_password(generated_url):
    hashes = fetch(generated_url, "SELECT DISTINCT password_hash FROM users WHERE id > %s", (len(DEMO_LOGINS),))
    assert len(hashes) == 1
    assert check_password_hash(hashes[0][0], GENERATED_PASSWORD)


def test_demo_accounts_have_something_to_show(generated_url):
    [row] = fetch(
        generated_url,
        """
        SELECT (SELECT count(*) FROM purchases WHERE buyer_id = 1),
               (SELECT count(*) FROM cart_lines WHERE user_id = 1 AND NOT saved_for_later),
               (SELECT count(*) FROM cart_lines WHERE user_id = 1 AND saved_for_later),
               (SELECT count(*) FROM product_reviews WHERE author_id = 1),
               (SELECT count(*) FROM messages WHERE 1 IN (sender_id, recipient_id)),
               (SELECT count(*) FROM offers WHERE seller_id = 2),
               (SELECT count(*) FROM orders WHERE seller_id = 2 AND fulfilled_at IS NULL AND cancelled_at IS NULL),
               (SELECT count(*) FROM orders WHERE seller_id = 2 AND fulfilled_at IS NOT NULL),
               (SELECT count(*) FROM seller_reviews WHERE seller_id = 2),
               (SELECT balance FROM users WHERE id = 1)
        """,
    )
    purchases, cart, saved, reviews, messages, offers, pending, fulfilled, seller_reviews, balance = row
    assert purchases >= 10 and cart >= 1 and saved == 1 and reviews >= 1 and messages >= 2
    assert offers >= 10 and pending >= 1 and fulfilled >= 1 and seller_reviews >= 1
    assert balance >= 1000


def test_the_demo_buyer_has_a_wishlist_and_recently_viewed_products(generated_url):
    [row] = fetch(
        generated_url,
        """
        SELECT count(*),
               count(*) FILTER (WHERE w.price_when_added > p.min_price),
               count(*) FILTER (WHERE p.total_stock > 0
                                  AND w.seen_out_at > CAST(%s AS timestamptz) - interval '14 days'),
               count(*) FILTER (WHERE p.total_stock = 0),
               (SELECT count(*) FROM recently_viewed WHERE user_id = 1),
               (SELECT count(DISTINCT user_id) FROM wishlist_items),
               (SELECT max(n) FROM (SELECT count(*) AS n FROM recently_viewed GROUP BY user_id) AS lists)
        FROM wishlist_items AS w
        JOIN products AS p ON p.id = w.product_id
        WHERE w.user_id = 1
        """,
        (NOW,),  # "back in stock" is measured from the data's moment, not today's
    )
    items, cheaper, back_in_stock, out_of_stock, recent, wishers, longest_recent = row
    assert items >= 5 and cheaper >= 1 and back_in_stock >= 1 and out_of_stock >= 1
    assert recent >= 10 and wishers >= 5 and longest_recent <= 20


def test_the_demo_shows_every_order_state_and_promotion(generated_url):
    """Rows in every line state, coupons used up, expired and paused, offers on sale at the data's
    moment (--now), every kind of points and platform ledger row, and returns of lines the platform
    paid part of."""
    moment = dt.datetime(NOW.year, NOW.month, NOW.day, tzinfo=dt.UTC)
    states = {status for (status,) in fetch(generated_url, "SELECT DISTINCT status FROM orders")}
    assert states == set(STATUSES)
    [row] = fetch(
        generated_url,
        """
        SELECT (SELECT count(*) FROM coupons WHERE uses >= max_uses),
               (SELECT count(*) FROM coupons WHERE ends_at <= %(now)s),
               (SELECT count(*) FROM coupons WHERE paused_at IS NOT NULL),
               (SELECT count(*) FROM offers
                WHERE is_active AND sale_price IS NOT NULL AND coalesce(sale_ends_at > %(now)s, true)),
               (SELECT count(*) FROM orders
                WHERE status = 'refunded' AND returned_at IS NOT NULL
                  AND (platform_discount > 0 OR points_spent > 0))
        """,
        {"now": moment},
    )
    used_up, expired, paused, on_sale, platform_funded_returns = row
    assert used_up > 0 and expired > 0 and paused > 0 and on_sale > 0 and platform_funded_returns > 0, row
    points_kinds = {kind for (kind,) in fetch(generated_url, "SELECT DISTINCT kind FROM points_ledger")}
    assert points_kinds == {"earn", "spend", "refund", "reverse", "expire"}
    platform_kinds = {kind for (kind,) in fetch(generated_url, "SELECT DISTINCT kind FROM platform_ledger")}
    assert platform_kinds == {"coupon", "points", "coupon_refund", "points_refund"}


def test_text_fields_survive_copy_escaping(generated_url):
    [(multi_line,)] = fetch(generated_url, "SELECT count(*) FROM users WHERE address LIKE %s", ("%\n%",))
    [(escaped,)] = fetch(generated_url, "SELECT count(*) FROM users WHERE address LIKE %s", ("%\\\\n%",))
    assert multi_line > 0 and escaped == 0


def test_smallest_counts_still_consistent(database_url):
    url = manage.with_database(database_url, GENERATED_DATABASE + "_small")
    manage.drop_database(url)
    try:
        generate(url, Counts(users=10, products=1, offers=1, purchases=0, reviews=0), SEED, NOW, show_progress=False)
        assert [(name, count) for name, count in run_checks(url) if count] == []
    finally:
        manage.drop_database(url)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--users", "-1"], "must not be negative"),
        (["--users", "5"], "--users must be at least 10"),
        (["--products", "10", "--offers", "5"], "--offers must be at least --products"),
        (["--now", "23/11/2026"], "not a YYYY-MM-DD date"),
        (["--scale", "huge"], "invalid choice"),
    ],
)
def test_bad_options_are_refused(arguments, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_print_logins_needs_no_database(capsys, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["--print-logins"]) == 0
    output = capsys.readouterr().out
    assert all(login.email in output and login.password in output for login in DEMO_LOGINS)
    assert DEMO_API_TOKEN in output


def test_some_products_come_in_options(generated_url):
    """Products with options and their variants (issue 17): the variants carry the offers and sales."""
    [(products, variants, offered_variants, sold_variants)] = fetch(
        generated_url,
        """
        SELECT (SELECT count(*) FROM products WHERE cardinality(option_names) > 0),
               (SELECT count(*) FROM products WHERE parent_id IS NOT NULL),
               (SELECT count(DISTINCT o.product_id) FROM offers AS o
                JOIN products AS p ON p.id = o.product_id WHERE p.parent_id IS NOT NULL),
               (SELECT count(DISTINCT o.product_id) FROM orders AS o
                JOIN products AS p ON p.id = o.product_id WHERE p.parent_id IS NOT NULL)
        """,
    )
    assert products >= 1 and variants >= 2 * products
    assert offered_variants >= variants // 2 and sold_variants >= 1


def names_for(products: int, seed: int = SEED):
    """Names (and what they are made of) for `products` products, without a database: the
    categories drawn by weight, as the catalog draws them."""
    import numpy as np

    from db.generated.naming import make_naming
    from db.generated.texts import build_catalog_text
    from db.generated.vocabulary import all_categories

    rng = np.random.default_rng(seed)
    text = build_catalog_text(rng)
    weights = np.array([category.weight for _, category in all_categories()])
    categories = rng.choice(len(weights), size=products, p=weights / weights.sum())
    no_parents = np.zeros(products, dtype=np.int64)
    naming = make_naming(categories, text.tails.pick(categories, rng), text.tails.texts, no_parents, rng)
    return naming, naming.names(slice(0, products))


@pytest.mark.parametrize("scale", ["tiny", "demo", "large"])
def test_names_are_distinct_at_every_scale(scale):
    """Issue 17: at the large scale a million products had 325,143 names; now each is its own
    (brand, line, model; a book's title, imprint and edition). The large scale's million take ~3 s."""
    products = SCALES[scale].products
    _, names = names_for(products)
    assert len(set(names)) / products >= 0.95
    assert max(len(name) for name in names) <= 200


def test_a_model_number_past_900_look_alikes_gets_a_letter():
    import dataclasses
    import re

    import numpy as np

    naming, _ = names_for(20)
    other = int(np.flatnonzero(~np.isin(naming.category, range(5, 10)))[0])  # not a book (categories 6-10)
    fields = ("category", "brand", "line", "word", "noun", "complement", "tail", "salt", "uses", "is_variant")
    same = {field: np.repeat(getattr(naming, field)[other : other + 1], 3, axis=0) for field in fields}
    alike = dataclasses.replace(naming, **same, serial=np.array([5, 905, 1805]))
    names = list(alike.names(slice(0, 3)))
    models = [re.search(r" ([A-Z]\d{3}[A-Z]?)\b", name).group(1) for name in names]
    assert models == [models[0], models[0] + "A", models[0] + "B"]


def test_brands_are_unique_and_stay_in_their_department(generated_url):
    from db.generated.naming import vocabulary

    brands = vocabulary().brands
    assert len({brand.lower() for brand in brands}) == len(brands) >= 8 * 24
    [(departments_per_brand, unbranded)] = fetch(
        generated_url,
        """
        SELECT max(departments), (SELECT count(*) FROM products WHERE brand_id IS NULL AND parent_id IS NULL)
        FROM (
            SELECT p.brand_id, count(DISTINCT c.department_id) AS departments
            FROM products AS p
            JOIN categories AS c ON c.id = p.category_id
            WHERE p.brand_id IS NOT NULL
            GROUP BY p.brand_id
        ) AS spread
        """,
    )
    assert (departments_per_brand, unbranded) == (1, 0)
    [(names, distinct)] = fetch(generated_url, "SELECT count(*), count(DISTINCT name) FROM products")
    assert distinct / names >= 0.95  # variants too: their product's name and their options


def test_attribute_values_and_tags_agree_with_the_name(generated_url):
    """A "15.6-inch" laptop has a screen size of 15.6; a "Solid Oak" desk is of Oak and tagged so."""
    from db.generated.attributes import ATTRIBUTES

    rows = fetch(
        generated_url,
        """
        SELECT c.slug, p.name, a.key, coalesce(a.value_text, trim_scale(a.value_number)::text),
               ARRAY(SELECT tag FROM product_tags AS t WHERE t.product_id = p.id)
        FROM product_attributes AS a
        JOIN products AS p ON p.id = a.product_id
        JOIN categories AS c ON c.id = p.category_id
        """,
    )
    assert len(rows) > 20
    for slug, name, key, value, tags in rows:
        [attribute] = [attribute for attribute in ATTRIBUTES[slug] if attribute.key == key]
        words = [word for word, given in attribute.words + attribute.nouns if str(given) == value]
        assert any(f" {word} " in f" {name} " for word in words), (name, key, value)
        if attribute.type == "choice" and attribute.words:
            assert any(word.lower() in tags for word in words), (name, tags)
    [(screens,)] = fetch(generated_url, "SELECT count(*) FROM product_attributes WHERE key = 'screen_size'")
    assert screens > 0


def test_search_finds_products_by_brand_and_tag(generated_url):
    [(by_brand, by_tag)] = fetch(
        generated_url,
        """
        SELECT (SELECT count(*) FROM products AS p JOIN brands AS b ON b.id = p.brand_id
                WHERE b.name = 'Lumetra' AND p.search_vector @@ websearch_to_tsquery('english', 'lumetra')),
               (SELECT count(*) FROM product_tags AS t JOIN products AS p ON p.id = t.product_id
                WHERE t.tag = 'travel' AND p.search_vector @@ websearch_to_tsquery('english', 'travel'))
        """,
    )
    [(lumetra, travel)] = fetch(
        generated_url,
        """
        SELECT (SELECT count(*) FROM products AS p JOIN brands AS b ON b.id = p.brand_id WHERE b.name = 'Lumetra'),
               (SELECT count(*) FROM product_tags WHERE tag = 'travel')
        """,
    )
    assert (by_brand, by_tag) == (lumetra, travel) and lumetra > 0 and travel > 0


def test_api_sellers_recorded_offline_sales_with_their_tokens(generated_url):
    """Issue 19: offline sales near the offer's price, their tools' tokens live then, older tokens
    expired or revoked beside them; the demo token stored as its SHA-256 only, live for a year."""
    [row] = fetch(
        generated_url,
        """
        SELECT (SELECT count(*) FROM offline_sales WHERE seller_id = 2),
               (SELECT count(DISTINCT seller_id) FROM offline_sales),
               (SELECT count(*) FROM offline_sales AS s
                JOIN offers AS o USING (seller_id, product_id)
                WHERE s.unit_price NOT BETWEEN o.price * 0.85 AND o.price * 1.05),
               (SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL),
               (SELECT count(*) FROM api_tokens WHERE expires_at < %(now)s),
               (SELECT count(*) FROM api_tokens WHERE token_hash = %(plain)s OR name = %(plain)s)
        """,
        {"now": NOW, "plain": DEMO_API_TOKEN},
    )
    demo_sales, sellers, far_from_price, revoked, expired, plaintext = row
    assert demo_sales >= 5 and sellers >= 2 and far_from_price == 0
    assert revoked >= 1 and expired >= 1 and plaintext == 0
    [(scopes, prefix, lifetime, revoked_at)] = fetch(
        generated_url,
        """
        SELECT scopes, display_prefix, expires_at - CAST(%s AS timestamptz), revoked_at
        FROM api_tokens
        WHERE user_id = 2 AND token_hash = %s
        """,
        (NOW, hashlib.sha256(DEMO_API_TOKEN.encode()).hexdigest()),
    )
    assert scopes == ["read", "listings", "orders"] and prefix == DEMO_API_TOKEN[:10]
    assert lifetime >= dt.timedelta(days=360) and revoked_at is None


def test_the_demo_token_calls_the_api_and_a_generated_sale_replays(generated_url):
    """The README's curl works on the demo data, and a generated offline sale's key and digest are the
    app's: sending it again is answered as a replay. In one transaction, rolled back (the token is
    moved to today's date first: the data's moment is fixed)."""
    from app import create_app
    from tests.api import bearer

    app = create_app({"TESTING": True, "DATABASE_URL": generated_url, "SECRET_KEY": "generated-test"})
    database = app.extensions["bazaar_db"]
    connection = database.engine.connect()
    outer = connection.begin()
    database.pinned = connection
    try:
        connection.execute(
            text(
                """
                UPDATE api_tokens SET created_at = now() - interval '1 day', expires_at = now() + interval '364 days'
                WHERE token_hash = :token_hash
                """
            ),
            {"token_hash": hashlib.sha256(DEMO_API_TOKEN.encode()).hexdigest()},
        )
        client = app.test_client()
        offers = client.get("/api/v1/offers?limit=5", headers=bearer(DEMO_API_TOKEN))
        assert offers.status_code == 200 and len(offers.get_json()["items"]) == 5
        sale = (
            connection.execute(text("SELECT * FROM offline_sales WHERE seller_id = 2 ORDER BY id DESC LIMIT 1"))
            .mappings()
            .one()
        )
        body = {"product_id": sale["product_id"], "quantity": sale["quantity"], "unit_price": str(sale["unit_price"])}
        answers = [
            client.post(
                "/api/v1/sales",
                json=sent,
                headers={**bearer(DEMO_API_TOKEN), "Idempotency-Key": sale["idempotency_key"]},
            )
            for sent in (body, {**body, "unit_price": None})
        ]
        # The tool sent the price, or left it out (the offer's): one of the two is the same request.
        assert sorted(answer.status_code for answer in answers) == [201, 422]
        [replay] = [answer for answer in answers if answer.status_code == 201]
        assert replay.headers["Idempotent-Replayed"] == "true" and replay.get_json()["id"] == sale["id"]
    finally:
        database.pinned = None
        outer.rollback()
        connection.close()
        database.engine.dispose()


def test_purchases_keep_their_delivery_country(generated_url):
    """Every purchase's delivery country as the sales filter reads it (the demo's addresses are in the US)."""
    [(elsewhere,)] = fetch(generated_url, "SELECT count(*) FROM purchases WHERE ship_country IS DISTINCT FROM 'US'")
    assert elsewhere == 0
