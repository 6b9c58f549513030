"""The promotion arithmetic (app/models/pricing.py): no database, exact cents."""

import contextlib
import random
from decimal import Decimal

import pytest

from app.models import pricing
from app.models.pricing import Line


def coupon(**fields) -> dict:
    """A coupon row as pricing reads it: the platform's, 10 % off everything, unless told."""
    row = {
        "id": 1,
        "code": "TEN",
        "seller_id": None,
        "percent_off": Decimal("10"),
        "amount_off": None,
        "min_spend": Decimal("0.00"),
        "scope_seller_id": None,
        "scope_category_id": None,
        "scope_product_ids": None,
    }
    return row | fields


def line(seller_id=1, product_id=1, price="10.00", quantity=1, category_id=1) -> Line:
    return Line(seller_id, product_id, category_id, quantity, Decimal(price))


@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [
        ("1.00", ["1.00", "1.00", "1.00"], ["0.34", "0.33", "0.33"]),
        ("0.01", ["5.00", "5.00"], ["0.01", "0.00"]),
        ("10.00", ["10.00"], ["10.00"]),
        ("3.00", ["1.00", "2.00"], ["1.00", "2.00"]),
        ("0.05", ["0.01", "0.01", "0.99"], ["0.00", "0.00", "0.05"]),
        ("0.00", ["1.00"], ["0.00"]),
    ],
)
def test_split_by_largest_remainder_adds_up(total, weights, shares):
    result = pricing.split(Decimal(total), [Decimal(weight) for weight in weights])
    assert result == [Decimal(share) for share in shares]
    assert sum(result) == Decimal(total)


def test_split_never_gives_a_line_more_than_it_carries():
    rng = random.Random(14)
    for _ in range(2000):
        weights = [Decimal(rng.randint(1, 5000)) / 100 for _ in range(rng.randint(1, 8))]
        total = Decimal(rng.randint(0, int(sum(weights) * 100))) / 100
        shares = pricing.split(total, weights)
        assert sum(shares) == total
        assert all(Decimal(0) <= share <= weight for share, weight in zip(shares, weights, strict=True))


@pytest.mark.parametrize(
    ("percent", "amount", "discount"),
    [("10", "19.99", "2.00"), ("12.5", "0.04", "0.01"), ("33.33", "10.00", "3.33"), ("100", "7.77", "7.77")],
)
def test_percent_discounts_round_half_up(percent, amount, discount):
    assert pricing.discount_on(coupon(percent_off=Decimal(percent)), Decimal(amount)) == Decimal(discount)


def test_an_amount_off_is_never_more_than_what_it_covers():
    lines = [line(price="3.00")]
    assert pricing.apply_coupon(coupon(percent_off=None, amount_off=Decimal("5.00")), lines) == Decimal("3.00")
    assert lines[0].paid == Decimal("0.00")


def test_seller_coupon_covers_only_that_sellers_lines_and_lowers_their_proceeds():
    lines = [line(seller_id=7, product_id=1, price="20.00"), line(seller_id=8, product_id=2, price="30.00")]
    discount = pricing.apply_coupon(coupon(seller_id=7, percent_off=Decimal("25")), lines)
    assert discount == Decimal("5.00")
    assert (lines[0].seller_discount, lines[0].seller_coupon_id, lines[0].proceeds) == (
        Decimal("5.00"),
        1,
        Decimal("15.00"),
    )
    assert lines[1].seller_discount == 0 and lines[1].proceeds == Decimal("30.00")


def test_platform_coupon_comes_after_seller_coupons_and_never_touches_proceeds():
    lines = [line(seller_id=7, price="20.00"), line(seller_id=8, product_id=2, price="30.00")]
    pricing.apply_coupon(coupon(id=2, seller_id=7, percent_off=None, amount_off=Decimal("10.00")), lines)
    discount = pricing.apply_coupon(coupon(percent_off=Decimal("10")), lines)
    assert discount == Decimal("4.00")  # 10 % of 10.00 + 30.00
    assert [line.platform_discount for line in lines] == [Decimal("1.00"), Decimal("3.00")]
    assert [line.proceeds for line in lines] == [Decimal("10.00"), Decimal("30.00")]
    assert [line.paid for line in lines] == [Decimal("9.00"), Decimal("27.00")]


@pytest.mark.parametrize(
    ("scope", "covered"),
    [
        ({"scope_category_id": 5}, [False, True]),
        ({"scope_product_ids": [1]}, [True, False]),
        ({"scope_seller_id": 8}, [False, True]),
    ],
)
def test_scope_narrows_what_a_coupon_covers(scope, covered):
    lines = [line(seller_id=7, product_id=1, category_id=4), line(seller_id=8, product_id=2, category_id=5)]
    assert [pricing.covers(coupon(**scope), item) for item in lines] == covered


def test_minimum_spend_is_measured_on_the_lines_covered():
    lines = [line(product_id=1, price="30.00"), line(product_id=2, price="5.00")]
    with pytest.raises(pricing.DoesNotApply) as refusal:
        pricing.apply_coupon(coupon(min_spend=Decimal("10.00"), scope_product_ids=[2]), lines)
    assert refusal.value.reason == "minimum" and refusal.value.short == Decimal("5.00")
    with pytest.raises(pricing.DoesNotApply) as refusal:
        pricing.apply_coupon(coupon(scope_product_ids=[3]), lines)
    assert refusal.value.reason == "scope"
    with pytest.raises(pricing.DoesNotApply) as refusal:
        pricing.apply_coupon(coupon(percent_off=Decimal("1")), [line(price="0.01")])
    assert refusal.value.reason == "nothing"


def test_points_pay_at_most_half_and_spread_over_the_lines():
    lines = [line(price="10.01"), line(product_id=2, price="5.00")]
    assert pricing.points_limit(lines) == 750  # half of 15.01, rounded down to the point
    pricing.spend_points(lines, 750)
    assert sum(item.points_spent for item in lines) == 750
    assert sum(item.points_discount for item in lines) == Decimal("7.50")
    assert all(item.paid >= item.after_coupons / 2 - Decimal("0.01") for item in lines)


def test_every_line_adds_up_whatever_the_mix():
    rng = random.Random(41)
    for _ in range(500):
        lines = [
            line(seller_id=rng.choice([7, 8]), product_id=number, price=f"{rng.randint(1, 9999) / 100:.2f}")
            for number in range(rng.randint(1, 6))
        ]
        for row in (
            coupon(id=1, seller_id=7, percent_off=Decimal(rng.randint(1, 100))),
            coupon(id=2, percent_off=None, amount_off=Decimal(rng.randint(1, 3000)) / 100),
        ):
            with contextlib.suppress(pricing.DoesNotApply):  # a random scope may cover nothing
                pricing.apply_coupon(row, lines)
        pricing.spend_points(lines, rng.randint(0, pricing.points_limit(lines)))
        for item in lines:
            assert item.paid == item.line_total - item.seller_discount - item.platform_discount - item.points_discount
            assert Decimal(0) <= item.paid <= item.line_total
            assert item.proceeds == item.line_total - item.seller_discount
        totals = pricing.totals(lines)
        assert totals.points_discount * 2 <= totals.subtotal - totals.seller_discount - totals.platform_discount


def test_points_earned_are_whole_units_paid():
    assert [pricing.points_earned(Decimal(paid)) for paid in ("0.99", "1.00", "25.49")] == [0, 1, 25]


def test_seller_proceeds_reads_an_order_row_too():
    assert pricing.seller_proceeds({"line_total": Decimal("12.00"), "seller_discount": Decimal("2.50")}) == Decimal(
        "9.50"
    )
