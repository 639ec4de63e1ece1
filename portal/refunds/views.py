"""申请退款: the refund wizard and evidence uploads."""

from flask import Blueprint

bp = Blueprint("refunds", __name__)
