"""Payout endpoints: gateway result notifications and staff's manual (offline) payouts."""

from flask import Blueprint

bp = Blueprint("payouts", __name__)
