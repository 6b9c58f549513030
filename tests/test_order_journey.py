"""The order journey, one connection: addresses, the review page, shipping fees, each line's
transitions and every invalid one, the purchase page, invoice, buy again and the CSV exports."""

import csv
import io
import re
import uuid
from decimal import Decimal

import pytest

from app.models import coupon, escrow, order, purchase
from tests import factories
from tests.conftest import query_one
from tests.journey import (
    ADDRESS,
    balances,
    form_values,
    line,
    line_of,
    make_market,
    make_older,
    outbox,
    place,
)
from tests.test_coupons_checkout import drop_constraint, invariant


@pytest.fixture
def market(app, actions):
    return make_market(app, actions)


def sign_in(actions, user):
    actions.logout()
    assert actions.login(user["email"]).status_code == 302


# The address book


def test_the_address_book_adds_edits_defaults_and_deletes(app, client, actions):
    user = actions.signed_in_user(full_name="Ada Lovelace", address="1 Old Road")
    page = client.get("/account/addresses/new").get_data(as_text=True)
    assert 'value="Ada Lovelace"' in page and "1 Old Road" in page  # the first one starts from the profile
    response = actions.post("/account/addresses/new", ADDRESS)
    assert response.status_code == 302
    second = ADDRESS | {"line1": "99 Harbour Way", "city": "Shelbyville", "make_default": "y"}
    actions.post("/account/addresses/new", second)
    rows = query_one(
        app,
        "SELECT array_agg(line1 ORDER BY id) AS lines, array_agg(is_default ORDER BY id) AS defaults "
        "FROM addresses WHERE user_id = :u",
        u=user["id"],
    )
    assert rows["lines"] == ["12 Elm Street", "99 Harbour Way"] and rows["defaults"] == [False, True]
    first_id, second_id = (
        row["id"]
        for row in [
            query_one(app, "SELECT id FROM addresses WHERE user_id = :u AND line1 = :l", u=user["id"], l=text)
            for text in ("12 Elm Street", "99 Harbour Way")
        ]
    )
    assert actions.post(f"/account/addresses/{first_id}/default").status_code == 302
    assert actions.post(f"/account/addresses/{first_id}/edit", ADDRESS | {"city": "Capital City"}).status_code == 302
    page = client.get("/account/addresses").get_data(as_text=True)
    assert "Capital City" in page and page.index("12 Elm Street") < page.index("99 Harbour Way")  # default first
    assert actions.post(f"/account/addresses/{first_id}/delete").status_code == 302
    assert query_one(app, "SELECT is_default FROM addresses WHERE id = :id", id=second_id)["is_default"] is True


def test_someone_elses_address_is_not_found(app, client, actions):
    owner = actions.signed_in_user()
    actions.post("/account/addresses/new", ADDRESS)
    address_id = query_one(app, "SELECT id FROM addresses WHERE user_id = :u", u=owner["id"])["id"]
    sign_in(actions, actions.create_user())
    assert client.get(f"/account/addresses/{address_id}/edit").status_code == 404
    assert actions.post(f"/account/addresses/{address_id}/edit", ADDRESS).status_code == 404
    assert actions.post(f"/account/addresses/{address_id}/default").status_code == 404
    assert actions.post(f"/account/addresses/{address_id}/delete").status_code == 404
    assert client.get("/account/addresses/99999999999999999999/edit").status_code == 404
    assert query_one(app, "SELECT count(*) AS n FROM addresses WHERE user_id = :u", u=owner["id"])["n"] == 1


@pytest.mark.parametrize(
    "change",
    [
        {"full_name": ""},
        {"line1": "   "},
        {"city": ""},
        {"postal_code": "x" * 21},
        {"country": "\x07"},
        {"phone": "call me maybe"},
        {"line2": "y" * 201},
    ],
)
def test_bad_addresses_are_form_errors(app, actions, change):
    user = actions.signed_in_user()
    response = actions.post("/account/addresses/new", ADDRESS | change)
    assert response.status_code == 400
    assert query_one(app, "SELECT count(*) AS n FROM addresses WHERE user_id = :u", u=user["id"])["n"] == 0


def test_an_address_book_has_a_limit(app, actions, monkeypatch):
    from app.models import address

    monkeypatch.setattr(address, "MAX_ADDRESSES", 2)
    actions.signed_in_user()
    assert actions.post("/account/addresses/new", ADDRESS).status_code == 302
    assert actions.post("/account/addresses/new", ADDRESS).status_code == 302
    response = actions.post("/account/addresses/new", ADDRESS)
    assert response.status_code == 409 and "delete one to add another" in response.get_data(as_text=True)


# The review page and placing the order


