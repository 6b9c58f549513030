"""How each table's rows are written out: the columns COPY fills and their text, chunk by chunk."""

import numpy as np

from . import api_tables, gallery_tables, journey_tables, label_tables, list_tables, promotion_tables
from .console import PRODUCT_STATUSES, Console
from .copyload import NULL, TableSource, booleans, integers, money, or_null, timestamps
from .ledger import ACCOUNTS, KINDS, NO_PURCHASE
from .moderation import Moderation
from .people import ADMIN_ID, DEMO_LOGINS, STAFF_ROLES, TIME_ZONES
from .promotions import NO_VALUE
from .stock import NO_ORDER, REASONS
from .summaries import NO_PRICE
from .texts import escape_copy
from .timeline import DAY, NO_TIME
from .variants import category_options, variant_labels
from .vocabulary import DEPARTMENTS, all_categories
from .world import World


def _departments(world: World) -> TableSource:
    """The departments, ids in vocabulary order."""
    rows = [(str(number), escape_copy(d.name), d.slug) for number, d in enumerate(DEPARTMENTS, start=1)]
    return TableSource(
        "departments", ("id", "name", "slug"), len(rows), lambda start, stop: list(zip(*rows[start:stop], strict=True))
    )


def _categories(world: World) -> TableSource:
    """The categories, ids in vocabulary order."""
    department_ids = {department.slug: number for number, department in enumerate(DEPARTMENTS, start=1)}
    rows = [
        (str(number), str(department_ids[department.slug]), escape_copy(category.name), category.slug)
        for number, (department, category) in enumerate(all_categories(), start=1)
    ]
    columns = ("id", "department_id", "name", "slug")
    return TableSource("categories", columns, len(rows), lambda start, stop: list(zip(*rows[start:stop], strict=True)))


def _users(world: World) -> TableSource:
    """Users with their balances and seller ratings."""
    people, summaries = world.people, world.summaries
    first_names, last_names = np.array(people.first_names, dtype=object), np.array(people.last_names, dtype=object)
    email_first = np.array(people.email_first_names, dtype=object)
    email_last = np.array(people.email_last_names, dtype=object)
    addresses, hashes = np.array(people.addresses, dtype=object), np.array(people.password_hashes, dtype=object)
    zones = np.array(TIME_ZONES, dtype=object)
    demo_emails = [login.email for login in DEMO_LOGINS]

    def rows(start: int, stop: int):
        """Users start..stop (0-based)."""
        ids = np.arange(start + 1, stop + 1)
        window = slice(start, stop)
        first, last = people.first_name[window], people.last_name[window]
        emails = email_first[first] + "." + email_last[last] + np.array(integers(ids), dtype=object) + "@example.net"
        demo = ids <= len(demo_emails)
        emails[demo] = [demo_emails[number - 1] for number in ids[demo]]
        roles = np.full(len(ids), "user", dtype=object)
        for user_id, role in STAFF_ROLES.items():
            roles[ids == user_id] = role
        created = timestamps(people.created_at[window])
        return [
            integers(ids),
            emails,
            first_names[first] + " " + last_names[last],
            addresses[people.address[window]],
            hashes[people.password[window]],
            money(world.ledger.balances[window]),
            zones[people.time_zone[window]],
            integers(people.low_stock_threshold[window]),
            booleans(ids == ADMIN_ID),
            integers(summaries.seller_rating_count[window]),
            integers(summaries.seller_rating_sum[window]),
            created,
            created,  # every generated user confirmed their e-mail with the code at registration
            roles,
            integers(world.promotions.user_points[window]),
            money(world.ledger.pending_balances[window]),
            _optional_times(world.console.user_suspended[window]),
            or_null(world.console.user_suspended_reason[window], world.console.user_suspended[window] == NO_TIME),
        ]

    columns = ("id", "email", "full_name", "address", "password_hash", "balance", "time_zone")
    columns += ("low_stock_threshold", "is_admin", "seller_rating_count", "seller_rating_sum", "created_at")
    columns += ("email_verified_at", "role", "points_balance", "pending_balance", "suspended_at", "suspended_reason")
    return TableSource("users", columns, people.count, rows)


