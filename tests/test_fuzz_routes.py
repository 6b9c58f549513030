"""Every route, every parameter, hostile values: no answer is ever a 5xx.

The test walks `app.url_map`, so a route added later is covered without editing the test. Parameter
names are discovered, not listed: the query and form names each view reads (recorded while the pages
are requested), the fields of every form the pages render (their values are the baseline a browser
would send), the query names of every link, the fields of every Flask-WTF form class, and a fixed
list of known query names. Each discovered parameter of a route gets hostile values alone (every one
of them reaches every route); every two query parameters get dates at the calendar's ends together
(that bug needs `from` and `to` at once) and every two ids get another user's rows; numbers in the
path get real ids, other users' ids and ids past bigint. Requests go as guest, buyer, seller,
moderator and administrator (the staff signed in just now, so the console takes their changes
without asking for the password again), with a valid CSRF token, each in a SAVEPOINT that is rolled
back, so all of them see the same rows. A route is fuzzed as the roles it serves: those it neither
sends to sign in nor answers 403, nor 404 when another role gets more (the console is a 404 to all
but the staff). The console's routes, used by the staff alone, take the hostile values in turn (each
parameter the next one), which keeps the run near its time; BAZAAR_FUZZ_FULL=1 sends them all.
"""

import io
import itertools
import os
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import cached_property
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.routing.converters import AnyConverter, NumberConverter
from wtforms.fields.core import UnboundField

from tests import factories, sales
from tests.conftest import TEST_PASSWORD, csrf_token

PUBLIC_ROLES = ("guest", "buyer", "seller")
STAFF_ROLES = ("moderator", "administrator")
ROLES = PUBLIC_ROLES + STAFF_ROLES
CONSOLE = "/admin"  # the staff's routes: a 404 to everyone else (tests/test_admin.py proves it per role)
FULL = os.environ.get("BAZAAR_FUZZ_FULL") == "1"

# Query names some page reads today: sent to every GET route, whether or not it reads them.
KNOWN_QUERY_NAMES = (
    *("q", "page", "sort", "dir", "show", "status", "seller", "product_id", "next"),
    *("from", "to", "date_from", "date_to", "group_by", "table", "chart"),
    *("stars", "review_sort", "reviews_page", "verified"),
    *("min_price", "max_price", "min_rating", "category", "department", "in_stock", "include_unavailable"),
    *("brand", "tag", "attr.screen_size", "attr.screen_size.min", "attr.screen_size.max"),
)

HUGE = "9" * 400
OTHER = "<another user's id>"  # replaced by the id of another user's row that fits the name

# Hostile values sent alone, the route's other parameters at their baseline. Every route gets each
# of VALUES (a parameter every other one when it has two or more, alternating, see singles): an empty
# value, numbers just and far past bigint, control characters (NUL among them), dates at the
# calendar's ends, a very long string, another user's row. Either half has a number past bigint,
# a date at an end of the calendar and an oversized or odd string.
VALUES = (
    "",
    "9223372036854775808",
    HUGE,
    "a\x00b\x01\x1b[2J\x7f",
    "0001-01-01",
    "9999-12-31",
    "x" * 5000,
    OTHER,
)
# Every route gets each of these in one of its parameters, taken in turn (a route with one
# parameter gets them all there): a sample that keeps the run near a minute. BAZAAR_FUZZ_FULL=1
# sends them to every parameter too, for a thorough run (about half as long again).
ROUND_ROBIN_VALUES = (
    "-1",
    "1e309",
    "NaN",
    "sNaN",
    "١٢٣",  # another script's digits: int() reads them
    "' OR '1'='1' -- \"><script>alert(1)</script> %_\\",
    "2025-02-30",
)

# Sent in every known name at once, one value to all of them: names a view reads only when
# another is given are discovered too.
AT_ONCE = (HUGE, "9999-12-31")

