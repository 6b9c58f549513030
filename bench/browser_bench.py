"""Each page type in Chromium: time to first byte and Largest Contentful Paint, cold and warm.

Starts gunicorn on loopback against DATABASE_URL (or measures --url), signs the demo buyer and seller
in, then loads every page type three ways and prints the medians:

- first: the first visit of each page type after the server started (each worker renders its
  templates for the first time), in a new browser context (empty cache, new connection);
- cold: a new browser context again, the server already warm: a visitor's first view;
- warm: the same page again in that context (cached static files, open connection).

"sign-in → /cart" posts the sign-in form and ends on the cart (the redirect is in its TTFB).
With --renders, no browser: the CPU time of signed-in pages' first and second render in one process.

    DATABASE_URL=… env/bin/python -m bench.browser_bench --repeat 5
    DATABASE_URL=… env/bin/python -m bench.browser_bench --renders
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.http_bench import ROOT, free_port

# The flags Chromium needs on this machine (see tests/browser/conftest.py).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Records the last largest-contentful-paint candidate; read once the page has loaded.
OBSERVE_LCP = """
window.__lcp = 0;
new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) { window.__lcp = entry.startTime; }
}).observe({type: "largest-contentful-paint", buffered: true});
"""
# LCP is reported after the paint is presented: wait for it (up to 10 s) rather than read a 0.
READ_TIMES = """() => new Promise((resolve) => {
    const started = performance.now();
    const read = () => {
        if (window.__lcp === 0 && performance.now() - started < 10000) { return setTimeout(read, 20); }
        const navigation = performance.getEntriesByType("navigation")[0];
        resolve({ttfb: navigation.responseStart, lcp: window.__lcp});
    };
    read();
})"""
PEOPLE = {"buyer": "buyer@example.com:buyer-password", "seller": "seller@example.com:seller-password"}


@contextmanager
def gunicorn(workers: int, database_url: str):
    """Serve the app on a free loopback port; stop it even if its workers are still starting."""
    port = free_port()
    command = [str(ROOT / "env" / "bin" / "gunicorn"), "--no-control-socket", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:create_app()"]
    process = subprocess.Popen(command, cwd=ROOT, env=os.environ | {"DATABASE_URL": database_url})  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        # Every worker must have loaded the app (and gone idle), or the first visits would wait for it.
        deadline = time.monotonic() + 180
        while len(worker_pids(process.pid)) < workers or not healthy(base) or busy(worker_pids(process.pid)):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_pids(master: int) -> list[str]:
    """The pids of gunicorn's workers (children of its master)."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return children.read_text().split() if children.exists() else []


def busy(pids: list[str]) -> bool:
    """Whether any of these processes used the CPU in the last half second."""

    def ticks() -> list[int]:
        # utime and stime, the 14th and 15th fields, counted after the command name (which may hold spaces)
        return [sum(map(int, Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13])) for pid in pids]

    before = ticks()
    time.sleep(0.5)
    return ticks() != before


def healthy(base: str) -> bool:
    try:
        urllib.request.urlopen(f"{base}/health", timeout=5).read()  # noqa: S310 - loopback only
    except OSError:
        return False
    return True


def pages(ids: dict) -> list[tuple[str | None, str]]:
    """(who, path) for every page type; `ids` are rows of the demo data to point at."""
    return [
        (None, "/"),
        (None, "/products?q=lamp"),
        (None, f"/products?category={ids['category']}"),
        (None, f"/products/{ids['product']}"),
        (None, f"/users/{ids['seller']}"),
        (None, "/insights"),
        (None, "/login"),
        ("buyer", "/cart"),
        ("buyer", "/purchases"),
        ("buyer", f"/purchases/{ids['purchase']}"),
        ("buyer", "/account/balance"),
        ("buyer", "/account/insights"),
        ("buyer", "/messages"),
        ("buyer", "/account/reviews"),
        ("seller", "/seller"),
        ("seller", "/seller/inventory"),
        ("seller", f"/seller/inventory/{ids['offer']}"),
        ("seller", "/seller/orders"),
        ("seller", "/seller/analytics"),
    ]


def demo_ids(base: str, browser) -> dict:
    """A category, product, seller, purchase and offer of the demo data, read from its pages."""
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto("/products")
    category_link = page.locator("a[href*='category=']").first.get_attribute("href")
    ids = {
        "product": page.locator("a.stretched-link").first.get_attribute("href").rsplit("/", 1)[1],
        "category": category_link.split("category=")[1].split("&")[0],
    }
    sign_in(page, "buyer")
    page.goto("/purchases")
    ids["purchase"] = page.locator("a[href^='/purchases/']").first.get_attribute("href").rsplit("/", 1)[1]
    context.close()
    context = browser.new_context(base_url=base)
    page = context.new_page()
    sign_in(page, "seller")
    page.goto("/seller/inventory")
    ids["offer"] = page.locator("a[href^='/seller/inventory/']").first.get_attribute("href").rsplit("/", 1)[1]
    page.goto("/account")
    ids["seller"] = page.get_by_role("link", name="See your public profile").get_attribute("href").rsplit("/", 1)[1]
    context.close()
    return ids