def _products(world: World) -> TableSource:
    """Products with names, descriptions and their summary columns."""
    catalog, summaries, text, console = world.catalog, world.summaries, world.catalog_text, world.console
    statuses = np.array(PRODUCT_STATUSES, dtype=object)
    families = catalog.families
    labels = variant_labels(families, catalog.product_category)
    option_names = np.array(
        [_text_array(category_options(index)[0]) for index in range(len(all_categories()))], dtype=object
    )
    # What trigger products_category_terms writes (migration 0027): the load runs without triggers.
    category_terms = np.array([f"{category.name} {department.name}" for department, category in all_categories()])

    def rows(start: int, stop: int):
        """Products start..stop (0-based)."""
        window = slice(start, stop)
        description = catalog.product_naming.subjects(window) + text.leads.texts[catalog.product_lead[window]]
        description = description + text.extras.texts[catalog.product_extra[window]]
        created = timestamps(catalog.product_created[window])
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(catalog.product_category[window] + 1),
            integers(catalog.product_creator[window]),
            _with_label(catalog.product_naming.names(window), labels[window]),
            description,
            created,
            created,
            integers(summaries.offer_count[window]),
            integers(summaries.total_stock[window]),
            or_null(money(summaries.min_price[window]), summaries.min_price[window] == NO_PRICE),
            integers(summaries.rating_count[window]),
            integers(summaries.rating_sum[window]),
            or_null(money(summaries.rating_avg[window]), summaries.rating_avg[window] == NO_PRICE),
            integers(summaries.units_sold[window]),
            or_null(
                money(summaries.min_price_before_sale[window]), summaries.min_price_before_sale[window] == NO_PRICE
            ),
            statuses[console.product_status[window]],
            or_null(console.product_note[window], console.product_note[window] == ""),
            _optional_times(console.product_status_changed[window]),
            or_null(integers(families.parent[window]), families.parent[window] == 0),
            np.where(families.has_options[window], option_names[catalog.product_category[window]], "{}"),
            np.array([_text_array(label.split(" / ")) if label else "{}" for label in labels[window]], dtype=object),
            or_null(money(summaries.max_price[window]), summaries.max_price[window] == NO_PRICE),
            # A variant's brand and tags are its product's: it has none of its own (naming.py).
            or_null(integers(catalog.product_naming.brand[window] + 1), catalog.product_naming.is_variant[window]),
            np.where(catalog.product_naming.is_variant[window], "", catalog.product_naming.search_terms(window)),
            category_terms[catalog.product_category[window]],
        ]

    columns = ("id", "category_id", "creator_id", "name", "description", "created_at", "updated_at", "offer_count")
    columns += ("total_stock", "min_price", "rating_count", "rating_sum", "rating_avg", "units_sold")
    columns += ("min_price_before_sale", "status", "moderation_note", "status_changed_at")
    columns += ("parent_id", "option_names", "option_values", "max_price")
    columns += ("brand_id", "search_terms", "category_terms")
    return TableSource("products", columns, world.catalog.product_count, rows)


def _text_array(items) -> str:
    """A PostgreSQL text[] literal of plain words (option names and values have no quotes)."""
    return "{" + ",".join(f'"{item}"' for item in items) + "}"


