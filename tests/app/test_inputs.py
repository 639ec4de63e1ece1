"""Bad input never reaches the database: dates in range, no control characters, ids that fit."""

import pytest
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Customer
from portal.extensions import db as _db
from tests.factories import sign_in_customer

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


@pytest.mark.parametrize("query", ["date_from=0001-01-01", "date_to=9999-12-31", "date_from=1900-01-01"])
def test_dates_out_of_range_are_a_clear_message(app, client, db, query):
    sign_in_customer(client, app)
    response = client.get(f"/orders?lang=en&{query}")
    assert response.status_code == 422
    assert "Please enter a date between 2000-01-01 and 2099-12-31." in response.get_data(as_text=True)


def test_dates_in_range_search(app, client, db):
    sign_in_customer(client, app)
    assert client.get("/orders?date_from=2000-01-01&date_to=2099-12-31").status_code == 200


def _refused(response) -> None:
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)
    for header in SECURITY_HEADERS:
        assert header in response.headers


@pytest.mark.parametrize("value", ["%00", "a%00b", "%1b[31m", "%7f", "%0b"])
def test_control_characters_in_the_order_search_are_refused(app, client, db, value):
    sign_in_customer(client, app)
    _refused(client.get(f"/orders?lang=en&q={value}"))


def test_control_characters_in_a_parameter_name_are_refused(app, client, db):
    sign_in_customer(client, app)
    _refused(client.get("/orders?lang=en&q%00=1"))


def test_nul_in_the_staff_username_is_refused(client, db):
    _refused(client.post("/staff/login?lang=en", data={"username": "rev\x00iewer", "password": "x"}))


def test_nul_in_the_phone_is_refused(client, db):
    _refused(client.post("/login?lang=en", data={"phone": "138\x0000138000", "action": "send"}))


@pytest.mark.parametrize("path", ["reason", "autosave"])
def test_nul_in_the_wizard_reason_is_refused(app, client, db, path):
    sign_in_customer(client, app)
    _refused(client.post(f"/orders/1/refund/{path}?lang=en", data={"reason": "broken\x00", "amount": "1"}))


def test_tabs_and_line_breaks_in_text_are_kept(app, client, db):
    response = client.post("/staff/login?lang=en", data={"username": "a\tb", "password": "x\r\ny"})
    assert response.status_code == 422  # a wrong sign-in, not a refusal


@pytest.mark.parametrize("path", ["/cases/99999999999999999999", "/orders/2147483648", "/orders/99999999999"])
def test_ids_larger_than_the_database_integer_are_not_found(app, client, db, path):
    sign_in_customer(client, app)
    assert client.get(path).status_code == 404


def test_the_error_page_survives_a_failed_transaction_and_keeps_the_headers(app, client, db):
    sign_in_customer(client, app, phone="+8613800138000")

    @app.get("/_fails_in_the_database")
    def fails():
        _db.session.add(Customer(phone="+8613800138000"))
        try:
            _db.session.flush()  # a duplicate: the transaction is now failed
        except IntegrityError as exc:
            raise RuntimeError("no rollback on purpose") from exc

    response = client.get("/_fails_in_the_database?lang=en")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    for header in SECURITY_HEADERS:
        assert header in response.headers
