"""Payout tests' own helpers: the sandbox gateway's secret, the payout settings, delivering notifications.

Orders, cases and approvals come from tests/factories.py.
"""

import json

from flask import current_app

from portal.payouts.services import PayoutSettings

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