def _with_label(names: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """A variant's name: its product's, then its option values ("Trail Runner — Red / M")."""
    labelled = labels != ""
    names = names.astype(object)
    names[labelled] = names[labelled] + " — " + labels[labelled]
    return names


def _offers(world: World) -> TableSource:
    """Offers in primary-key order."""
    catalog, stock, promotions = world.catalog, world.stock, world.promotions

    def rows(start: int, stop: int):
        """Offers start..stop."""
        window = slice(start, stop)
        sale_price, sale_ends = promotions.offer_sale_price[window], promotions.offer_sale_ends[window]
        return [
            integers(catalog.offer_seller[window]),
            integers(catalog.offer_product[window]),
            money(catalog.offer_price[window]),
            integers(stock.offer_quantity[window]),
            booleans(catalog.offer_active[window]),
            timestamps(catalog.offer_created[window]),
            timestamps(stock.offer_updated[window]),
            or_null(money(sale_price), sale_price == NO_VALUE),
            _optional_times(sale_ends),
            booleans(world.console.offer_held[window]),
        ]

    columns = ("seller_id", "product_id", "price", "quantity", "is_active", "created_at", "updated_at")
    columns += ("sale_price", "sale_ends_at", "moderation_hold")
    return TableSource("offers", columns, len(catalog.offer_seller), rows)


def _inventory_events(world: World) -> TableSource:
    """Inventory events in id (time) order."""
    catalog, stock = world.catalog, world.stock
    reasons = np.array(REASONS, dtype=object)

    def rows(start: int, stop: int):
        """Events start..stop (0-based)."""
        window = slice(start, stop)
        offer = stock.event_offer[window]
        order = stock.event_order[window]
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(catalog.offer_seller[offer]),
            integers(catalog.offer_product[offer]),
            integers(stock.event_delta[window]),
            integers(stock.event_after[window]),
            reasons[stock.event_reason[window]],
            or_null(integers(order), order == NO_ORDER),
            timestamps(stock.event_created[window]),
        ]

    columns = ("id", "seller_id", "product_id", "delta", "quantity_after", "reason", "order_id", "created_at")
    return TableSource("inventory_events", columns, len(stock.event_offer), rows)


def _purchases(world: World) -> TableSource:
    """Purchases in id (time) order."""
    orders = world.orders

    def rows(start: int, stop: int):
        """Purchases start..stop (0-based)."""
        window = slice(start, stop)
        buyers = orders.purchase_buyer[window]
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(buyers),
            orders.purchase_token[window],
            money(world.promotions.purchase_paid[window] + world.journey.purchase_fees[window]),
            timestamps(orders.purchase_created[window]),
            *journey_tables.purchase_columns(world.journey, buyers, window),
        ]

    columns = ("id", "buyer_id", "checkout_token", "total", "created_at", *journey_tables.PURCHASE_COLUMNS)
    return TableSource("purchases", columns, len(orders.purchase_buyer), rows)


def _optional_times(seconds: np.ndarray) -> np.ndarray:
    """Timestamps with NULL where the time is NO_TIME."""
    missing = seconds == NO_TIME
    return or_null(timestamps(np.where(missing, DAY, seconds)), missing)


def _orders(world: World) -> TableSource:
    """Order lines in id order, with what promotions took off each and what was paid."""
    orders, promotions = world.orders, world.promotions

    def rows(start: int, stop: int):
        """Lines start..stop (0-based)."""
        window = slice(start, stop)
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(orders.line_purchase[window]),
            integers(orders.line_buyer[window]),
            integers(orders.line_seller[window]),
            integers(orders.line_product[window]),
            integers(orders.line_quantity[window]),
            money(orders.line_price[window]),
            timestamps(orders.line_ordered[window]),
            _optional_times(orders.line_fulfilled[window]),
            _optional_times(orders.line_cancelled[window]),
            *promotion_tables.line_columns(promotions, window),
            *journey_tables.line_columns(world.journey, window),
        ]

    columns = ("id", "purchase_id", "buyer_id", "seller_id", "product_id", "quantity", "unit_price", "ordered_at")
    columns += ("fulfilled_at", "cancelled_at", *promotion_tables.LINE_COLUMNS, *journey_tables.LINE_COLUMNS)
    return TableSource("orders", columns, len(orders.line_purchase), rows)


def _balance_ledger(world: World) -> TableSource:
    """Ledger rows in id (time) order."""
    ledger = world.ledger
    kinds, accounts = np.array(KINDS, dtype=object), np.array(ACCOUNTS, dtype=object)

    def rows(start: int, stop: int):
        """Rows start..stop (0-based)."""
        window = slice(start, stop)
        purchase = ledger.purchase[window]
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(ledger.user[window]),
            kinds[ledger.kind[window]],
            accounts[ledger.account[window]],
            money(ledger.amount[window]),
            money(ledger.balance_after[window]),
            or_null(integers(purchase), purchase == NO_PURCHASE),
            timestamps(ledger.created[window]),
            or_null(ledger.note[window], ledger.note[window] == ""),
        ]

    columns = ("id", "user_id", "kind", "account", "amount", "balance_after", "purchase_id", "created_at", "note")
    return TableSource("balance_ledger", columns, len(ledger.user), rows)