def sign_in(page, who: str, next_path: str = "/") -> None:
    email, _, password = PEOPLE[who].partition(":")
    page.goto(f"/login?next={next_path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/login" not in url)


def load(page, path: str | None) -> dict:
    """Navigate (unless already there) and read TTFB and LCP in ms."""
    if path is not None:
        page.goto(path, wait_until="load")
    return page.evaluate(READ_TIMES)


def new_context(browser, base: str, state: dict | None):
    context = browser.new_context(base_url=base, storage_state=state, viewport={"width": 1366, "height": 768})
    context.add_init_script(OBSERVE_LCP)
    return context


def measure(browser, base: str, ids: dict, repeat: int) -> list[dict]:
    """Each page type: its first visit after start, then `repeat` cold and warm visits."""
    states = {}
    for who in PEOPLE:
        context = new_context(browser, base, None)
        sign_in(context.new_page(), who)
        states[who] = context.storage_state()
        context.close()
    rows = []
    for who, path in pages(ids):
        runs: dict[str, list[dict]] = {"first": [], "cold": [], "warm": []}
        for attempt in range(repeat + 1):
            context = new_context(browser, base, states.get(who))
            page = context.new_page()
            runs["first" if attempt == 0 else "cold"].append(load(page, path))
            if attempt:
                runs["warm"].append(load(page, path))
            context.close()
        rows.append({"who": who or "guest", "path": path} | summarise(runs))
    rows.append(sign_in_to_cart(browser, base, repeat))
    return rows


def sign_in_to_cart(browser, base: str, repeat: int) -> dict:
    """Post the sign-in form from a fresh context and land on the cart."""
    runs: dict[str, list[dict]] = {"first": [], "cold": [], "warm": []}
    for attempt in range(repeat + 1):
        context = new_context(browser, base, None)
        page = context.new_page()
        sign_in(page, "buyer", "/cart")
        runs["first" if attempt == 0 else "cold"].append(load(page, None))
        page.goto("/purchases")
        runs["warm"].append(load(page, None))  # the first /purchases after signing in
        context.close()
    return {"who": "buyer", "path": "sign-in → /cart, then /purchases"} | summarise(runs)


def summarise(runs: dict[str, list[dict]]) -> dict:
    return {
        f"{kind}_{metric}": statistics.median(run[metric] for run in found) if found else float("nan")
        for kind, found in runs.items()
        for metric in ("ttfb", "lcp")
    }


def print_table(rows: list[dict], repeat: int) -> None:
    print(f"\nmedians of {repeat} runs (first: 1), ms; 1366×768; TTFB / LCP")
    header = f"{'who':7} {'page':42} {'first':>13} {'cold':>13} {'warm':>13}"
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = [f"{row[f'{kind}_ttfb']:5.0f} / {row[f'{kind}_lcp']:5.0f}" for kind in ("first", "cold", "warm")]
        print(f"{row['who']:7} {row['path'][:42]:42} {cells[0]:>13} {cells[1]:>13} {cells[2]:>13}")
    worst = {kind: max(row[f"{kind}_lcp"] for row in rows) for kind in ("first", "cold", "warm")}
    print(f"\nworst LCP: first {worst['first']:.0f} ms, cold {worst['cold']:.0f} ms, warm {worst['warm']:.0f} ms")


def first_renders(database_url: str) -> None:
    """In a fresh process (the test client, no browser): the CPU time of each signed-in page's first
    render and of the next one, which shows what a worker's first visitors pay once."""
    import re

    from app import create_app

    client = create_app({"DATABASE_URL": database_url}).test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    email, _, password = PEOPLE["buyer"].partition(":")
    started = time.process_time()
    client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    print(f"\nCPU ms in one process; POST /login {(time.process_time() - started) * 1000:.0f} (the password hash)")
    for path in ["/cart", "/purchases", "/account/balance", "/account/insights", "/messages", "/"]:
        cpu = []
        for _ in range(2):
            started = time.process_time()
            client.get(path)
            cpu.append((time.process_time() - started) * 1000)
        print(f"{path:20} first {cpu[0]:5.0f}   second {cpu[1]:5.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="cold and warm visits per page type")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--url", help="an already running site with the demo data (default: start gunicorn)")
    parser.add_argument("--chromium", default=os.environ.get("BAZAAR_CHROMIUM") or shutil.which("chromium"))
    parser.add_argument("--renders", action="store_true", help="only the CPU time of first renders, in-process")
    args = parser.parse_args(argv)
    if args.renders:
        first_renders(os.environ.get("DATABASE_URL") or parser.error("set DATABASE_URL"))
        return 0

    @contextmanager
    def site():
        if args.url:
            yield args.url.rstrip("/")
        else:
            database_url = os.environ.get("DATABASE_URL") or parser.error("set DATABASE_URL or --url")
            with gunicorn(args.workers, database_url) as base:
                yield base

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        with site() as base:
            # The page ids come from a separate server run would warm it: read them first, then restart.
            ids = demo_ids(base, browser)
        with site() as base:
            rows = measure(browser, base, ids, args.repeat)
        browser.close()
    print_table(rows, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
