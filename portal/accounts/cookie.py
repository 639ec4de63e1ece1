"""The signed session cookie: what it holds besides Flask-Login's sign-in id, and how it is signed."""

from typing import ClassVar

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer, want_bytes
from werkzeug.http import parse_cookie

SEEN = "seen"  # when this browser last asked for something (epoch seconds)
SEEN_GRANULARITY = 60  # seconds: the cookie is rewritten at most once a minute
SIGN_IN_ID = "_user_id"  # Flask-Login's key: the server-side session (LoginSession.id)
_KEPT_SERIALIZER = "refund_session_serializer"  # in app.extensions: (keys, serializer)


class KeptKeySigner(TimestampSigner):
    """itsdangerous's timestamp signer, deriving each HMAC key once per process: itsdangerous derives it
    again on every signature made or checked, and the session cookie is checked on every request."""

    _derived: ClassVar[dict[tuple, bytes]] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        key = (secret, self.salt, self.key_derivation, self.digest_method)
        if (derived := self._derived.get(key)) is None:
            derived = self._derived[key] = super().derive_key(secret)
        return derived


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, unchanged on the wire, with the signing serializer made once per app
    and secret (Flask makes a new one for every request)."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)  # current key last, as Flask
        kept = app.extensions.get(_KEPT_SERIALIZER)
        if kept is None or kept[0] != keys:
            serializer = URLSafeTimedSerializer(
                list(keys),
                salt=self.salt,
                serializer=self.serializer,
                signer=KeptKeySigner,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            )
            kept = app.extensions[_KEPT_SERIALIZER] = (keys, serializer)
        return kept[1]


def read_session(app: Flask, environ: dict) -> dict:
    """The signed session's data, verified as the app's session interface would, for the layers that answer
    before Flask builds a request (polls, the 404 lane); {} when there is none or it does not verify."""
    cookie = parse_cookie(environ).get(app.config["SESSION_COOKIE_NAME"])
    if not cookie:
        return {}
    serializer = app.session_interface.get_signing_serializer(app)
    if serializer is None:
        return {}
    try:
        data = serializer.loads(cookie, max_age=int(app.permanent_session_lifetime.total_seconds()))
    except BadSignature:
        return {}
    return data if isinstance(data, dict) else {}