def test_the_review_page_groups_by_seller_with_shipping_and_places_the_order(app, client, actions, market):
    sign_in(actions, market["bea"])
    actions.post("/cart/add", {"product_id": market["lamp"]["id"], "seller_id": market["sam"]["id"], "quantity": 1})
    actions.post("/cart/add", {"product_id": market["vase"]["id"], "seller_id": market["rita"]["id"], "quantity": 1})
    page = client.get("/checkout").get_data(as_text=True)
    assert "From <a" in page and "Sam Seller" in page and "Rita Rival" in page
    assert "12 Elm Street" in page and 'name="address_id"' in page
    # Sam's lamp is $25: Standard costs $4.99 (free only from $50); Rita has no methods: free standard delivery.
    assert f'name="ship-{market["sam"]["id"]}"' in page and f'name="ship-{market["rita"]["id"]}"' not in page
    assert 'data-testid="checkout-total">$69.99<' in page
    # Choosing Express and asking for the total again, without placing anything.
    form = form_values(page) | {f"ship-{market['sam']['id']}": str(market["express"]), "action": "update"}
    updated = actions.post("/checkout", form).get_data(as_text=True)
    assert 'data-testid="checkout-total">$77.00<' in updated
    assert query_one(app, "SELECT count(*) AS n FROM purchases")["n"] == 0
    form = form_values(updated) | {
        f"ship-{market['sam']['id']}": str(market["express"]),
        "address_id": str(market["home"]),
        "note": "Please knock twice.",
        "action": "place",
    }
    response = actions.post("/checkout", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    purchase_id = int(response.headers["Location"].rsplit("/", 1)[1])
    row = query_one(app, "SELECT * FROM purchases WHERE id = :id", id=purchase_id)
    assert row["total"] == Decimal("77.00") and row["note"] == "Please knock twice."
    assert row["ship_to"] == "Bea Buyer\n12 Elm Street\nFlat 3\n12345 Springfield\nUnited States\nPhone: +1 555 0100"
    shipments = query_one(
        app,
        "SELECT json_object_agg(seller_id, json_build_array(method_name, fee)) AS s FROM shipments "
        "WHERE purchase_id = :p",
        p=purchase_id,
    )["s"]
    assert shipments == {
        str(market["sam"]["id"]): ["Express", 12.0],
        str(market["rita"]["id"]): ["Standard delivery", 0],
    }
    # Escrow: each seller's proceeds and fee are pending, nothing available yet.
    assert balances(app, market["sam"]) == (Decimal("0.00"), Decimal("37.00"))
    assert balances(app, market["rita"]) == (Decimal("0.00"), Decimal("40.00"))
    assert balances(app, market["bea"])[0] == Decimal("423.00")
    # Order placed: to the buyer, and to each seller with the address and the note.
    assert len(outbox(app, "order_placed", market["bea"]["email"])) == 1
    received = outbox(app, "order_received", market["sam"]["email"])
    assert (
        len(received) == 1 and "12 Elm Street" in received[0]["text"] and "Please knock twice." in received[0]["text"]
    )
    assert len(outbox(app, "order_received", market["rita"]["email"])) == 1


def test_shipping_is_free_from_the_sellers_amount(app, market):
    purchase_id = place(app, market["bea"], [(market["sam"], market["lamp"], 2)])  # $50: Standard is free
    assert query_one(app, "SELECT total FROM purchases WHERE id = :id", id=purchase_id)["total"] == Decimal("50.00")
    fee = query_one(app, "SELECT fee, method_name FROM shipments WHERE purchase_id = :p", p=purchase_id)
    assert fee["fee"] == 0 and fee["method_name"] == "Standard"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("retired", "no longer offered"),
        ("fee", "Prices changed since you opened your cart: the total is now $39.00."),
        ("address", "no longer in your address book"),
        ("someone else's method", "no longer offered"),
    ],
)
def test_what_changed_since_the_review_is_refused_and_nothing_is_charged(app, client, actions, market, change, message):
    sign_in(actions, market["bea"])
    actions.post("/cart/add", {"product_id": market["lamp"]["id"], "seller_id": market["sam"]["id"], "quantity": 1})
    form = form_values(client.get("/checkout").get_data(as_text=True))
    form |= {f"ship-{market['sam']['id']}": str(market["express"]), "address_id": str(market["home"])}
    form["expected_total"] = "37.00"
    if change == "retired":
        query_one(app, "UPDATE shipping_methods SET is_active = false WHERE id = :id RETURNING 1", id=market["express"])
    elif change == "fee":
        query_one(app, "UPDATE shipping_methods SET fee = 14.00 WHERE id = :id RETURNING 1", id=market["express"])
    elif change == "address":
        query_one(app, "DELETE FROM addresses WHERE id = :id RETURNING 1", id=market["home"])
    else:
        other = query_one(app, "SELECT id FROM shipping_methods WHERE seller_id <> :s LIMIT 1", s=market["sam"]["id"])
        rita_method = other["id"] if other else 99999
        form[f"ship-{market['sam']['id']}"] = str(rita_method)
    response = actions.post("/checkout", form)
    assert response.status_code == 409
    assert message in response.get_data(as_text=True)
    assert query_one(app, "SELECT count(*) AS n FROM purchases")["n"] == 0
    assert balances(app, market["bea"])[0] == Decimal("500.00")


@pytest.mark.parametrize(
    "extra",
    [
        {"address_id": "abc"},
        {"address_id": "9" * 40},
        {"ship-abc": "1", "ship-1": "x"},
        {"note": "x" * 501},
        {"note": "bell\x07"},
        {"token": "not-a-uuid"},
    ],
)
def test_bad_review_forms_are_4xx_never_5xx(app, client, actions, market, extra):
    sign_in(actions, market["bea"])
    actions.post("/cart/add", {"product_id": market["lamp"]["id"], "seller_id": market["sam"]["id"], "quantity": 1})
    form = form_values(client.get("/checkout").get_data(as_text=True)) | extra
    response = actions.post("/checkout", form)
    assert 400 <= response.status_code < 500 or response.status_code == 302
    if response.status_code == 302:  # unreadable choices fall back to the defaults the page showed
        assert query_one(app, "SELECT count(*) AS n FROM purchases")["n"] == 1