def _cart_lines(world: World) -> TableSource:
    """Cart lines in primary-key order."""
    carts, catalog = world.carts, world.catalog

    def rows(start: int, stop: int):
        """Lines start..stop."""
        window = slice(start, stop)
        offer = carts.offer[window]
        return [
            integers(carts.user[window]),
            integers(catalog.offer_seller[offer]),
            integers(catalog.offer_product[offer]),
            integers(carts.quantity[window]),
            money(carts.price_when_added[window]),
            booleans(carts.saved_for_later[window]),
            timestamps(carts.added[window]),
        ]

    columns = ("user_id", "seller_id", "product_id", "quantity", "price_when_added", "saved_for_later", "added_at")
    return TableSource("cart_lines", columns, len(carts.user), rows)


def _reviews(name: str, target: str, reviews, titles, bodies, hidden_at, hidden_reasons) -> TableSource:
    """Product or seller reviews in id (time) order; a few hidden by a moderator (moderation.py)."""
    reasons = np.array(hidden_reasons, dtype=object)

    def rows(start: int, stop: int):
        """Reviews start..stop (0-based)."""
        window = slice(start, stop)
        created = timestamps(reviews.created[window])
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(reviews.target[window]),
            integers(reviews.author[window]),
            integers(reviews.rating[window]),
            titles.texts[reviews.title[window]],
            bodies.texts[reviews.body[window]],
            integers(reviews.helpful[window]),
            created,
            created,
            _optional_times(hidden_at[window]),
            or_null(reasons[window], hidden_at[window] == NO_TIME),
        ]

    columns = ("id", target, "author_id", "rating", "title", "body", "helpful_count", "created_at", "updated_at")
    columns += ("hidden_at", "hidden_reason")
    return TableSource(name, columns, len(reviews.target), rows)


def _votes(name: str, reviews) -> TableSource:
    """Helpful votes in primary-key order."""

    def rows(start: int, stop: int):
        """Votes start..stop."""
        window = slice(start, stop)
        return [
            integers(reviews.vote_review[window]),
            integers(reviews.vote_voter[window]),
            timestamps(reviews.vote_created[window]),
        ]

    return TableSource(name, ("review_id", "voter_id", "created_at"), len(reviews.vote_review), rows)


def _messages(world: World) -> TableSource:
    """Messages in id (time) order."""
    messages, pool = world.messages, world.message_text

    def rows(start: int, stop: int):
        """Messages start..stop (0-based)."""
        window = slice(start, stop)
        return [
            integers(np.arange(start + 1, stop + 1)),
            integers(messages.purchase[window]),
            integers(messages.seller[window]),
            integers(messages.sender[window]),
            integers(messages.recipient[window]),
            pool.texts[messages.body[window]],
            timestamps(messages.created[window]),
            _optional_times(messages.read[window]),
        ]

    columns = ("id", "purchase_id", "seller_id", "sender_id", "recipient_id", "body", "created_at", "read_at")
    return TableSource("messages", columns, len(messages.purchase), rows)


def _listed(name: str, columns: tuple[str, ...], rows: list[tuple]) -> TableSource:
    """A small table from rows already formatted as COPY text."""
    return TableSource(name, columns, len(rows), lambda start, stop: list(zip(*rows[start:stop], strict=True)))


def _text(value) -> str:
    """A COPY field: NULL for None, the number or (escaped) string otherwise."""
    return NULL if value is None else escape_copy(value) if isinstance(value, str) else str(value)


def _time(seconds: int | None) -> str:
    return NULL if seconds is None else timestamps(np.array([seconds]))[0]