# Sent to every two discovered query parameters of a route: the same date in both reaches the
# calendar's ends from either side (a range and the period before it, its day after), whichever
# name is the start. Form fields are validated one by one: singles reach each one's checks.
QUERY_PAIRS = (("0001-01-01", "0001-01-01"), ("9999-12-31", "9999-12-31"))
# Sent to every two id parameters (in the query or the form): rows that exist but are not the user's.
ID_PAIRS = ((OTHER, OTHER),)

# What a number in the path is filled with besides real and other users' ids: past bigint.
HOSTILE_IDS = (int(HUGE), 2**63)

# Values of a JSON body posted to a form: whatever is not text.
JSON_VALUES = (12, 1.5, [1, "a"], {"a": 1}, None, True)

# Uploads sent in every file field: not a picture, and nothing.
FILES = ((b"GIF89a not really", "photo.png"), (b"", "empty.jpg"))

# Form buttons: their value is never read as data.
BUTTONS = {"submit"}


# The names views looked up in the query string and in the form, since the last forget_reads().
READS: dict[str, set[str]] = {"query": set(), "form": set()}


def forget_reads() -> None:
    READS["query"], READS["form"] = set(), set()


def recording_request_class(app_request):
    """The app's request class, its query and form data remembering every name a view looks up."""

    class Recording(app_request.parameter_storage_class):
        place = "form"

        def __getitem__(self, key):
            READS[self.place].add(key)
            return super().__getitem__(key)

        def get(self, key, default=None, type=None):  # noqa: A002 - MultiDict's own signature
            READS[self.place].add(key)
            return super().get(key, default, type)

        def getlist(self, key, type=None):  # noqa: A002
            READS[self.place].add(key)
            return super().getlist(key, type)

        def __contains__(self, key):
            READS[self.place].add(key)
            return super().__contains__(key)

    class RecordingQuery(Recording):
        place = "query"

    class RecordingRequest(app_request):
        parameter_storage_class = Recording

        @cached_property
        def args(self):
            return RecordingQuery(app_request.args.fget(self))

    return RecordingRequest