def test_the_review_page_needs_a_cart_and_starts_from_the_profile_address(app, client, actions, market):
    user = actions.signed_in_user(balance="100")
    assert client.get("/checkout").headers["Location"].endswith("/cart")  # nothing to review
    actions.post("/cart/add", {"product_id": market["lamp"]["id"], "seller_id": market["sam"]["id"], "quantity": 1})
    page = client.get("/checkout").get_data(as_text=True)
    assert 'id="address-profile" value="" checked' in page and "1 Test Street" in page  # the profile's, until a book
    response = actions.post("/checkout", form_values(page) | {"address_id": ""})
    assert response.status_code == 302
    ship_to = query_one(app, "SELECT ship_to FROM purchases WHERE buyer_id = :u", u=user["id"])["ship_to"]
    assert ship_to == "Test User\n1 Test Street, Testville"
    actions.logout()
    assert "/login" in client.get("/checkout").headers["Location"]
    assert query_one(app, "SELECT count(*) AS n FROM addresses WHERE user_id = :u", u=user["id"])["n"] == 0


# Each line's transitions


def test_ship_confirm_return_accept_with_restock(app, client, actions, market):
    purchase_id = place(app, market["bea"], [(market["sam"], market["lamp"], 2), (market["sam"], market["mug"], 1)])
    lamp = line_of(app, purchase_id, market["lamp"])
    stock_before = query_one(app, "SELECT quantity FROM offers WHERE product_id = :p", p=market["lamp"]["id"])
    sign_in(actions, market["sam"])
    response = actions.post(
        "/seller/orders/ship", {"order_ids": [str(lamp["id"])], "carrier": "DHL", "tracking_number": "JD0001"}
    )
    assert response.status_code == 302
    shipped = outbox(app, "order_shipped", market["bea"]["email"])
    assert len(shipped) == 1 and "JD0001" in shipped[0]["text"] and "DHL" in shipped[0]["text"]

    sign_in(actions, market["bea"])
    page = client.get(f"/purchases/{purchase_id}").get_data(as_text=True)
    assert "Confirm receipt" in page and "JD0001" in page and "Cancel<span" in page  # the mug is still placed
    assert actions.post(f"/purchases/{purchase_id}/lines/{lamp['id']}/receipt").status_code == 302
    assert line(app, lamp["id"])["status"] == "delivered" and not line(app, lamp["id"])["auto_delivered"]
    assert len(outbox(app, "order_delivered", market["bea"]["email"])) == 1
    again = actions.post(f"/purchases/{purchase_id}/lines/{lamp['id']}/receipt")
    assert again.status_code == 409 and "already been delivered" in again.get_data(as_text=True)

    assert client.get(f"/purchases/{purchase_id}/lines/{lamp['id']}/return").status_code == 200
    assert actions.post(f"/purchases/{purchase_id}/lines/{lamp['id']}/return", {"reason": ""}).status_code == 400
    response = actions.post(f"/purchases/{purchase_id}/lines/{lamp['id']}/return", {"reason": "The shade is bent."})
    assert response.status_code == 302
    assert line(app, lamp["id"])["status"] == "return_requested"
    assert "The shade is bent." in outbox(app, "return_requested", market["sam"]["email"])[0]["text"]
    again = actions.post(f"/purchases/{purchase_id}/lines/{lamp['id']}/return", {"reason": "Again"})
    assert again.status_code == 409

    sign_in(actions, market["sam"])
    page = client.get(f"/seller/orders/{lamp['id']}/return").get_data(as_text=True)
    assert "The shade is bent." in page
    assert actions.post(f"/seller/orders/{lamp['id']}/return/accept", {}).status_code == 400  # restock or not?
    before = balances(app, market["bea"])[0]
    response = actions.post(f"/seller/orders/{lamp['id']}/return/accept", {"restock": "yes"})
    assert response.status_code == 302
    row = line(app, lamp["id"])
    assert row["status"] == "refunded" and row["returned_at"] is not None and row["refunded_amount"] == Decimal("50")
    assert balances(app, market["bea"])[0] == before + Decimal("50.00")
    # Sam held 50 + 8 (+ no fee: $58 ships free); the lamp's 50 went back to Bea from what was held.
    assert balances(app, market["sam"]) == (Decimal("0.00"), Decimal("8.00"))
    stock_after = query_one(app, "SELECT quantity FROM offers WHERE product_id = :p", p=market["lamp"]["id"])
    assert stock_after["quantity"] == stock_before["quantity"] + 2
    event = query_one(app, "SELECT delta FROM inventory_events WHERE reason = 'return' AND order_id = :o", o=lamp["id"])
    assert event["delta"] == 2
    assert "$50.00" in outbox(app, "return_accepted", market["bea"]["email"])[0]["text"]
    again = actions.post(f"/seller/orders/{lamp['id']}/return/accept", {"restock": "no"})
    assert again.status_code == 409 and "already been refunded" in again.get_data(as_text=True)
    refused = actions.post(f"/seller/orders/{lamp['id']}/return/refuse", {"reason": "Too late"})
    assert refused.status_code == 409

    sign_in(actions, market["bea"])
    page = client.get(f"/purchases/{purchase_id}").get_data(as_text=True)
    assert 'data-testid="original-total">$58.00<' in page
    assert 'data-testid="refunds">-$50.00<' in page and 'data-testid="net-paid">$8.00<' in page
    for step in ("Placed", "Shipped", "Delivered", "Return requested", "Returned", "Refunded"):
        assert step in page


