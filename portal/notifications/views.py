"""站内信: the customer's inbox."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
