"""Test helpers: sign people in without going through the SMS round trip (tested on its own)."""

from sqlalchemy import select

from portal.accounts.models import Customer, StaffUser
from portal.accounts.services import open_session
from portal.extensions import db


def _attach(client, login_id: str) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = login_id
        session["_fresh"] = True


def sign_in_customer(client, app, phone: str = "+8613800138000", embed: bool = False) -> Customer:
    """Open a server-side session for the customer (created if new) and give the client its cookie."""
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.phone == phone))
        if customer is None:
            customer = Customer(phone=phone)
            db.session.add(customer)
            db.session.commit()
        login = open_session(customer, embed=embed)
        customer_id, login_id = customer.id, login.id
    _attach(client, login_id)
    return customer_id


def sign_in_staff(client, app, username: str) -> int:
    """Sign in a demo staff user (the demo world must exist)."""
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        login = open_session(user)
        user_id, login_id = user.id, login.id
    _attach(client, login_id)
    return user_id
