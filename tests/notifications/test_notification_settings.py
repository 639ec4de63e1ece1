"""The customer chooses SMS or not, and whether SMS as well when the APP has pushed the news."""

import pytest

from portal.accounts.models import Customer
from portal.extensions import db
from tests.conftest import htmx_headers
from tests.factories import sign_in_customer


@pytest.fixture
def customer(app, client):
    return sign_in_customer(client, app)


def _prefs(app, customer_id: int) -> tuple[bool, bool]:
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        return customer.sms_opt_in, customer.sms_with_app


def test_the_page_offers_the_app_choice_only_to_app_customers(app, client, customer):
    page = client.get("/messages/settings?lang=en").get_data(as_text=True)
    assert 'name="sms_opt_in"' in page and "checked" in page and 'name="sms_with_app"' not in page
    with app.app_context():
        db.session.get(Customer, customer).has_app = True
        db.session.commit()
    page = client.get("/messages/settings?lang=zh_CN").get_data(as_text=True)
    assert 'name="sms_with_app"' in page and "通知设置" in page


def test_saving_without_javascript_redirects_and_keeps_the_choice(app, client, customer):
    response = client.post("/messages/settings", data={})  # both boxes unticked
    assert response.status_code == 303 and response.headers["Location"].endswith("/messages/settings")
    assert _prefs(app, customer) == (False, False)
    client.post("/messages/settings", data={"sms_opt_in": "y", "sms_with_app": "y"})
    assert _prefs(app, customer) == (True, True)


def test_saving_with_htmx_redirects_the_page(app, client, customer):
    response = client.post("/messages/settings", data={"sms_opt_in": "y"}, headers=htmx_headers())
    assert response.headers["HX-Redirect"].endswith("/messages/settings")
    assert _prefs(app, customer) == (True, False)


def test_sms_with_app_means_nothing_without_sms(app, client, customer):
    client.post("/messages/settings", data={"sms_with_app": "y"})
    assert _prefs(app, customer) == (False, False)


def test_staff_and_strangers_cannot_open_it(client):
    assert client.get("/messages/settings").status_code == 302
