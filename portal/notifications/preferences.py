"""The customer's choice of channels (the inbox is always written)."""

from portal.accounts.models import Customer
from portal.extensions import db


def save_preferences(customer: Customer, sms_opt_in: bool, sms_with_app: bool) -> None:
    """Store whether the customer takes SMS at all, and whether also when the APP pushed the news."""
    customer.sms_opt_in = bool(sms_opt_in)
    customer.sms_with_app = bool(sms_opt_in and sms_with_app)
    db.session.commit()
