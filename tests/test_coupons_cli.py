"""./setup.sh coupon: the platform's coupons from the command line."""

from decimal import Decimal

import pytest

from app import coupon_cli
from tests.conftest import query_one


def test_create_list_pause_and_resume(app, capsys):
    assert coupon_cli.main(["winter10", "--percent", "10", "--max-uses", "100", "--ends", "2999-01-01"], app=app) == 0
    row = query_one(app, "SELECT * FROM coupons WHERE code = 'WINTER10'")
    assert row["seller_id"] is None and row["percent_off"] == Decimal("10.00") and row["max_uses"] == 100
    assert coupon_cli.main(["--list"], app=app) == 0
    assert "WINTER10" in capsys.readouterr().out
    assert coupon_cli.main(["WINTER10", "--pause"], app=app) == 0
    assert query_one(app, "SELECT paused_at FROM coupons WHERE code = 'WINTER10'")["paused_at"] is not None
    assert coupon_cli.main(["winter10", "--resume"], app=app) == 0
    assert query_one(app, "SELECT paused_at FROM coupons WHERE code = 'WINTER10'")["paused_at"] is None
    assert coupon_cli.main(["WINTER10", "--amount", "5"], app=app) == 1  # taken


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["X'; DROP TABLE coupons; --", "--percent", "5"], "is not a coupon code"),
        (["<b>HI</b>", "--percent", "5"], "is not a coupon code"),
        (["NOAMOUNT"], "Say how much"),
        (["TOOMUCH", "--percent", "150"], "at most 100"),
        (["BACKWARDS", "--percent", "5", "--starts", "2030-01-02", "--ends", "2030-01-01"], "after the start"),
    ],
)
def test_bad_coupons_are_refused(app, capsys, arguments, message):
    assert coupon_cli.main(arguments, app=app) == 2
    assert message in capsys.readouterr().err
    assert query_one(app, "SELECT count(*) AS n FROM coupons")["n"] == 0


@pytest.mark.parametrize(
    "arguments",
    [["A1B", "--percent", "-5"], ["A1B", "--amount", "4.999"], ["A1B", "--percent", "5", "--per-buyer", "0"]],
)
def test_malformed_numbers_are_usage_errors(app, capsys, arguments):
    with pytest.raises(SystemExit) as exit_info:
        coupon_cli.main(arguments, app=app)
    assert exit_info.value.code == 2
