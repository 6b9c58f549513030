"""Plan the whole marketplace in memory: every row of every table, as numpy columns.

Each stage draws from its own random stream (spawned from the seed), so a seed and a --now date
always give the same rows, and changing one stage does not reshuffle the others.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
from faker import Faker

from . import texts
from .carts import Carts, make_carts
from .catalog import Catalog, make_catalog
from .commerce import Orders, make_orders
from .console import Console, make_console
from .journey import Journey, make_journey, plan_lines
from .ledger import Ledger, make_ledger
from .lists import Lists, make_lists
from .messages import Messages, make_messages
from .moderation import Moderation, make_moderation
from .people import People, make_people
from .promotions import Promotions, make_promotions
from .reviews import Reviews, make_reviews
from .seller_api import OfflineSales, Tokens, make_offline_sales, make_tokens
from .stock import Stock, make_stock
from .summaries import Summaries, make_summaries
from .timeline import Timeline

# New stages go last: each stage's random stream is spawned by its position here.
STAGES = (
    "text",
    "people",
    "catalog",
    "orders",
    "stock",
    "ledger",
    "reviews",
    "messages",
    "carts",
    "moderation",
    "promotions",
    "journey",
    "console",
    "lists",
    "naming",
    "seller api",
)


@dataclass(frozen=True)
class Counts:
    """How much of everything to make."""

    users: int
    products: int
    offers: int
    purchases: int
    reviews: int


@dataclass(frozen=True)
class World:
    """Every generated row, stage by stage."""

    timeline: Timeline
    catalog_text: texts.CatalogText
    review_text: texts.ReviewText
    message_text: texts.Pool
    people: People
    catalog: Catalog
    orders: Orders
    stock: Stock
    ledger: Ledger
    reviews: Reviews
    messages: Messages
    carts: Carts
    moderation: Moderation
    promotions: Promotions
    journey: Journey
    console: Console
    summaries: Summaries
    lists: Lists
    offline_sales: OfflineSales
    api_tokens: Tokens


def make_world(counts: Counts, seed: int, now: dt.date, report=lambda stage: None) -> World:
    """Generate every row for `counts`; `report(stage)` is called as each stage starts."""
    streams = dict(
        zip(STAGES, map(np.random.default_rng, np.random.SeedSequence(seed).spawn(len(STAGES))), strict=True)
    )
    timeline = Timeline.ending_on(now)
    report("text")
    faker = Faker("en_US")
    faker.seed_instance(seed)
    catalog_text = texts.build_catalog_text(streams["text"])
    review_text = texts.build_review_text(streams["text"])
    message_text = texts.build_message_text(streams["text"])
    report("people")
    people = make_people(counts.users, timeline, faker, streams["people"])
    report("catalog")
    catalog = make_catalog(
        people, catalog_text, counts.offers, counts.products, timeline, streams["catalog"], streams["naming"]
    )
    report("orders")
    orders = make_orders(counts.purchases, people, catalog, timeline, streams["orders"])
    # After checkout: each line's deliveries, returns and releases first, for promotions to replay
    # (points are earned on delivery and taken back with a refund); promotions decide what each line
    # was paid, which the journey's refunds and escrow and the ledger then move.
    report("journey")
    lines = plan_lines(orders, timeline, streams["journey"])
    report("promotions")
    promotions = make_promotions(
        people, catalog, orders, lines.delivered, lines.refunded, timeline, streams["promotions"]
    )
    journey = make_journey(people, catalog, orders, lines, promotions, timeline, streams["journey"])
    # Sales recorded through the seller API take stock too: planned before it.
    report("seller api")
    offline_sales = make_offline_sales(people, catalog, orders, timeline, streams["seller api"])
    report("stock")
    stock = make_stock(catalog, orders, offline_sales, lines.returned, timeline, streams["stock"])
    report("ledger")
    ledger = make_ledger(people, orders, promotions, journey, timeline, streams["ledger"])
    report("reviews")
    reviews = make_reviews(counts.reviews, people, catalog, orders, review_text, timeline, streams["reviews"])
    report("messages")
    messages = make_messages(orders, catalog, message_text, timeline, streams["messages"])
    report("carts")
    carts = make_carts(people, catalog, stock.offer_quantity, timeline, streams["carts"])
    report("moderation")
    moderation = make_moderation(people, reviews, timeline, streams["moderation"])
    # Last: the console's suspensions, take-downs, approvals and adjustments come after what they
    # would have stopped; they hold offers and add ledger and audit rows.
    report("console")
    made = {
        "people": people,
        "catalog": catalog,
        "orders": orders,
        "stock": stock,
        "ledger": ledger,
        "reviews": reviews,
        "messages": messages,
        "carts": carts,
        "moderation": moderation,
        "promotions": promotions,
        "journey": journey,
    }
    console = make_console(**made, timeline=timeline, rng=streams["console"])
    made |= {"catalog": console.catalog, "ledger": console.ledger, "moderation": console.moderation}
    summaries = make_summaries(
        console.catalog,
        stock.offer_quantity,
        orders,
        reviews,
        people.count,
        console.moderation,
        promotions.offer_sale_price,
    )
    report("lists")
    lists = make_lists(people, console.catalog, console.product_status, summaries, timeline, streams["lists"])
    # The tokens after the console: none is used or revoked after its owner was suspended.
    api_tokens = make_tokens(people, catalog, offline_sales, console.user_suspended, timeline, streams["seller api"])
    return World(
        timeline=timeline,
        catalog_text=catalog_text,
        review_text=review_text,
        message_text=message_text,
        **made,
        console=console,
        summaries=summaries,
        lists=lists,
        offline_sales=offline_sales,
        api_tokens=api_tokens,
    )
