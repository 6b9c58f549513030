"""Console: departments and categories (create, rename, move, merge: counts stay right) and
products (take down, restore, the approval queue, edit, delete), each with its audit row."""

from decimal import Decimal

import pytest

from tests import factories
from tests.conftest import Actions, query_one
from tests.test_admin import make_staff
from tests.test_admin_users import audit_rows, product_row

COUNTS_BY_DEPARTMENT = """
    SELECT d.name AS department, count(p.id) AS products
    FROM departments AS d
    LEFT JOIN categories AS c ON c.department_id = d.id
    LEFT JOIN products AS p ON p.category_id = c.id
    WHERE d.id = ANY(:ids)
    GROUP BY d.name
"""


CHOOSE = "Choose one from the list."


def counts(app, department_ids) -> dict[str, int]:
    from sqlalchemy import text

    with app.extensions["bazaar_db"].connect() as connection:
        rows = connection.execute(text(COUNTS_BY_DEPARTMENT), {"ids": list(department_ids)}).mappings().all()
    return {row["department"]: row["products"] for row in rows}


@pytest.fixture
def tree(app, actions):
    """Two departments: Kitchen (Pots: 3 products, Pans: 2) and Garden (Pots: 1, Tools: 2)."""
    seller = actions.create_user()
    kitchen, garden = factories.department(app, "Kitchen"), factories.department(app, "Garden")
    categories = {
        ("Kitchen", "Pots"): factories.category(app, kitchen["id"], "Pots"),
        ("Kitchen", "Pans"): factories.category(app, kitchen["id"], "Pans"),
        ("Garden", "Pots"): factories.category(app, garden["id"], "Pots"),
        ("Garden", "Tools"): factories.category(app, garden["id"], "Tools"),
    }
    sizes = {("Kitchen", "Pots"): 3, ("Kitchen", "Pans"): 2, ("Garden", "Pots"): 1, ("Garden", "Tools"): 2}
    for key, size in sizes.items():
        for number in range(size):
            factories.product(app, seller["id"], categories[key]["id"], name=f"{key[1]} {number}")
    admin, _ = make_staff(app, "administrator")
    return {"kitchen": kitchen, "garden": garden, "categories": categories, "admin": admin, "seller": seller}


