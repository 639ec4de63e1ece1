"""APP hand-off tokens: short-lived, single-use, HMAC-SHA256 signed (format in the README)."""

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from portal.accounts.next_url import safe_next

TOKEN_VERSION = 1
CLOCK_SKEW_SECONDS = 5  # the APP server's clock may run a little ahead of ours


class HandoffError(ValueError):
    """The token is malformed, tampered with, expired or not yet valid."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # malformed, bad_signature, expired, replayed


@dataclass(frozen=True)
class Handoff:
    phone: str
    lang: str | None
    next_path: str | None
    jti: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def make_token(
    secret: str, phone: str, now: int, lang: str | None = None, next_path: str | None = None, ttl: int = 60
) -> str:
    """What the APP's server does: sign a token for the customer with the shared secret."""
    jti = secrets.token_urlsafe(16)
    payload = {"v": TOKEN_VERSION, "phone": phone, "iat": now, "exp": now + ttl, "jti": jti}
    if lang:
        payload["lang"] = lang
    if next_path:
        payload["next"] = next_path
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_sign(secret, body)}"


def read_token(token: str, secret: str, now: int, max_age: int) -> Handoff:
    """Verify signature and lifetime; single use is checked by the caller against the database."""
    body, _, signature = token.partition(".")
    if not body or not signature:
        raise HandoffError("malformed")
    if not hmac.compare_digest(_sign(secret, body), signature):
        raise HandoffError("bad_signature")
    try:
        payload = json.loads(_unb64(body))
        phone, iat, exp, jti = payload["phone"], int(payload["iat"]), int(payload["exp"]), str(payload["jti"])
    except (ValueError, KeyError, TypeError) as exc:
        raise HandoffError("malformed") from exc
    if not isinstance(phone, str) or not isinstance(payload.get("lang", ""), str):
        raise HandoffError("malformed")
    if payload.get("v") != TOKEN_VERSION:
        raise HandoffError("malformed")  # a format this portal does not know
    # A lifetime longer than allowed is refused outright, whatever the clocks say.
    if exp - iat > max_age or iat > now + CLOCK_SKEW_SECONDS or exp < now or len(jti) < 8:
        raise HandoffError("expired")
    next_path = payload.get("next")
    if next_path is not None and safe_next(next_path) is None:
        raise HandoffError("malformed")  # only paths on this site (portal.accounts.next_url)
    return Handoff(phone=phone, lang=payload.get("lang"), next_path=next_path, jti=jti, expires_at=exp)