def test_a_refused_return_keeps_the_money_held_until_the_window_closes(app, client, actions, market):
    purchase_id = place(app, market["bea"], [(market["sam"], market["lamp"], 1)])
    lamp = line_of(app, purchase_id, market["lamp"])
    with app.test_request_context():
        order.mark_shipped(market["sam"]["id"], [lamp["id"]], "UPS", None)
        order.confirm_receipt(lamp["id"], purchase_id, market["bea"]["id"])
        order.request_return(lamp["id"], purchase_id, market["bea"]["id"], "Changed my mind.")
    sign_in(actions, market["sam"])
    assert actions.post(f"/seller/orders/{lamp['id']}/return/refuse", {"reason": ""}).status_code == 400
    response = actions.post(f"/seller/orders/{lamp['id']}/return/refuse", {"reason": "Opened and used."})
    assert response.status_code == 302
    assert line(app, lamp["id"])["status"] == "return_refused"
    assert "Opened and used." in outbox(app, "return_refused", market["bea"]["email"])[0]["text"]
    assert actions.post(f"/seller/orders/{lamp['id']}/return/accept", {"restock": "yes"}).status_code == 409
    # Still held (the fee too: $4.99 on $25) until 30 days after delivery, then released by the job.
    assert balances(app, market["sam"]) == (Decimal("0.00"), Decimal("29.99"))
    with app.test_request_context(), app.extensions["bazaar_db"].transaction() as conn:
        assert escrow.release_due(conn) == 0
    make_older(app, lamp["id"], 31)
    with app.test_request_context(), app.extensions["bazaar_db"].transaction() as conn:
        assert escrow.release_due(conn) == 1
    assert balances(app, market["sam"]) == (Decimal("29.99"), Decimal("0.00"))
    row = query_one(app, "SELECT fee_settled_at, fee_refunded FROM shipments WHERE purchase_id = :p", p=purchase_id)
    assert row["fee_settled_at"] is not None and row["fee_refunded"] is False
    kinds = query_one(
        app,
        "SELECT array_agg(kind || ':' || account ORDER BY id) AS k FROM balance_ledger WHERE user_id = :u",
        u=market["sam"]["id"],
    )["k"]
    assert kinds == ["sale:pending", "release:pending", "release:available", "release:pending", "release:available"]
    # Available money can be withdrawn now.
    response = actions.post("/account/balance/withdraw", {"amount": "29.99", "request_token": str(uuid.uuid4())})
    assert response.status_code == 302
    assert balances(app, market["sam"]) == (Decimal("0.00"), Decimal("0.00"))


def test_withdrawals_come_only_from_available_money(app, client, actions, market):
    place(app, market["bea"], [(market["sam"], market["lamp"], 2)])
    sign_in(actions, market["sam"])
    page = client.get("/account/balance").get_data(as_text=True)
    assert 'data-testid="pending-balance">$50.00<' in page and 'data-testid="balance">$0.00<' in page
    response = actions.post("/account/balance/withdraw", {"amount": "10", "request_token": str(uuid.uuid4())})
    assert response.status_code == 400
    assert balances(app, market["sam"]) == (Decimal("0.00"), Decimal("50.00"))


def test_the_job_delivers_what_nobody_confirmed_after_14_days(app, market):
    purchase_id = place(app, market["bea"], [(market["sam"], market["lamp"], 1), (market["sam"], market["mug"], 1)])
    lamp, mug = line_of(app, purchase_id, market["lamp"]), line_of(app, purchase_id, market["mug"])
    with app.test_request_context():
        order.mark_shipped(market["sam"]["id"], [lamp["id"], mug["id"]], "UPS", "1Z1")
    make_older(app, lamp["id"], 15)
    make_older(app, mug["id"], 13)
    with app.test_request_context(), app.extensions["bazaar_db"].transaction() as conn:
        assert order.deliver_overdue(conn) == 1
        assert order.deliver_overdue(conn) == 0
    assert line(app, lamp["id"])["status"] == "delivered" and line(app, lamp["id"])["auto_delivered"]
    assert line(app, mug["id"])["status"] == "shipped"
    delivered = outbox(app, "order_delivered", market["bea"]["email"])
    assert len(delivered) == 1 and "two weeks" in delivered[0]["text"]


def test_cancelling_every_line_of_a_seller_refunds_the_fee_too(app, client, actions, market):
    purchase_id = place(app, market["bea"], [(market["sam"], market["lamp"], 1), (market["sam"], market["mug"], 1)])
    lamp, mug = line_of(app, purchase_id, market["lamp"]), line_of(app, purchase_id, market["mug"])
    assert balances(app, market["sam"])[1] == Decimal("37.99")  # 25 + 8 + 4.99
    sign_in(actions, market["bea"])
    page = client.get(f"/purchases/{purchase_id}/lines/{lamp['id']}/cancel").get_data(as_text=True)
    assert "Cancel the line and refund $25.00" in page
    response = actions.post(f"/purchases/{purchase_id}/lines/{lamp['id']}/cancel", follow_redirects=True)
    assert "Line cancelled: $25.00 is back in your balance." in response.get_data(as_text=True)
    assert balances(app, market["sam"])[1] == Decimal("12.99")
    response = actions.post(f"/purchases/{purchase_id}/lines/{mug['id']}/cancel", follow_redirects=True)
    assert "$12.99 is back in your balance, the shipping fee of $4.99 included" in response.get_data(as_text=True)
    assert balances(app, market["sam"]) == (Decimal("0.00"), Decimal("0.00"))
    assert balances(app, market["bea"])[0] == Decimal("500.00")
    assert query_one(app, "SELECT fee_refunded FROM shipments WHERE purchase_id = :p", p=purchase_id)["fee_refunded"]
    assert len(outbox(app, "order_refunded", market["bea"]["email"])) == 2
    assert len(outbox(app, "order_cancelled", market["sam"]["email"])) == 2
    page = client.get(f"/purchases/{purchase_id}").get_data(as_text=True)
    assert 'data-testid="net-paid">$0.00<' in page