def test_create_and_rename_a_department_and_a_category(app, tree):
    admin = tree["admin"]
    assert admin.post("/admin/departments", {"department-name": "Toys & Games"}).status_code == 302
    department = query_one(app, "SELECT id, slug FROM departments WHERE name = 'Toys & Games'")
    assert department["slug"] == "toys-games"
    response = admin.post("/admin/categories", {"category-department_id": department["id"], "category-name": "Puzzles"})
    assert response.status_code == 302
    category = query_one(app, "SELECT id, slug FROM categories WHERE name = 'Puzzles'")
    assert admin.post(f"/admin/categories/{category['id']}/rename", {"name": "Jigsaws"}).status_code == 302
    assert query_one(app, "SELECT name, slug FROM categories WHERE id = :id", id=category["id"]) == {
        "name": "Jigsaws",
        "slug": category["slug"],  # links keep working
    }
    assert admin.post(f"/admin/departments/{department['id']}/rename", {"name": "Toys"}).status_code == 302
    for action, target in (("department.create", department["id"]), ("category.rename", category["id"])):
        assert audit_rows(app, action, target)["n"] == 1


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("/admin/departments", {"department-name": "Kitchen"}, "There is a department named"),
        ("/admin/departments", {"department-name": ""}, "Enter a name."),
        ("/admin/departments", {"department-name": "!!!"}, "at least one letter or digit"),
        ("/admin/departments", {"department-name": "x" * 61}, "longer than 60"),
        ("/admin/categories", {"category-department_id": "999999999", "category-name": "New"}, CHOOSE),
        ("/admin/categories", {"category-department_id": "abc", "category-name": "New"}, CHOOSE),
    ],
)
def test_bad_catalog_input_is_a_form_error(app, tree, url, data, message):
    response = tree["admin"].post(url, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_name_taken_in_the_department_is_refused(app, tree):
    pans = tree["categories"][("Kitchen", "Pans")]
    response = tree["admin"].post(f"/admin/categories/{pans['id']}/rename", {"name": "Pots"})
    assert response.status_code == 400 and "is taken there already" in response.get_data(as_text=True)


def test_moving_a_category_takes_its_products_along(app, tree):
    pans = tree["categories"][("Kitchen", "Pans")]
    response = tree["admin"].post(f"/admin/categories/{pans['id']}/move", {"target_id": tree["garden"]["id"]})
    assert response.status_code == 302
    assert counts(app, [tree["kitchen"]["id"], tree["garden"]["id"]]) == {"Kitchen": 3, "Garden": 5}
    # A same-named category there: merge instead.
    pots = tree["categories"][("Kitchen", "Pots")]
    refused = tree["admin"].post(f"/admin/categories/{pots['id']}/move", {"target_id": tree["garden"]["id"]})
    assert refused.status_code == 400 and "merge the two instead" in refused.get_data(as_text=True)
    assert audit_rows(app, "category.move", pans["id"])["n"] == 1


def test_merging_categories_moves_every_product(app, tree):
    pots, pans = tree["categories"][("Kitchen", "Pots")], tree["categories"][("Kitchen", "Pans")]
    response = tree["admin"].post(f"/admin/categories/{pans['id']}/merge", {"target_id": pots["id"]})
    assert response.status_code == 302
    assert query_one(app, "SELECT count(*) AS n FROM products WHERE category_id = :id", id=pots["id"])["n"] == 5
    assert query_one(app, "SELECT count(*) AS n FROM categories WHERE id = :id", id=pans["id"])["n"] == 0
    assert counts(app, [tree["kitchen"]["id"]]) == {"Kitchen": 5}
    assert '"products_moved": 2' in audit_rows(app, "category.merge", pans["id"])["after"]


def test_merging_departments_merges_same_named_categories(app, tree):
    garden, kitchen = tree["garden"], tree["kitchen"]
    response = tree["admin"].post(f"/admin/departments/{garden['id']}/merge", {"target_id": kitchen["id"]})
    assert response.status_code == 302
    assert counts(app, [kitchen["id"]]) == {"Kitchen": 8}
    assert query_one(app, "SELECT count(*) AS n FROM departments WHERE id = :id", id=garden["id"])["n"] == 0
    names = query_one(
        app, "SELECT array_agg(name ORDER BY name) AS names FROM categories WHERE department_id = :id", id=kitchen["id"]
    )["names"]
    assert names == ["Pans", "Pots", "Tools"]
    kitchen_pots = tree["categories"][("Kitchen", "Pots")]
    assert query_one(app, "SELECT count(*) AS n FROM products WHERE category_id = :id", id=kitchen_pots["id"])["n"] == 4
    assert audit_rows(app, "department.merge", garden["id"])["n"] == 1
    page = tree["admin"].client.get("/admin/catalog").get_data(as_text=True)
    assert f'data-testid="category-{kitchen_pots["id"]}-products">4<' in page


def test_merging_into_itself_or_nowhere_is_refused(app, tree):
    pots = tree["categories"][("Kitchen", "Pots")]
    assert tree["admin"].post(f"/admin/categories/{pots['id']}/merge", {"target_id": pots["id"]}).status_code == 400
    assert tree["admin"].post(f"/admin/categories/{pots['id']}/merge", {"target_id": "2" * 30}).status_code == 400
    assert tree["admin"].post("/admin/categories/999999999/merge", {"target_id": pots["id"]}).status_code == 404


@pytest.fixture
def lamp(app, actions):
    """A product with two sellers' offers, its creator signed in on a client, and a moderator."""
    creator = actions.create_user(full_name="Cleo Creator")
    other = actions.create_user(full_name="Otto Other")
    product = factories.product(app, creator["id"], name="Lava Lamp")
    factories.offer(app, creator["id"], product["id"], price="25.00", quantity=4)
    factories.offer(app, other["id"], product["id"], price="22.00", quantity=1)
    owner = Actions(app, app.test_client())
    owner.login(creator["email"])
    moderator, _ = make_staff(app, "moderator")
    return {"product": product, "creator": creator, "other": other, "owner": owner, "moderator": moderator}


def test_a_take_down_hides_the_product_and_shows_its_creator_why(app, client, lamp):
    product_id = lamp["product"]["id"]
    response = lamp["moderator"].post(f"/admin/products/{product_id}/take-down", {"reason": "Unsafe wiring"})
    assert response.status_code == 302
    assert product_row(app, product_id) == {"offer_count": 0, "total_stock": 0, "min_price": None}
    assert client.get(f"/products/{product_id}").status_code == 404
    assert "Lava Lamp" not in client.get("/products?q=lava&include_unavailable=1").get_data(as_text=True)
    page = lamp["owner"].client.get(f"/products/{product_id}").get_data(as_text=True)
    assert "Unsafe wiring" in page
    assert lamp["moderator"].client.get(f"/products/{product_id}").status_code == 200
    assert audit_rows(app, "product.take_down", product_id)["reason"] == "Unsafe wiring"

    lamp["moderator"].post(f"/admin/products/{product_id}/restore", {"reason": "Fixed"})
    assert product_row(app, product_id) == {"offer_count": 2, "total_stock": 5, "min_price": Decimal("22.00")}
    assert client.get(f"/products/{product_id}").status_code == 200
    assert audit_rows(app, "product.restore", product_id)["n"] == 1


def test_the_approval_queue_holds_new_products_until_a_moderator_approves(app, client, lamp):
    admin, _ = make_staff(app, "administrator")
    assert admin.post("/admin/settings/product-approval", {"enabled": "1"}).status_code == 302
    category = factories.category(app)
    response = lamp["owner"].post(
        "/seller/products/new",
        {"name": "Fresh Idea", "description": "New.", "category_id": category["id"], "price": "9.99", "quantity": "3"},
    )
    assert response.status_code == 302
    product = query_one(app, "SELECT id, status, offer_count FROM products WHERE name = 'Fresh Idea'")
    assert product["status"] == "pending" and product["offer_count"] == 0
    assert client.get(f"/products/{product['id']}").status_code == 404
    assert "waits for a moderator" in lamp["owner"].client.get(f"/products/{product['id']}").get_data(as_text=True)
    queue = lamp["moderator"].client.get("/admin/products?status=pending").get_data(as_text=True)
    assert "Fresh Idea" in queue
    lamp["moderator"].post(f"/admin/products/{product['id']}/approve", {"reason": "Looks fine"})
    assert query_one(app, "SELECT status, offer_count FROM products WHERE id = :id", id=product["id"]) == {
        "status": "listed",
        "offer_count": 1,
    }
    assert audit_rows(app, "product.approve", product["id"])["n"] == 1
    assert audit_rows(app, "setting.enable", None)["n"] == 0  # settings have no target id
    assert query_one(app, "SELECT count(*) AS n FROM audit_log WHERE action = 'setting.enable'")["n"] == 1
    admin.post("/admin/settings/product-approval", {"enabled": "0"})
    later = factories.product(app, lamp["creator"]["id"], name="Later")
    assert query_one(app, "SELECT status FROM products WHERE id = :id", id=later["id"])["status"] == "listed"


def test_rejecting_a_pending_product_tells_its_creator(app, lamp):
    admin, _ = make_staff(app, "administrator")
    admin.post("/admin/settings/product-approval", {"enabled": "1"})
    pending = factories.product(app, lamp["creator"]["id"], name="Dubious")
    lamp["moderator"].post(f"/admin/products/{pending['id']}/reject", {"reason": "Duplicate of #1"})
    page = lamp["owner"].client.get(f"/products/{pending['id']}").get_data(as_text=True)
    assert "Duplicate of #1" in page


def test_edit_changes_a_product_and_audits_before_and_after(app, lamp):
    product_id = lamp["product"]["id"]
    category = factories.category(app)
    response = lamp["moderator"].post(
        f"/admin/products/{product_id}/edit",
        {"edit-name": "Lava Lamp (red)", "edit-description": "", "edit-category_id": category["id"]},
    )
    assert response.status_code == 302
    row = query_one(app, "SELECT name, category_id FROM products WHERE id = :id", id=product_id)
    assert row == {"name": "Lava Lamp (red)", "category_id": category["id"]}
    entry = query_one(
        app, "SELECT before::text AS before, after::text AS after FROM audit_log WHERE action = 'product.edit'"
    )
    assert '"Lava Lamp"' in entry["before"] and '"Lava Lamp (red)"' in entry["after"]
    bad = lamp["moderator"].post(f"/admin/products/{product_id}/edit", {"edit-name": "", "edit-category_id": "x"})
    assert bad.status_code == 400


def test_only_a_never_sold_product_may_be_deleted(app, lamp, actions):
    from tests.sales import buy

    product_id = lamp["product"]["id"]
    sold = factories.product(app, lamp["creator"]["id"], name="Sold Lamp")
    factories.offer(app, lamp["creator"]["id"], sold["id"])
    buyer = actions.create_user(balance="100")
    category = query_one(
        app, "SELECT c.* FROM categories c JOIN products p ON p.category_id = c.id WHERE p.id = :id", id=sold["id"]
    )
    from datetime import UTC, datetime

    buy(app, buyer, [(lamp["creator"], sold, category, 1)], datetime.now(UTC))
    refused = lamp["moderator"].post(f"/admin/products/{sold['id']}/delete", {"reason": "Spam"})
    assert refused.status_code == 302
    assert query_one(app, "SELECT count(*) AS n FROM products WHERE id = :id", id=sold["id"])["n"] == 1

    factories.product_review(app, product_id, buyer["id"])
    assert lamp["moderator"].post(f"/admin/products/{product_id}/delete", {"reason": "Spam"}).status_code == 302
    assert query_one(app, "SELECT count(*) AS n FROM products WHERE id = :id", id=product_id)["n"] == 0
    assert query_one(app, "SELECT count(*) AS n FROM offers WHERE product_id = :id", id=product_id)["n"] == 0
    assert (
        '"Lava Lamp"' in query_one(app, "SELECT before::text AS b FROM audit_log WHERE action = 'product.delete'")["b"]
    )