def _moderation_tables(moderation: Moderation, console: Console) -> list[TableSource]:
    """Review reports, feedback, searches that found nothing, the audit log and the site switches."""
    first_action = moderation.audit[0][0]  # when the staff got their roles
    reports = [
        (
            str(number),
            _text(product),
            _text(seller),
            str(reporter),
            reason,
            _text(details),
            _time(created),
            _time(resolved),
            _text(resolution),
        )
        for number, (product, seller, reporter, reason, details, created, resolved, resolution) in enumerate(
            moderation.reports, start=1
        )
    ]
    feedback = [
        (
            str(number),
            str(user),
            kind,
            _text(subject),
            _text(body),
            page,
            _time(created),
            _time(closed),
            _text(closer),
            _text(response),
        )
        for number, (user, kind, subject, body, page, created, closed, closer, response) in enumerate(
            moderation.feedback, start=1
        )
    ]
    misses = [(_time(day)[:10], _text(query), str(searches)) for day, query, searches in moderation.misses]
    audit = [
        (
            str(number),
            _text(actor),
            role,
            action,
            target_type,
            _text(target_id),
            reason,
            NULL if before is None else before,
            NULL if after is None else after,
            address,
            _time(created),
        )
        for number, (created, actor, role, action, target_type, target_id, reason, before, after, address) in enumerate(
            moderation.audit, start=1
        )
    ]
    return [
        _listed(
            "review_reports",
            ("id", "product_review_id", "seller_review_id", "reporter_id", "reason", "details", "created_at")
            + ("resolved_at", "resolution"),
            reports,
        ),
        _listed(
            "feedback",
            ("id", "user_id", "kind", "subject", "body", "page", "created_at", "closed_at", "closed_by", "response"),
            feedback,
        ),
        _listed("search_misses", ("day", "query", "searches"), misses),
        _listed(
            "audit_log",
            ("id", "actor_id", "actor_role", "action", "target_type", "target_id", "reason", "before", "after")
            + ("ip_address", "created_at"),
            audit,
        ),
        # The approval queue is off: new products are listed at once (it was on for a while: console.py).
        _listed(
            "site_settings", ("name", "enabled", "updated_at", "updated_by"), [_approval_switch(console, first_action)]
        ),
    ]


def _approval_switch(console: Console, first_action: int) -> tuple[str, ...]:
    """The approval switch's row: off, since the administrator last switched it (or since the start)."""
    if console.approval_switched == NO_TIME:
        return ("product_approval", "f", _time(first_action), NULL)
    return ("product_approval", "f", _time(console.approval_switched), str(ADMIN_ID))


def table_sources(world: World) -> list[TableSource]:
    """Every table the generator fills, parents before children."""
    reviews, text, moderation = world.reviews, world.review_text, world.moderation
    return [
        _departments(world),
        _categories(world),
        _users(world),
        journey_tables.addresses(world.journey),
        journey_tables.shipping_methods(world.journey),
        label_tables.brands(world.timeline),
        label_tables.category_attributes(),
        _products(world),
        gallery_tables.product_images(world.catalog.product_count),
        *label_tables.product_labels(world.catalog.product_naming),
        promotion_tables.coupons(world.promotions),
        _offers(world),
        _purchases(world),
        journey_tables.shipments(world.journey),
        _orders(world),
        _inventory_events(world),
        api_tables.offline_sales(world.offline_sales, world.catalog.offer_seller, world.catalog.offer_product),
        api_tables.api_tokens(world.api_tokens),
        _balance_ledger(world),
        *promotion_tables.purchase_tables(world.promotions),
        _cart_lines(world),
        list_tables.wishlist_items(world.lists),
        list_tables.recently_viewed(world.lists),
        _reviews(
            "product_reviews",
            "product_id",
            reviews.products,
            text.product_titles,
            text.product_bodies,
            moderation.product_hidden_at,
            moderation.product_hidden_reason,
        ),
        _reviews(
            "seller_reviews",
            "seller_id",
            reviews.sellers,
            text.seller_titles,
            text.seller_bodies,
            moderation.seller_hidden_at,
            moderation.seller_hidden_reason,
        ),
        _votes("product_review_votes", reviews.products),
        _votes("seller_review_votes", reviews.sellers),
        _messages(world),
        *_moderation_tables(moderation, world.console),
    ]
