"""Payout tests' own helpers: the sandbox gateway's secret, the payout settings, delivering notifications.

Orders, cases and approvals come from tests/factories.py.
"""

import json

from flask import current_app

from portal.orders.kinds import PaymentRoute
from portal.payouts.services import PayoutSettings
from tests.factories import approve, make_case, make_order

TEST_SECRET = "test-gateway-secret"


def settings() -> PayoutSettings:
    return PayoutSettings.from_config(current_app.config)


def deliver(client, note: dict, body: bytes | None = None, headers: dict | None = None):
    """POST one of the sandbox's notifications to our endpoint, as the gateway would."""
    payload = json.loads(note["body"])
    return client.post(
        f"/payouts/notify/{payload['route']}",
        data=body if body is not None else note["body"].encode(),
        headers=headers if headers is not None else note["headers"],
    )


def provider_payout(
    fake, amount_fen: int = 3000, paid_fen: int = 3000, route: PaymentRoute | None = None
) -> int:
    """An approved payout on the fake provider's route, its trade known to the fake; returns the payout id."""
    order = make_order(route or PaymentRoute(fake.route), paid_fen)
    fake.paid[order.number] = paid_fen
    case = make_case(order, amount_fen)
    return approve(case, amount_fen).id


def post_notice(client, note: dict, body: str | None = None, headers: dict | None = None):
    """POST a stand-in provider's notice to our endpoint, as the provider would."""
    return client.post(
        f"/payouts/notify/{note['route']}",
        data=(body if body is not None else note["body"]).encode(),
        headers=headers if headers is not None else note["headers"],
    )
