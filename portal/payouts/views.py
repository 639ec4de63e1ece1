"""Payout endpoints: gateway result notifications and staff's manual (offline) payouts."""

from flask import Blueprint, Response, current_app, request

from portal.extensions import csrf
from portal.payouts import services

bp = Blueprint("payouts", __name__)


def _settings() -> services.PayoutSettings:
    return services.PayoutSettings.from_config(current_app.config)


@bp.post("/payouts/notify/<route>")
@csrf.exempt  # the gateway cannot hold our CSRF token: the signature is the proof instead
def notify(route: str) -> Response:
    """A gateway's result notification: "success" when known (also for a replay), "fail" and 400 otherwise."""
    result = services.handle_notification(route, request.headers, request.get_data(), _settings())
    if result is services.NoticeResult.REJECTED:
        return Response("fail", 400, mimetype="text/plain")
    return Response("success", 200, mimetype="text/plain")
