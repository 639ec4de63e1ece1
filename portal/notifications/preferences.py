"""The customer's choice of channels (the inbox is always written)."""

from portal.accounts.models import Customer
from portal.extensions import db


def wants_sms(customer: Customer, pushed: bool) -> bool:
    """SMS for customers who take it, unless the APP pushed the news and they did not ask for both."""
    return customer.sms_opt_in and (not pushed or customer.sms_with_app)


def save_preferences(customer: Customer, sms_opt_in: bool, sms_with_app: bool) -> None:
    """Store whether the customer takes SMS at all, and whether also when the APP pushed the news."""
    customer.sms_opt_in = bool(sms_opt_in)
    customer.sms_with_app = bool(sms_opt_in and sms_with_app)
    db.session.commit()