class PageParser(HTMLParser):
    """A page's forms (action, method, fields with the values a browser would send) and links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._by_id: dict[str, dict] = {}
        self._form: dict | None = None
        self._select: tuple[dict, str] | None = None
        self._textarea: tuple[dict, str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = {"action": attributes.get("action", ""), "method": attributes.get("method", "get").lower()}
            self._form |= {"fields": {}, "names": set(), "files": set()}
            self.forms.append(self._form)
            self._by_id[attributes.get("id", "")] = self._form
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "option" and self._select:
            form, name = self._select
            if form["fields"].get(name) is None and attributes.get("value"):
                form["fields"][name] = attributes["value"]  # a select sends its first real option
        elif tag in ("input", "select", "textarea", "button") and attributes.get("name"):
            self._field(tag, attributes)

    def _field(self, tag: str, attributes: dict) -> None:
        form = self._by_id.get(attributes.get("form", ""), self._form) if attributes.get("form") else self._form
        if form is None:
            return
        name, kind = attributes["name"], attributes.get("type", "")
        form["names"].add(name)
        if tag == "select":
            self._select = (form, name)
            form["fields"].setdefault(name, None)
        elif tag == "textarea":
            self._textarea = (form, name)
            form["fields"][name] = ""
        elif kind == "file":
            form["files"].add(name)
        elif tag == "input" and kind not in ("submit", "image", "reset", "button"):
            # Checkboxes count as ticked, so the view goes as deep as it can.
            form["fields"].setdefault(name, attributes.get("value", "on" if kind == "checkbox" else ""))

    def handle_data(self, data):
        if self._textarea:
            form, name = self._textarea
            form["fields"][name] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_class_field_names() -> set[str]:
    """Every field name of every Flask-WTF form class the app defines."""
    classes, pending = set(), [FlaskForm]
    while pending:
        for subclass in pending.pop().__subclasses__():
            if subclass.__module__.startswith("app.") and subclass not in classes:
                classes.add(subclass)
            pending.append(subclass)
    return {
        name
        for form_class in classes
        for name in dir(form_class)
        if isinstance(getattr(form_class, name, None), UnboundField)
    }


class Role:
    """A client of one role whose cookies are put back before each request: no request (sign-out,
    a guest's cart) changes who the next one is."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = csrf_token(client)
        self.cookies = {name: client.get_cookie(name) for name in ("session", "remember_token")}

    def restore(self) -> None:
        for name, cookie in self.cookies.items():
            if cookie is None:
                self.client.delete_cookie(name)
            else:
                self.client.set_cookie(name, cookie.value)


@pytest.fixture
def world(app, actions):
    """A seller, a buyer and another user with products, offers, purchases, reviews, a message
    thread and carts; a client per role; the ids each converter and id field is filled with."""
    seller = actions.create_user(full_name="Sam Seller", balance="100")
    buyer = actions.create_user(full_name="Bea Buyer", balance="1000")
    other = actions.create_user(full_name="Otto Other", balance="1000")
    category = factories.category(app)
    own = factories.product(app, seller["id"], category["id"], name="Brass Lamp")
    others = factories.product(app, other["id"], category["id"], name="Oak Shelf")
    factories.offer(app, seller["id"], own["id"], quantity=40)
    factories.offer(app, other["id"], others["id"], quantity=40)
    now = datetime.now(UTC)
    bought = sales.buy(app, buyer, [(seller, own, category, 2)], now - timedelta(days=3))[0]
    sold = sales.buy(app, other, [(seller, own, category, 1)], now - timedelta(days=40))[0]
    kept = sales.buy(app, buyer, [(other, others, category, 1)], now - timedelta(days=400))[0]
    own_review = factories.product_review(app, own["id"], buyer["id"])
    other_review = factories.product_review(app, own["id"], other["id"], rating=2)
    staff = {role: actions.create_user(full_name=f"Staff {role}") for role in ("moderator", "administrator")}
    # A brand, tags and a category attribute of each type (issue 17), so their filters are discovered.
    with app.extensions["bazaar_db"].transaction() as connection:
        connection.execute(
            text(
                """
                INSERT INTO category_attributes (category_id, key, label, type, unit, choices)
                VALUES (:category_id, 'screen_size', 'Screen size', 'number', 'in', NULL),
                       (:category_id, 'finish', 'Finish', 'choice', NULL, ARRAY['Brass', 'Oak']);
                INSERT INTO product_attributes (product_id, key, value_text, value_number)
                VALUES (:product_id, 'screen_size', NULL, 12.5), (:product_id, 'finish', 'Brass', NULL)
                """
            ),
            {"category_id": category["id"], "product_id": own["id"]},
        )
    with app.test_request_context():
        from app import db
        from app.models import admin_users, audit, cart, coupon, feedback, message, product_labels, review_report

        with db.transaction() as connection:
            product_labels.set_brand_and_tags(connection, own["id"], seller["id"], "Brassworks", ["lamp", "brass"])

        cart.set_line(buyer["id"], seller["id"], own["id"], 1)
        cart.set_line(buyer["id"], other["id"], others["id"], 1)
        cart.set_saved_for_later(buyer["id"], other["id"], others["id"], True)
        message.send(bought.purchase_id, seller["id"], buyer["id"], "Is it brass?")
        # Something for the console: a report, feedback, a platform coupon, and its staff.
        review_report.report_review("product", other_review["id"], buyer["id"], "offensive", "Rude.")
        feedback_id = feedback.send_feedback(buyer["id"], "problem", "Slow", "Very slow.", "/products")
        coupon_id = coupon.create_coupon(None, "FUZZ10", percent_off=10)
        for role, user in staff.items():
            admin_users.set_role(user["id"], role, audit.Actor(None, audit.COMMAND_LINE))
    roles = {}
    for role, user in (("guest", None), ("buyer", buyer), ("seller", seller), *staff.items()):
        client = app.test_client()
        token = csrf_token(client)
        if user:
            response = client.post(
                "/login", data={"csrf_token": token, "email": user["email"], "password": TEST_PASSWORD}
            )
        else:
            cart_line = {"product_id": own["id"], "seller_id": seller["id"], "quantity": 1}
            response = client.post("/cart/add", data={"csrf_token": token, **cart_line})
        assert response.status_code == 302
        roles[role] = Role(client)
    mine = {"product_id": own["id"], "user_id": seller["id"], "seller_id": seller["id"]}
    mine |= {"purchase_id": bought.purchase_id, "order_id": bought.order_id, "review_id": other_review["id"]}
    mine |= {"feedback_id": feedback_id, "coupon_id": coupon_id, "item_id": category["id"]}
    theirs = {"product_id": others["id"], "user_id": other["id"], "seller_id": other["id"], "seller": other["id"]}
    theirs |= {"purchase_id": sold.purchase_id, "order_id": sold.order_id, "order_ids": sold.order_id}
    theirs |= {"only": kept.order_id, "review_id": own_review["id"]}
    return {"roles": roles, "ids": mine, "other_ids": theirs}


class Fuzzer:
    """Sends requests in rolled-back SAVEPOINTs, learns each route's parameters and baseline form,
    and keeps every 5xx and every exception. A parameter is a (place, name): "query" or "form"."""

    def __init__(self, app, world) -> None:
        self.world = world
        self.database = app.extensions["bazaar_db"]
        self.adapter = app.url_map.bind("localhost")
        self.rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
        self.params: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        self.files: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.baselines: dict[tuple[str, str, str], dict] = {}
        self.roles: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.failures: list[str] = []
        self.sent = 0

    def targets(self):
        """(rule, method) for every GET and POST route, GETs first."""
        for method in ("GET", "POST"):
            for rule in self.rules:
                if method in rule.methods:
                    yield rule, method

    def value_for(self, name: str, value: str) -> str:
        """The value itself, or for OTHER the id of another user's row that fits the name."""
        if value == OTHER:
            return str(self.world["other_ids"].get(name, self.world["other_ids"]["user_id"]))
        return value

    def path(self, rule, method: str, ids: dict | None = None, **overrides) -> str:
        """The rule's URL with its converters filled: real ids of the seeded rows by default."""
        ids = ids or self.world["ids"]
        values = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            elif isinstance(converter, NumberConverter):
                values[name] = ids.get(name, ids["user_id"])
            else:
                values[name] = "x"
        return self.adapter.build(rule.endpoint, values | overrides, method=method)

    def send(self, role: str, method: str, path: str, query: dict, form=None, files=None, json_body=None):
        """One request (a form, or a JSON body when `json_body` is given); a 5xx or an exception
        is kept as a failure. Returns the response or None."""
        client = self.world["roles"][role]
        client.restore()
        forget_reads()
        self.sent += 1
        savepoint = self.database.pinned.begin_nested()
        try:
            if method == "GET":
                response = client.client.get(path, query_string=query)
            elif json_body is not None:
                headers = {"X-CSRFToken": client.token}
                response = client.client.post(path, query_string=query, json=json_body, headers=headers)
            else:
                data = {"csrf_token": client.token, **(form or {})}
                for name, (content, filename) in (files or {}).items():
                    data[name] = (io.BytesIO(content), filename)
                response = client.client.post(path, query_string=query, data=data)
        except Exception as error:  # noqa: BLE001 - every exception is a finding to report
            self._fail(role, method, path, query | (form or {}), f"{type(error).__name__}: {error}", json_body)
            return None
        finally:
            if savepoint.is_active:
                savepoint.rollback()
        if response.status_code >= 500:
            self._fail(role, method, path, query | (form or {}), f"status {response.status_code}", json_body)
        return response

    def _fail(self, role: str, method: str, path: str, params: dict, what: str, json_body=None) -> None:
        shown = {name: (value[:40] + "…" if len(value) > 40 else value) for name, value in params.items()}
        body = "" if json_body is None else f" JSON {json_body!r:.200}"
        self.failures.append(f"{role} {method} {path[:80]} {shown!r}{body}: {what[:300]}")

    def _learn_reads(self, key: tuple[str, str]) -> None:
        self.params[key] |= {("query", name) for name in READS["query"]}
        self.params[key] |= {("form", name) for name in READS["form"] - {"csrf_token"}}

    # Discovery

    def discover(self) -> None:
        """Request every route as every role: learn the names each view reads, the forms and links
        of every page (GETs first, so POST routes have their baseline forms), who may use a route."""
        not_found: dict[tuple[str, str], list[str]] = defaultdict(list)
        for index, (rule, method) in enumerate(self.targets()):
            key = (rule.endpoint, method)
            for role in _discovery_roles(rule, index):
                path = self.path(rule, method)
                response = self.send(role, method, path, {}, self.baselines.get((*key, role), {}))
                self._learn_reads(key)
                if response is not None and response.status_code == 404:
                    not_found[key].append(role)
                elif response is None or not _turned_away(response):
                    self.roles[key].append(role)
                if response is not None and response.mimetype == "text/html":
                    self._learn_page(role, path, response.get_data(as_text=True))
        for rule, method in self.targets():
            key = (rule.endpoint, method)
            self.roles[key] = self.roles[key] or not_found[key] or list(ROLES)

    def _learn_page(self, role: str, page_path: str, html: str) -> None:
        parser = PageParser()
        parser.feed(html)
        for form in parser.forms:
            method = form["method"].upper()
            target = self._endpoint(urljoin(page_path, form["action"] or page_path), method)
            if target:
                key = (target, method)
                place = "query" if method == "GET" else "form"
                self.params[key] |= {(place, name) for name in form["names"] - {"csrf_token"}}
                self.files[key] |= form["files"]
                fields = {name: value or "" for name, value in form["fields"].items() if name != "csrf_token"}
                self.baselines.setdefault((*key, role), fields)
        for link in parser.links:
            parts = urlsplit(urljoin(page_path, link))
            target = self._endpoint(parts.path, "GET") if parts.netloc in ("", "localhost") else None
            if target:
                names = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
                self.params[(target, "GET")] |= {("query", name) for name in names}

    def _endpoint(self, path: str, method: str) -> str | None:
        try:
            endpoint, _ = self.adapter.match(urlsplit(path).path, method=method)
        except HTTPException:
            return None
        return endpoint

    # Fuzzing

    def baseline(self, key: tuple[str, str], role: str) -> dict:
        """The form a page rendered for the route to this role (or to another role), else nothing."""
        if key[1] != "POST":
            return {}
        found = self.baselines.get((*key, role))
        if found is None:
            found = next((self.baselines[(*key, other)] for other in ROLES if (*key, other) in self.baselines), {})
        return dict(found)

    def known_names_at_once(self) -> None:
        """Every known query name (GET) or field of any Flask-WTF form class (POST) at once, with
        each AT_ONCE value; the names a view reads then join its parameters."""
        form_names = sorted(form_class_field_names() - {"csrf_token"} - BUTTONS)
        for rule, method in self.targets():
            key = (rule.endpoint, method)
            for index, value in enumerate(AT_ONCE):
                role = self._role(key, index)
                names = KNOWN_QUERY_NAMES if method == "GET" else form_names
                hostile = {name: self.value_for(name, value) for name in names}
                query, form = (hostile, {}) if method == "GET" else ({}, self.baseline(key, role) | hostile)
                self.send(role, method, self.path(rule, method), query, form)
                self._learn_reads(key)

    def converters(self) -> None:
        """Every number in a path as another user's id (as every role), and past bigint, bigint's
        largest and zero; every `any` converter with each of its values (discovery sent real ids)."""
        for rule, method in self.targets():
            key = (rule.endpoint, method)
            if not rule._converters:
                continue
            for role in self.roles[key]:
                self.send(role, method, self.path(rule, method, self.world["other_ids"]), {}, self.baseline(key, role))
            paths = []
            for name, converter in rule._converters.items():
                if isinstance(converter, NumberConverter):
                    paths += [self.path(rule, method, **{name: hostile}) for hostile in HOSTILE_IDS]
                elif isinstance(converter, AnyConverter):
                    paths += [self.path(rule, method, **{name: item}) for item in sorted(converter.items)]
            for index, path in enumerate(paths):
                role = self._role(key, index)
                self.send(role, method, path, {}, self.baseline(key, role))

    def singles(self) -> None:
        """Each parameter of each route with VALUES, and the route with each of ROUND_ROBIN_VALUES
        in one parameter after another, the others at their baseline. A route with two text
        parameters or more sends every other value of VALUES to each, the next parameter taking
        the rest, so each value still reaches the route (BAZAAR_FUZZ_FULL=1: every value everywhere)."""
        for route_index, (rule, method) in enumerate(self.targets()):
            key = (rule.endpoint, method)
            params = self._fuzzed(key)
            texts = [param for param in params if param[1] not in self.files[key]]
            for param_index, param in enumerate(params):
                values = FILES if param[1] in self.files[key] else VALUES + (ROUND_ROBIN_VALUES if FULL else ())
                for index, value in self._in_turn(key, param_index, values):
                    if values is VALUES and len(texts) > 1 and not FULL and index % 2 != param_index % 2:
                        continue  # the other half goes to the next parameter
                    self._send_with(rule, method, self._role(key, param_index + index), {param: value})
            robin = ROUND_ROBIN_VALUES if texts and not FULL else ()
            for index, value in self._in_turn(key, route_index, robin, 2):
                self._send_with(rule, method, self._role(key, index), {texts[index % len(texts)]: value})

    def shapes(self) -> None:
        """Each POST route's form as no browser sends it: as JSON whose values are numbers, lists,
        objects and nulls; as a JSON array; and with a file under every field's name."""
        for rule, method in self.targets():
            key = (rule.endpoint, method)
            if method != "POST":
                continue
            names = sorted(set(self.baseline(key, ROLES[0])) | {name for _, name in self._fuzzed(key)})
            odd = [{name: JSON_VALUES[index % len(JSON_VALUES)] for index, name in enumerate(names)}, [1, [2]]]
            for index, body in enumerate(odd):
                self.send(self._role(key, index), method, self.path(rule, method), {}, json_body=body)
            role = self._role(key, len(odd))
            files = dict.fromkeys(names, (b"12", "a.txt"))
            self.send(role, method, self.path(rule, method), {}, {}, files)

    def pairs(self) -> None:
        """Every two parameters of each route with the pairs for their kind (QUERY_PAIRS when both
        are in the query, ID_PAIRS when both are ids), the others at their baseline."""
        for rule, method in self.targets():
            key = (rule.endpoint, method)
            params = [param for param in self._fuzzed(key) if param[1] not in self.files[key]]
            staff_only = self._staff_only(key)
            for pair_index, (first, second) in enumerate(itertools.combinations(params, 2)):
                pairs = QUERY_PAIRS if first[0] == second[0] == "query" else ()
                # Another user's rows are the staff's to see: the console gets no ID_PAIRS.
                pairs += ID_PAIRS if self._is_id(first[1]) and self._is_id(second[1]) and not staff_only else ()
                for index, (one, two) in self._in_turn(key, pair_index, pairs):
                    self._send_with(rule, method, self._role(key, pair_index + index), {first: one, second: two})

    def _is_id(self, name: str) -> bool:
        """Whether a parameter names a row: another user's row is then worth sending."""
        return name in self.world["other_ids"] or name.endswith(("_id", "_ids"))

    def _fuzzed(self, key: tuple[str, str]) -> list[tuple[str, str]]:
        """A route's parameters that carry data (not its buttons), in a fixed order."""
        return sorted(param for param in self.params[key] if param[1] not in BUTTONS)

    def _send_with(self, rule, method: str, role: str, hostile: dict) -> None:
        key = (rule.endpoint, method)
        query, form, files = {}, self.baseline(key, role), {}
        for (place, name), value in hostile.items():
            if name in self.files[key]:
                files[name] = value
                form.pop(name, None)
            elif place == "query":
                query[name] = self.value_for(name, value)
            else:
                form[name] = self.value_for(name, value)
        self.send(role, method, self.path(rule, method), query, form, files)

    def _staff_only(self, key: tuple[str, str]) -> bool:
        """Whether only the staff use the route (the console)."""
        return set(self.roles[key]) <= set(STAFF_ROLES)

    def _in_turn(self, key: tuple[str, str], index: int, values: tuple, count: int = 1) -> list[tuple[int, object]]:
        """(position, value) of each of `values` for the `index`-th parameter, pair or route; for a
        staff-only route (the console) only `count` of them in turn, the next parameter getting the
        next ones, so that the console's many fields keep the run near its time (BAZAAR_FUZZ_FULL: all)."""
        if FULL or not values or not self._staff_only(key):
            return list(enumerate(values))
        positions = sorted({(index * count + step) % len(values) for step in range(count)})
        return [(position, values[position]) for position in positions]

    def _role(self, key: tuple[str, str], index: int) -> str:
        """The roles that may use a route, taken in turn."""
        allowed = self.roles[key]
        return allowed[index % len(allowed)]


def _discovery_roles(rule, index: int) -> tuple[str, ...]:
    """Who requests a route first: on the site, every public role and one of the staff in turn (they
    see its pages as users do); in the console, the staff and a guest (the guard's 404 for the rest)."""
    if rule.rule.startswith(CONSOLE):
        return ("guest", *STAFF_ROLES)
    return (*PUBLIC_ROLES, STAFF_ROLES[index % len(STAFF_ROLES)])


def _turned_away(response) -> bool:
    """Whether the route sent this role away (to sign in, or as not allowed) rather than working."""
    return response.status_code in (401, 403) or (
        response.status_code in (302, 303) and "/login" in response.headers.get("Location", "")
    )


def test_no_route_answers_5xx_to_hostile_input(app, world, monkeypatch):
    monkeypatch.setattr(app, "request_class", recording_request_class(app.request_class))
    fuzzer = Fuzzer(app, world)
    stages = {}
    for stage in (
        fuzzer.discover,
        fuzzer.known_names_at_once,
        fuzzer.converters,
        fuzzer.singles,
        fuzzer.pairs,
        fuzzer.shapes,
    ):
        before, started, cpu = fuzzer.sent, time.monotonic(), time.process_time()
        stage()
        seconds = (round(time.monotonic() - started, 1), round(time.process_time() - cpu, 1))
        stages[stage.__name__] = (fuzzer.sent - before, *seconds)
    print(f"\n{fuzzer.sent} requests to {len(list(fuzzer.targets()))} routes; (requests, s, CPU s): {stages}")
    # The walk learned the parameters the known bugs lived in (of those routes that still exist).
    for path, method, expected in [
        ("/api/seller/sales", "GET", {("query", "from"), ("query", "to")}),
        ("/cart/update", "POST", {("form", "quantity"), ("form", "seller_id"), ("form", "product_id")}),
        ("/seller/threshold", "POST", {("form", "low_stock_threshold")}),
        ("/seller/orders", "GET", {("query", "q"), ("query", "date_from"), ("query", "date_to")}),
        ("/admin/audit", "GET", {("query", "q"), ("query", "from"), ("query", "to"), ("query", "actor")}),
        ("/admin/coupons", "POST", {("form", "code"), ("form", "value"), ("form", "max_uses"), ("form", "seller_id")}),
    ]:
        endpoint = fuzzer._endpoint(path, method)
        assert endpoint is None or expected <= fuzzer.params[(endpoint, method)], path
    # The console was fuzzed as the staff it serves, and only as them.
    assert fuzzer.roles[("admin.users", "GET")] == ["administrator"]
    assert fuzzer.roles[("admin.reviews", "GET")] == ["moderator", "administrator"]
    assert set(PUBLIC_ROLES) < set(fuzzer.roles[("catalog.index", "GET")]) < set(ROLES)
    assert not fuzzer.failures, f"{len(fuzzer.failures)} failures:\n" + "\n".join(fuzzer.failures[:60])
