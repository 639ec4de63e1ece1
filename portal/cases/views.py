"""退款进度 and 退款记录: the customer's view of their cases."""

from flask import Blueprint

bp = Blueprint("cases", __name__)