def test_every_invalid_transition_is_a_409_with_its_reason(app, client, actions, market):
    purchase_id = place(app, market["bea"], [(market["sam"], market["lamp"], 1)])
    lamp = line_of(app, purchase_id, market["lamp"])
    base = f"/purchases/{purchase_id}/lines/{lamp['id']}"
    sign_in(actions, market["bea"])
    # Placed: no receipt, no return; the seller answers no return.
    response = actions.post(f"{base}/receipt")
    assert response.status_code == 409 and "has not shipped yet" in response.get_data(as_text=True)
    assert line(app, lamp["id"])["status"] == "placed"
    response = actions.post(f"{base}/return", {"reason": "Why not"})
    assert response.status_code == 409 and "once it has been delivered" in response.get_data(as_text=True)
    sign_in(actions, market["sam"])
    response = actions.post(f"/seller/orders/{lamp['id']}/return/accept", {"restock": "yes"})
    assert response.status_code == 409 and "No return of this line" in response.get_data(as_text=True)
    # Shipped: no cancel, no second shipping, no return.
    with app.test_request_context():
        order.mark_shipped(market["sam"]["id"], [lamp["id"]], "UPS", None)
    assert actions.post("/seller/orders/ship", {"order_ids": [str(lamp["id"])], "carrier": "DHL"}).status_code == 409
    sign_in(actions, market["bea"])
    response = actions.post(f"{base}/cancel")
    assert response.status_code == 409 and "already shipped" in response.get_data(as_text=True)
    assert actions.post(f"{base}/return", {"reason": "Why not"}).status_code == 409
    # Delivered, then past the return window: no return.
    actions.post(f"{base}/receipt")
    make_older(app, lamp["id"], 31)
    response = actions.post(f"{base}/return", {"reason": "Too late?"})
    assert response.status_code == 409 and "return window of this line has closed" in response.get_data(as_text=True)
    assert line(app, lamp["id"])["status"] == "delivered"
    # Released to the seller by the job: still no return.
    with app.test_request_context(), app.extensions["bazaar_db"].transaction() as conn:
        assert escrow.release_due(conn) == 1
    response = actions.post(f"{base}/return", {"reason": "Still too late?"})
    assert response.status_code == 409 and "return window of this line has closed" in response.get_data(as_text=True)
    assert line(app, lamp["id"])["return_requested_at"] is None


def ask_return(app, market, purchase_id: int, line_id: int, seller) -> None:
    """Ship and deliver the line, and have Bea ask to return it."""
    with app.test_request_context():
        order.mark_shipped(seller["id"], [line_id], "UPS", None)
        order.confirm_receipt(line_id, purchase_id, market["bea"]["id"])
        order.request_return(line_id, purchase_id, market["bea"]["id"], "Not what I ordered.")


