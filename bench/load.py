"""Throughput under load: every page against a one-query anchor page, with wrk (issue 21).

Starts the anchor (bench/anchor_app.py) and Bazaar under the same gunicorn settings (4 sync
workers, --no-control-socket) on DATABASE_URL, signs in the demo buyer and seller, then runs
each page for --seconds with wrk at 16 connections, alternately with the anchor, and prints
requests/s, p50/p99 and the ratio to the anchor's requests/s of the run just before it. Then
the mixed scenarios: browse 50 %, search 20 %, product 20 %, cart 10 %.

    DATABASE_URL=postgresql://postgres:@/bazaar_bench?host=$PWD/db/pgdata env/bin/python -m bench.load

Loopback only. Needs wrk (Debian: apt-get install -y wrk). Other engineers share the machine:
the load average is printed with each row; compare ratios, not raw requests/s, across runs.
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from bench.http_bench import ROOT, gunicorn

BUYER = ("buyer@example.com", "buyer-password")
SELLER = ("seller@example.com", "seller-password")
GUEST_GOAL, SIGNED_IN_GOAL, P99_GOAL_MS = 1.0, 0.5, 100.0

# wrk calls done() once with every thread's figures merged: print them as one JSON line.
DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass
class Target:
    """One request shape: who sends it, the method, the path and, for a POST, the form."""

    name: str
    path: str
    who: str = "guest"  # guest, buyer or seller
    method: str = "GET"
    form: dict = field(default_factory=dict)
    weight: float = 1.0


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid Lua string literal for these ASCII values


def wrk_script(targets: list[Target], cookies: dict[str, str], tokens: dict[str, str], gzip: bool = False) -> str:
    """A wrk Lua script that sends the targets at random in proportion to their weights."""
    entries = []
    for target in targets:
        headers = {"Accept-Encoding": "gzip"} if gzip else {}
        if target.who != "guest":
            headers["Cookie"] = cookies[target.who]
        body = "nil"
        if target.method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            form = target.form | {"csrf_token": tokens[target.who]}
            body = lua_string(urllib.parse.urlencode(form))
        header_table = "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"
        entries.append(
            f"  {{weight = {target.weight}, method = {lua_string(target.method)}, "
            f"path = {lua_string(target.path)}, headers = {header_table}, body = {body}}},"
        )
    return (
        "local targets = {\n"
        + "\n".join(entries)
        + """
}
local requests, cumulative = {}, {}
local total = 0
for i, t in ipairs(targets) do total = total + t.weight end
local counter = 0
init = function(args)
  local running = 0
  for i, t in ipairs(targets) do
    requests[i] = wrk.format(t.method, t.path, t.headers, t.body)
    running = running + t.weight / total
    cumulative[i] = running
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end
request = function()
  if #requests == 1 then return requests[1] end
  local r = math.random()
  for i, c in ipairs(cumulative) do
    if r <= c then return requests[i] end
  end
  return requests[#requests]
end
"""
        + DONE
    )


def run_wrk(base: str, script: str, seconds: int, connections: int, threads: int) -> dict:
    """Run wrk once against `base` with the script; return its figures (req/s, ms)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s"]
        output = subprocess.run(  # noqa: S603 - our own arguments, a loopback URL
            [*command, "-s", handle.name, base + "/"], capture_output=True, text=True, timeout=seconds + 60
        )
    finally:
        os.unlink(handle.name)
    match = re.search(r"^RESULT (\{.*\})$", output.stdout, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk gave no result:\n{output.stdout}\n{output.stderr}")
    figures = json.loads(match.group(1))
    errors = sum(figures[key] for key in ("connect", "read", "write", "status", "timeout"))
    return {
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "p50": figures["p50_us"] / 1000,
        "p99": figures["p99_us"] / 1000,
        "errors": errors,
        "requests": figures["requests"],
    }


class Browser:
    """Signs in like a browser and hands wrk the resulting cookie and CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def get(self, path: str) -> tuple[int, str]:
        try:
            response = self.opener.open(self.base + path, timeout=30)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        return response.status, response.read().decode(errors="replace")

    def token(self, path: str = "/login") -> str:
        """The session's CSRF token, from a page's meta tag."""
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', self.get(path)[1]).group(1)

    def sign_in(self, email: str, password: str) -> None:
        data = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": self.token()}).encode()
        try:
            self.opener.open(self.base + "/login", data=data, timeout=30)
        except urllib.error.HTTPError as error:
            if error.code != 302:
                raise RuntimeError(f"could not sign in as {email}: {error.code}") from error
        self.get("/")  # the session gets its CSRF secret now, so wrk's cookie never needs a new one

    def cookie(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep the 302 of a sign-in or an add-to-cart instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


def pick_data(database_url: str) -> dict:
    """Ids, slugs and words from the data set, so the same command fits every scale."""
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id FROM products WHERE offer_count > 0 ORDER BY units_sold DESC, id LIMIT 200")
        products = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            """
            SELECT c.slug, d.slug
            FROM categories AS c
            JOIN departments AS d ON d.id = c.department_id
            ORDER BY (SELECT count(*) FROM products AS p WHERE p.category_id = c.id) DESC, c.id
            """
        )
        places = cursor.fetchall()
        cursor.execute(
            """
            SELECT o.product_id, o.seller_id
            FROM offers AS o
            JOIN users AS u ON u.id = o.seller_id
            WHERE u.email <> %s AND o.is_active AND o.quantity > 1000
            ORDER BY o.quantity DESC
            LIMIT 1
            """,
            (BUYER[0],),
        )
        stocked = cursor.fetchone()
        if stocked is None:
            cursor.execute(
                "SELECT o.product_id, o.seller_id FROM offers AS o WHERE o.is_active ORDER BY o.quantity DESC LIMIT 1"
            )
            stocked = cursor.fetchone()
    connection.close()
    return {
        "products": products,
        "categories": list(dict.fromkeys(category for category, _ in places)),
        "departments": list(dict.fromkeys(department for _, department in places)),
        "stocked_offer": stocked,
    }


WORDS = ("handle", "lamp", "kayak", "steel", "cotton", "wireless", "coffee", "book")


def page_targets(data: dict) -> list[Target]:
    """The pages measured one by one: what guests see, then what the buyer and the seller see."""
    best = data["products"][0]
    category, department = data["categories"][0], data["departments"][0]
    return [
        Target("home", "/"),
        Target("catalog browse", "/products"),
        Target("search", "/products?q=handle"),
        Target("misspelt search", "/products?q=headsett"),
        Target("category page", f"/products?category={category}"),
        Target("department page", f"/products?department={department}"),
        Target("product page", f"/products/{best}"),
        Target("product image", f"/products/{best}/image"),
        Target("cart (guest)", "/cart"),
        Target("home", "/", "buyer"),
        Target("search", "/products?q=handle", "buyer"),
        Target("product page", f"/products/{best}", "buyer"),
        Target("cart", "/cart", "buyer"),
        Target("purchases", "/purchases", "buyer"),
        Target("seller dashboard", "/seller", "seller"),
        Target("seller inventory", "/seller/inventory", "seller"),
        Target("seller orders", "/seller/orders", "seller"),
        Target("seller analytics", "/seller/analytics", "seller"),
        Target("sales API", "/api/seller/sales?group_by=month", "seller"),
    ]


def mixed_targets(data: dict, who: str) -> list[Target]:
    """Browse 50 %, search 20 %, product 20 %, cart 10 % (half of it adding to the cart as the buyer)."""
    browse = ["/", "/products", "/products?page=2", "/products?sort=best_selling", "/products?sort=newest"]
    browse += [f"/products?category={slug}" for slug in data["categories"][:20]]
    browse += [f"/products?department={slug}" for slug in data["departments"]]
    searches = [f"/products?q={word}" for word in WORDS] + ["/products?q=headsett", "/products?q=lamp&sort=price_asc"]
    products = [f"/products/{product_id}" for product_id in data["products"][:100]]
    targets = [Target("browse", path, who, weight=50 / len(browse)) for path in browse]
    targets += [Target("search", path, who, weight=20 / len(searches)) for path in searches]
    targets += [Target("product", path, who, weight=20 / len(products)) for path in products]
    product_id, seller_id = data["stocked_offer"]
    targets.append(Target("cart", "/cart", "buyer", weight=5))
    form = {"product_id": product_id, "seller_id": seller_id, "quantity": 1, "next": "/cart"}
    targets.append(Target("add to cart", "/cart/add", "buyer", "POST", form, weight=5))
    return targets


def check(browser: dict, base: str, target: Target) -> None:
    """Refuse to measure a page that does not answer as expected (a redirect to sign-in, an error)."""
    if target.method == "POST":
        return
    status, _ = browser[target.who].get(target.path)
    if status != 200:
        raise RuntimeError(f"{target.who} {target.path}: status {status}, expected 200")


def load_average() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run (default 8)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers for both apps (default 4)")
    parser.add_argument("--only", action="append", default=[], help="run only pages whose name or path has TEXT")
    parser.add_argument("--no-pages", action="store_true", help="skip the page-by-page runs")
    parser.add_argument("--no-mixed", action="store_true", help="skip the mixed scenarios")
    parser.add_argument(
        "--app-dir", type=Path, default=ROOT, help="serve Bazaar from this checkout (e.g. an older commit)"
    )
    parser.add_argument("--gzip", action="store_true", help="send Accept-Encoding: gzip as browsers do")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        parser.exit(2, "bench.load needs wrk: as root `apt-get install -y wrk` (Debian/Ubuntu), or your OS's package\n")
    database_url = os.environ.get("DATABASE_URL") or parser.error("set DATABASE_URL (the demo data's database)")
    data = pick_data(database_url)
    anchor_path = f"/?id={data['products'][0]}"
    rows = []
    with ExitStack() as stack:
        anchor = stack.enter_context(
            gunicorn(args.workers, database_url, app_spec="bench.anchor_app:create_app()", probe=anchor_path)
        )
        base = stack.enter_context(gunicorn(args.workers, database_url, directory=args.app_dir))
        browsers = {"guest": Browser(base), "buyer": Browser(base), "seller": Browser(base)}
        browsers["buyer"].sign_in(*BUYER)
        browsers["seller"].sign_in(*SELLER)
        cookies = {who: browser.cookie() for who, browser in browsers.items()}
        tokens = {who: browsers[who].token("/cart") for who in ("buyer", "seller")}
        anchor_script = wrk_script([Target("anchor", anchor_path)], {}, {}, args.gzip)

        def measure(name: str, who: str, targets: list[Target]) -> dict:
            reference = run_wrk(anchor, anchor_script, args.seconds, args.connections, args.threads)
            script = wrk_script(targets, cookies, tokens, args.gzip)
            result = run_wrk(base, script, args.seconds, args.connections, args.threads)
            row = {"page": name, "who": who, "path": targets[0].path if len(targets) == 1 else "(mixed)"}
            row |= result | {"anchor_rps": reference["rps"], "ratio": result["rps"] / reference["rps"]}
            row["load"] = load_average()
            print_row(row)
            rows.append(row)
            return row

        print_header(args, data)
        if not args.no_pages:
            for target in page_targets(data):
                if args.only and not any(text in f"{target.name} {target.path}" for text in args.only):
                    continue
                check(browsers, base, target)
                measure(target.name, target.who, [target])
        if not args.no_mixed:
            for who in ("guest", "buyer"):
                measure("mixed", who, mixed_targets(data, who))
    print_summary(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


def print_header(args, data: dict) -> None:
    print(
        f"wrk {args.connections} connections, {args.threads} threads, {args.seconds} s per run; gunicorn "
        f"{args.workers} sync workers for both apps; {len(data['products'])} products sampled; "
        f"{'gzip accepted' if args.gzip else 'no Accept-Encoding'}; load {load_average()}"
    )
    print(
        f"{'page':18} {'who':6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'anchor':>7} {'ratio':>6} {'goal':>5}  {'load 1/5/15':12} path"
    )


def goal_met(row: dict) -> bool:
    wanted = GUEST_GOAL if row["who"] == "guest" and row["page"] != "mixed" else SIGNED_IN_GOAL
    return row["ratio"] >= wanted and row["p99"] < P99_GOAL_MS and row["errors"] == 0


def print_row(row: dict) -> None:
    print(
        f"{row['page'][:18]:18} {row['who']:6} {row['rps']:7.0f} {row['p50']:7.1f} {row['p99']:7.1f} "
        f"{row['errors']:6d} {row['anchor_rps']:7.0f} {row['ratio']:6.2f} {'ok' if goal_met(row) else 'MISS':>5}  "
        f"{row['load']:12} {row['path']}",
        flush=True,
    )


def print_summary(rows: list[dict]) -> None:
    if not rows:
        return
    anchors = [row["anchor_rps"] for row in rows]
    print(
        f"\nanchor req/s: median {statistics.median(anchors):.0f} (min {min(anchors):.0f}, max {max(anchors):.0f}); "
        f"goals (guest ≥ {GUEST_GOAL}×, signed-in and mixed ≥ {SIGNED_IN_GOAL}×, p99 < {P99_GOAL_MS:.0f} ms, "
        f"no errors) met by {sum(goal_met(row) for row in rows)} of {len(rows)}"
    )


if __name__ == "__main__":
    sys.exit(main())
