"""Fixtures for the case lifecycle: the demo world and a signed-in demo customer (cases: factories.py)."""

import pytest
from sqlalchemy import select

from portal.demo.builder import DEMO_PHONE, build
from portal.extensions import db as _db
from tests.helpers import sign_in_customer


@pytest.fixture
def world(db):
    """The demo world; returns the demo customer's id."""
    build()
    from portal.accounts.models import Customer

    return _db.session.scalar(select(Customer.id).where(Customer.phone == DEMO_PHONE))


@pytest.fixture
def customer(app, client, world):
    """The demo customer, signed in on `client`; returns the id."""
    return sign_in_customer(client, app, DEMO_PHONE)
