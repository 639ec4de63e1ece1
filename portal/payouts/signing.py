"""HMAC-SHA256 signatures of the sandbox protocol, both directions (requests to it, notifications from it).

Real providers sign differently (Alipay RSA2 with the Alipay public key; WeChat Pay v3 with the
platform certificate and an AES-GCM encrypted resource); their adapters replace these helpers.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Sandbox-Signature"
TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
# A signed message older (or newer) than this is refused, so a captured one cannot be replayed forever.
MAX_SKEW_SECONDS = 300
# The sandbox's development key (PAYMENT_GATEWAY_SECRET overrides it; production must set its own).
DEV_SECRET = "dev-only-sandbox-gateway-secret"  # noqa: S105


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<body>"."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """Headers carrying a fresh timestamp and the signature of the body."""
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(secret: str, headers, body: bytes, now: float | None = None) -> bool:
    """True when the signature matches and the timestamp is recent."""
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or not signature:
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
