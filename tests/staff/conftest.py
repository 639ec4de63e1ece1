"""Fixtures for the staff area: the demo world, signed-in staff clients, and decision posts."""

import pytest
from flask import g
from flask.testing import FlaskClient

from tests.factories import sign_in_customer, sign_in_staff


class OwnUserClient(FlaskClient):
    """A client that never sees another client's user.

    Tests hold an app context open, and requests reuse it, so the per-context caches of the current
    user (Flask-Login) and the locale (Flask-Babel) in `g` would otherwise leak from one request into
    the next.
    """

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def staff_client(app, world):
    """Factory: a test client signed in as the named staff member."""

    def make(username: str):
        client = OwnUserClient(app, app.response_class, use_cookies=True)
        sign_in_staff(client, app, username)
        return client

    return make


@pytest.fixture
def customer_client(app, world):
    client = OwnUserClient(app, app.response_class, use_cookies=True)
    sign_in_customer(client, app)
    return client


def decision_data(action: str, version: int, confirmed: bool = True, **fields) -> dict:
    """Form fields for a decision, with the action's prefix."""
    data = {f"{action}-version": str(version)}
    if confirmed:
        data[f"{action}-confirmed"] = "1"
    for key, value in fields.items():
        data[f"{action}-{key}"] = value
    return data


def post_decision(client, case_id: int, action: str, version: int, confirmed=True, headers=None, **fields):
    """POST a decision (action with underscores; the URL uses hyphens)."""
    url = f"/staff/cases/{case_id}/{action.replace('_', '-')}?lang=en"
    return client.post(url, data=decision_data(action, version, confirmed, **fields), headers=headers or {})
