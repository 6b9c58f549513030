"""The platform's coupons from the command line: ./setup.sh coupon CODE --percent 10 | --amount 5 [options].

Platform coupons are funded by the platform (its ledger pays them) and may cover everything, one
seller's offers, a category or listed products. `--list` shows them with their uses and the
discount given; `--pause CODE` and `--resume CODE` stop and restart one. Times are UTC. Each
change is in the audit log, like the console's (/admin/coupons), its actor "the command line".
"""

import argparse
import re
import sys
from datetime import UTC, datetime
from decimal import Decimal

from app import create_app
from app.inputs import MAX_ID, whole_number
from app.models import admin_coupons, audit, coupon
from app.models.admin_query import AdminRefused

COMMAND_LINE = audit.Actor(None, audit.COMMAND_LINE, "command line")
_AMOUNT = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,2})?$")


def amount(text: str) -> Decimal:
    """An amount or percentage with at most two decimals."""
    if not _AMOUNT.match(text):
        raise argparse.ArgumentTypeError(f"{text!r}: write a number with at most two decimals, like 10 or 4.99")
    return Decimal(text)


def moment(text: str) -> datetime:
    """A UTC time written 2026-12-24T18:00 (or a date)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write a UTC time like 2026-12-24T18:00") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def whole(low: int, high: int):
    def parse(text: str) -> int:
        number = whole_number(text, low, high)
        if number is None:
            raise argparse.ArgumentTypeError(f"{text!r}: a whole number from {low:,} to {high:,}")
        return number

    return parse


def product_list(text: str) -> list[int]:
    numbers = [whole_number(part, 1, MAX_ID) for part in text.split(",")]
    if not numbers or None in numbers or len(numbers) > 50:
        raise argparse.ArgumentTypeError(f"{text!r}: up to 50 product ids separated by commas, like 12,40,7")
    return numbers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="./setup.sh coupon", description=__doc__.splitlines()[0].split(": ", 1)[1])
    parser.add_argument("code", nargs="?", help="3 to 32 letters, digits, - or _ (case does not matter)")
    actions = parser.add_mutually_exclusive_group()
    actions.add_argument("--list", action="store_true", help="list the platform's coupons")
    actions.add_argument("--pause", action="store_true", help="pause the coupon CODE")
    actions.add_argument("--resume", action="store_true", help="resume the coupon CODE")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--percent", type=amount, help="percent off, more than 0 and at most 100")
    kind.add_argument("--amount", type=amount, help="amount off, in dollars")
    parser.add_argument("--min-spend", type=amount, default=Decimal("0.00"), help="on the items it covers")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--seller", type=whole(1, MAX_ID), help="only this seller's offers (a user id)")
    scope.add_argument("--category", type=whole(1, 2**31 - 1), help="only this category (an id)")
    scope.add_argument("--products", type=product_list, help="only these products (ids, comma-separated)")
    parser.add_argument("--starts", type=moment, help="UTC, default now")
    parser.add_argument("--ends", type=moment, help="UTC, default never")
    parser.add_argument("--max-uses", type=whole(1, 1_000_000), help="total uses, default unlimited")
    parser.add_argument("--per-buyer", type=whole(1, 1000), default=1, help="uses per buyer, default 1")
    parser.add_argument("--thanks", action="store_true", help="a thank-you coupon, given to buyers after a purchase")
    parser.add_argument("--description", default="", help="shown to buyers, up to 200 characters")
    return parser


def _problem(args) -> str | None:
    """What is wrong with a coupon to create, in words, or None."""
    if not coupon.is_well_formed(coupon.normalize_code(args.code)):
        return f"{args.code!r} is not a coupon code: 3 to 32 letters, digits, - or _."
    if args.percent is None and args.amount is None:
        return "Say how much it takes off: --percent P or --amount A."
    if args.percent is not None and not Decimal(0) < args.percent <= 100:
        return "--percent must be more than 0 and at most 100."
    if args.amount is not None and not Decimal("0.01") <= args.amount <= Decimal("1000000"):
        return "--amount must be from 0.01 to 1,000,000."
    if args.ends is not None and args.ends <= (args.starts or datetime.now(UTC)):
        return "--ends must come after the start."
    if len(args.description) > 200:
        return "--description must be at most 200 characters."
    return None


def _create(args) -> int:
    problem = _problem(args)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    fields = {
        "description": args.description,
        "percent_off": args.percent,
        "amount_off": args.amount,
        "min_spend": args.min_spend,
        "scope_seller_id": args.seller,
        "scope_category_id": args.category,
        "scope_product_ids": args.products,
        "starts_at": args.starts,
        "ends_at": args.ends,
        "max_uses": args.max_uses,
        "per_buyer_limit": args.per_buyer,
        "for_thanks": args.thanks,
    }
    try:
        admin_coupons.create_platform_coupon(args.code, fields, COMMAND_LINE)
    except coupon.CodeTaken:
        print(f"The code {coupon.normalize_code(args.code)} is taken.", file=sys.stderr)
        return 1
    print(f"Created the platform coupon {coupon.normalize_code(args.code)}.")
    return 0


def _list() -> int:
    for row in coupon.list_issued(None):
        state = "paused" if row["paused_at"] else "running"
        limit = f"/{row['max_uses']}" if row["max_uses"] else ""
        ends = row["ends_at"].strftime("%Y-%m-%d %H:%M") if row["ends_at"] else "never"
        print(
            f"{row['code']:<20} {coupon.describe_discount(row):<14} {coupon.describe_scope(row):<30} "
            f"uses {row['uses']}{limit:<8} given ${row['discount_given']:,.2f}  ends {ends}  {state}"
        )
    return 0


def _set_paused(code: str | None, paused: bool) -> int:
    coupon_id = admin_coupons.get_platform_coupon_id(code or "")
    if coupon_id is None:
        print(f"The platform has no coupon {code!r}.", file=sys.stderr)
        return 1
    word = "paused" if paused else "running"
    try:
        found = admin_coupons.set_paused(coupon_id, paused, f"{word} with ./setup.sh coupon", COMMAND_LINE)
    except AdminRefused:
        found = coupon.normalize_code(code)
    print(f"{found} is {word}.")
    return 0


def main(argv: list[str] | None = None, app=None) -> int:
    """Create, list, pause or resume platform coupons; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.list and not args.code:
        parser.error("name the coupon's CODE (or use --list)")
    app = app or create_app()
    with app.app_context():
        if args.list:
            return _list()
        if args.pause or args.resume:
            return _set_paused(args.code, args.pause)
        return _create(args)


if __name__ == "__main__":
    sys.exit(main())