def test_accepting_a_return_without_restock_refunds_and_leaves_the_stock(app, client, actions, market):
    purchase_id = place(app, market["bea"], [(market["sam"], market["lamp"], 2)])
    lamp = line_of(app, purchase_id, market["lamp"])
    ask_return(app, market, purchase_id, lamp["id"], market["sam"])
    stock_before = query_one(app, "SELECT quantity FROM offers WHERE product_id = :p", p=market["lamp"]["id"])
    bea_before = balances(app, market["bea"])[0]
    sign_in(actions, market["sam"])
    response = actions.post(f"/seller/orders/{lamp['id']}/return/accept", {"restock": "no"}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Return accepted: $50.00 refunded to the buyer." in page and "back in stock" not in page
    row = line(app, lamp["id"])
    assert row["status"] == "refunded" and row["refunded_amount"] == Decimal("50.00")
    assert row["refunded_at"] is not None and row["returned_at"] is None
    assert balances(app, market["bea"])[0] == bea_before + Decimal("50.00")
    assert balances(app, market["sam"]) == (Decimal("0.00"), Decimal("0.00"))  # $50 ships free: nothing held
    assert query_one(app, "SELECT quantity FROM offers WHERE product_id = :p", p=market["lamp"]["id"]) == stock_before
    events = query_one(app, "SELECT count(*) AS n FROM inventory_events WHERE order_id = :o", o=lamp["id"])
    assert events["n"] == 1  # the sale only
    assert "$50.00" in outbox(app, "return_accepted", market["bea"]["email"])[0]["text"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [("accept", "This line has already been refunded."), ("refuse", "The seller refused the return of this line.")],
)
def test_a_return_once_answered_cannot_be_asked_again(app, client, actions, market, answer, message):
    purchase_id = place(app, market["bea"], [(market["sam"], market["lamp"], 1)])
    lamp = line_of(app, purchase_id, market["lamp"])
    ask_return(app, market, purchase_id, lamp["id"], market["sam"])
    with app.test_request_context():
        if answer == "accept":
            order.accept_return(lamp["id"], market["sam"]["id"], restock=True)
        else:
            order.refuse_return(lamp["id"], market["sam"]["id"], "Used.")
    status = line(app, lamp["id"])["status"]
    sign_in(actions, market["bea"])
    response = actions.post(f"/purchases/{purchase_id}/lines/{lamp['id']}/return", {"reason": "Please, again."})
    assert response.status_code == 409 and message in response.get_data(as_text=True)
    assert line(app, lamp["id"])["status"] == status
    assert len(outbox(app, "return_requested", market["sam"]["email"])) == 1


def test_someone_elses_lines_are_not_found(app, client, actions, market):
    purchase_id = place(app, market["bea"], [(market["sam"], market["lamp"], 1), (market["rita"], market["vase"], 1)])
    lamp, vase = line_of(app, purchase_id, market["lamp"]), line_of(app, purchase_id, market["vase"])
    with app.test_request_context():
        order.mark_shipped(market["sam"]["id"], [lamp["id"]], "UPS", None)
    stranger = actions.create_user()
    sign_in(actions, stranger)
    for path in ("receipt", "cancel"):
        assert actions.post(f"/purchases/{purchase_id}/lines/{lamp['id']}/{path}").status_code == 404
    assert actions.post(f"/purchases/{purchase_id}/lines/{lamp['id']}/return", {"reason": "x"}).status_code == 404
    assert client.get(f"/purchases/{purchase_id}/invoice").status_code == 404
    assert actions.post(f"/purchases/{purchase_id}/buy-again").status_code == 404
    # Bea's own purchase, with a line id from another purchase: not found either.
    other = place(app, market["bea"], [(market["sam"], market["mug"], 1)])
    mug = line_of(app, other, market["mug"])
    sign_in(actions, market["bea"])
    assert actions.post(f"/purchases/{purchase_id}/lines/{mug['id']}/cancel").status_code == 404
    assert actions.post(f"/purchases/{purchase_id}/lines/999999999/receipt").status_code == 404
    # Rita cannot answer for Sam's line, nor ship it.
    sign_in(actions, market["rita"])
    assert client.get(f"/seller/orders/{lamp['id']}/return").status_code == 404
    assert actions.post(f"/seller/orders/{lamp['id']}/return/accept", {"restock": "yes"}).status_code == 404
    assert actions.post(f"/seller/orders/{lamp['id']}/return/refuse", {"reason": "No"}).status_code == 404
    assert actions.post("/seller/orders/ship", {"order_ids": [str(mug["id"])], "carrier": "UPS"}).status_code == 404
    assert line(app, vase["id"])["status"] == "placed" and line(app, mug["id"])["status"] == "placed"


# The purchase's other pages


def test_invoice_buy_again_and_the_purchases_csv(app, client, actions, market):
    purchase_id = place(
        app, market["bea"], [(market["sam"], market["lamp"], 1), (market["rita"], market["vase"], 1)], note="Hi"
    )
    other = place(app, market["bea"], [(market["sam"], market["mug"], 3)])
    sign_in(actions, market["bea"])
    invoice = client.get(f"/purchases/{purchase_id}/invoice").get_data(as_text=True)
    assert f"Invoice for purchase #{purchase_id}" in invoice and "css/invoice." in invoice
    assert "Desk Lamp" in invoice and "Shipping: Standard" in invoice and "$69.99" in invoice
    # The purchases CSV: one row per line of the purchases the list's filters match.
    response = client.get("/purchases.csv?q=mug")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["Purchase", "Placed", "Product"] and len(rows) == 2
    assert rows[1][0] == str(other) and rows[1][2] == "Coffee Mug" and rows[1][10] == "Placed"
    everything = list(csv.reader(io.StringIO(client.get("/purchases.csv").get_data(as_text=True))))
    assert len(everything) == 4
    assert client.get("/purchases.csv?status=evil&date_from=x").status_code == 200
    # Buy again puts what is still sold back in the cart.
    response = actions.post(f"/purchases/{purchase_id}/buy-again")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    in_cart = query_one(app, "SELECT count(*) AS n FROM cart_lines WHERE user_id = :u", u=market["bea"]["id"])
    assert in_cart["n"] == 2


def test_the_sellers_csv_follows_the_page_filters(app, client, actions, market):
    first = place(app, market["bea"], [(market["sam"], market["lamp"], 1)])
    place(app, market["bea"], [(market["sam"], market["mug"], 1)])
    with app.test_request_context():
        order.mark_shipped(market["sam"]["id"], [line_of(app, first, market["lamp"])["id"]], "UPS", "=cmd|calc")
    sign_in(actions, market["sam"])
    to_ship = list(csv.reader(io.StringIO(client.get("/seller/orders.csv").get_data(as_text=True))))
    assert len(to_ship) == 2 and to_ship[1][6] == "Coffee Mug" and "12 Elm Street" in to_ship[1][4]
    shipped = list(csv.reader(io.StringIO(client.get("/seller/orders.csv?status=shipped").get_data(as_text=True))))
    assert len(shipped) == 2 and shipped[1][15] == "UPS" and shipped[1][16] == "'=cmd|calc"  # never a formula
    every = list(csv.reader(io.StringIO(client.get("/seller/orders.csv?status=all&q=lamp").get_data(as_text=True))))
    assert len(every) == 2


def csv_rows(client, path: str) -> list[dict]:
    """A CSV export's rows as {header: cell}."""
    return list(csv.DictReader(io.StringIO(client.get(path).get_data(as_text=True))))


def test_the_csvs_show_discounts_and_what_the_seller_gets(app, client, actions, market):
    sam, rita, bea = market["sam"], market["rita"], market["bea"]
    vase_purchase = place(app, bea, [(rita, market["vase"], 1)])
    vase = line_of(app, vase_purchase, market["vase"])
    with app.test_request_context():
        order.mark_shipped(rita["id"], [vase["id"]], "UPS", None)
        order.confirm_receipt(vase["id"], vase_purchase, bea["id"])  # 40 points
        coupon.create_coupon(sam["id"], "SAM10", percent_off=Decimal("10"))
        coupon.create_coupon(None, "BAZAAR10", percent_off=Decimal("10"))
    # $50 of lamps: Sam's 10 % ($5.00), then Bazaar's 10 % of $45.00 ($4.50), then 40 points ($0.40).
    lamps = place(app, bea, [(sam, market["lamp"], 2)], coupon_codes=["SAM10", "BAZAAR10"], points_to_spend=40)
    cancelled, refunded, old = (place(app, bea, [(sam, market["mug"], 1)]) for _ in range(3))
    with app.test_request_context():
        purchase.cancel_line(line_of(app, cancelled, market["mug"])["id"], cancelled, bea["id"])
    ask_return(app, market, refunded, line_of(app, refunded, market["mug"])["id"], sam)
    with app.test_request_context():
        order.accept_return(line_of(app, refunded, market["mug"])["id"], sam["id"], restock=False)
    # Paid out before escrow began: nothing held, but Sam got the line's total.
    query_one(
        app, "UPDATE orders SET held_amount = 0 WHERE id = :id RETURNING id", id=line_of(app, old, market["mug"])["id"]
    )
    sign_in(actions, sam)
    rows = {int(row["Purchase"]): row for row in csv_rows(client, "/seller/orders.csv?status=all")}
    assert (rows[lamps]["Line total"], rows[lamps]["Your coupon"]) == ("50.00", "5.00")
    assert (rows[lamps]["Bazaar's coupon and points"], rows[lamps]["Your proceeds"]) == ("4.90", "45.00")
    proceeds = [rows[purchase_id]["Your proceeds"] for purchase_id in (cancelled, refunded, old)]
    assert proceeds == ["0.00", "0.00", "8.00"]
    sign_in(actions, bea)
    rows = {int(row["Purchase"]): row for row in csv_rows(client, "/purchases.csv")}
    assert (rows[lamps]["Coupon discount"], rows[lamps]["Paid with points"], rows[lamps]["Paid"]) == (
        "9.50",
        "0.40",
        "40.10",
    )
    assert (rows[vase_purchase]["Coupon discount"], rows[vase_purchase]["Paid"]) == ("0.00", "40.00")


def test_the_purchase_page_and_the_seller_orders_run_a_fixed_number_of_queries(
    app, client, actions, market, count_queries
):
    counts = []
    for lines in (1, 3):
        extra = [factories.product(app, market["sam"]["id"], name=f"Extra {lines}-{n}") for n in range(lines)]
        for product in extra:
            factories.offer(app, market["sam"]["id"], product["id"], price="2.00")
        purchase_id = place(app, market["bea"], [(market["sam"], product, 1) for product in extra])
        sign_in(actions, market["bea"])
        with count_queries() as page:
            client.get(f"/purchases/{purchase_id}")
        with count_queries() as invoice:
            client.get(f"/purchases/{purchase_id}/invoice")
        sign_in(actions, market["sam"])
        with count_queries() as orders:
            client.get("/seller/orders")
        counts.append((len(page), len(invoice), len(orders)))
    assert counts[0] == counts[1]
    assert counts[0][0] <= 3


# The seller's shipping settings


def test_shipping_settings_add_edit_and_retire(app, client, actions, market):
    sign_in(actions, market["sam"])
    page = client.get("/seller/shipping").get_data(as_text=True)
    assert "Standard" in page and "Express" in page and "free from $50.00" in page
    form = {"name": "Economy", "fee": "1.50", "free_over": "", "min_days": "5", "max_days": "9"}
    assert actions.post("/seller/shipping", form).status_code == 302
    assert actions.post("/seller/shipping", form).status_code == 409  # the name is taken
    method = query_one(app, "SELECT id FROM shipping_methods WHERE name = 'Economy'")["id"]
    edited = form | {"fee": "2.00", "free_over": "30"}
    assert actions.post(f"/seller/shipping/{method}/edit", edited).status_code == 302
    row = query_one(app, "SELECT fee, free_over FROM shipping_methods WHERE id = :id", id=method)
    assert row["fee"] == Decimal("2.00") and row["free_over"] == Decimal("30.00")
    assert actions.post(f"/seller/shipping/{method}/retire").status_code == 302
    assert '<span class="fw-semibold">Economy</span>' not in client.get("/seller/shipping").get_data(as_text=True)
    assert client.get(f"/seller/shipping/{method}/edit").status_code == 404  # retired
    sign_in(actions, market["rita"])
    assert client.get(f"/seller/shipping/{market['express']}/edit").status_code == 404
    assert actions.post(f"/seller/shipping/{market['express']}/retire").status_code == 404
    assert "Standard delivery" in client.get("/seller/shipping").get_data(as_text=True)  # Rita ships by the default


@pytest.mark.parametrize(
    "change",
    [
        {"name": ""},
        {"fee": "-1"},
        {"fee": "abc"},
        {"fee": "10001"},
        {"free_over": "0"},
        {"free_over": "NaN"},
        {"min_days": "9", "max_days": "3"},
        {"max_days": "9" * 30},
        {"min_days": ""},
    ],
)
def test_bad_shipping_methods_are_form_errors(app, actions, market, change):
    sign_in(actions, market["sam"])
    form = {"name": "Courier", "fee": "5", "free_over": "", "min_days": "1", "max_days": "2"} | change
    assert actions.post("/seller/shipping", form).status_code == 400
    assert query_one(app, "SELECT count(*) AS n FROM shipping_methods WHERE name = 'Courier'")["n"] == 0


def test_the_seller_orders_open_on_what_to_ship_and_list_returns_to_answer(app, client, actions, market):
    older = place(app, market["bea"], [(market["sam"], market["lamp"], 1)])
    newer = place(app, market["bea"], [(market["sam"], market["mug"], 1)])
    lamp = line_of(app, older, market["lamp"])
    with app.test_request_context():
        order.mark_shipped(market["sam"]["id"], [lamp["id"]], "UPS", None)
        order.confirm_receipt(lamp["id"], older, market["bea"]["id"])
        order.request_return(lamp["id"], older, market["bea"]["id"], "Broken on arrival.")
    sign_in(actions, market["sam"])
    page = client.get("/seller/orders").get_data(as_text=True)
    assert re.findall(r"Purchase #(\d+)", page) == [str(newer)]
    assert "Returns to answer" in page and "Note:" not in page
    returns = client.get("/seller/orders?status=return_requested").get_data(as_text=True)
    assert "Broken on arrival." in returns and "Answer return" in returns


def test_accepting_a_return_the_seller_cannot_pay_for_is_a_409(app, client, actions, market):
    purchase_id = place(app, market["bea"], [(market["sam"], market["lamp"], 1)])
    lamp = line_of(app, purchase_id, market["lamp"])
    ask_return(app, market, purchase_id, lamp["id"], market["sam"])
    # Sold before escrow began: the line holds nothing, and Sam's available balance is empty.
    query_one(app, "UPDATE orders SET held_amount = 0 WHERE id = :id RETURNING id", id=lamp["id"])
    stock_before = query_one(app, "SELECT quantity FROM offers WHERE product_id = :p", p=market["lamp"]["id"])
    before = balances(app, market["bea"]), balances(app, market["sam"])
    sign_in(actions, market["sam"])
    response = actions.post(f"/seller/orders/{lamp['id']}/return/accept", {"restock": "yes"})
    assert response.status_code == 409
    assert "your available balance cannot cover its refund of $25.00" in response.get_data(as_text=True)
    assert line(app, lamp["id"])["status"] == "return_requested"
    assert (balances(app, market["bea"]), balances(app, market["sam"])) == before
    assert query_one(app, "SELECT quantity FROM offers WHERE product_id = :p", p=market["lamp"]["id"]) == stock_before
    assert outbox(app, "return_accepted", market["bea"]["email"]) == []


# Each invariant of the journey catches what breaks it.


def journey_history(app, market) -> dict:
    """Sam's lamp delivered, returned, refunded and restocked; his mug placed; Rita's vase delivered
    (its money held). Returns the lines' ids."""
    sam, rita, bea = market["sam"], market["rita"], market["bea"]
    purchase_id = place(app, bea, [(sam, market["lamp"], 1), (sam, market["mug"], 1), (rita, market["vase"], 1)])
    lamp, mug, vase = (line_of(app, purchase_id, market[name])["id"] for name in ("lamp", "mug", "vase"))
    with app.test_request_context():
        for seller, line_id in ((sam, lamp), (rita, vase)):
            order.mark_shipped(seller["id"], [line_id], "UPS", None)
            order.confirm_receipt(line_id, purchase_id, bea["id"])
        order.request_return(lamp, purchase_id, bea["id"], "Bent.")
        order.accept_return(lamp, sam["id"], restock=True)
    return {"lamp": lamp, "mug": mug, "vase": vase}


@pytest.mark.parametrize(
    ("name", "constraint", "statement"),
    [
        pytest.param(
            "orders: every line's state history",
            "orders_path_check",
            "UPDATE orders SET status = 'delivered' WHERE id = :mug RETURNING id",
            id="a state without its time",
        ),
        pytest.param(
            "orders: every line's state history",
            "orders_path_check",
            "UPDATE orders SET delivered_at = shipped_at - interval '1 hour' WHERE id = :vase RETURNING id",
            id="delivered before shipped",
        ),
        pytest.param(
            "orders: refunded amount",
            "orders_refunded_amount_check",
            "UPDATE orders SET refunded_amount = paid + 1 WHERE id = :lamp RETURNING id",
            id="refunded more than paid",
        ),
        pytest.param(
            "orders: refunded amount",
            None,
            "UPDATE orders SET refunded_amount = 1 WHERE id = :mug RETURNING id",
            id="refunded a line not cancelled or returned",
        ),
        pytest.param(
            "inventory: a sale event per order line",
            None,
            "DELETE FROM inventory_events WHERE reason = 'return' AND order_id = :lamp RETURNING id",
            id="restocked return without its stock event",
        ),
        pytest.param(
            "escrow: each seller's pending balance",
            None,
            "UPDATE orders SET held_amount = held_amount - 1 WHERE id = :vase RETURNING id",
            id="escrow pending",
        ),
    ],
)
def test_each_journey_invariant_catches_its_break(app, market, name, constraint, statement):
    lines = journey_history(app, market)
    assert invariant(app, name) == 0
    if constraint:
        drop_constraint(app, "orders", constraint)
    assert query_one(app, statement, **lines) is not None  # the break changed a row
    assert invariant(app, name) > 0
