"""Embed mode's part of the app: cookie naming, the CSRF origin check, the bridge's template helpers and the
close page (called by the app factory)."""

from flask import Flask

import portal.embed.models  # noqa: F401 - the table must be in the metadata
from portal.embed import origin, templating
from portal.embed.views import bp

HOST_PREFIXED_SESSION_COOKIE = "__Host-session"


def init_app(app: Flask) -> None:
    configure_session_cookie(app.config)
    origin.init_app(app)
    templating.init_app(app)
    app.register_blueprint(bp)


def configure_session_cookie(config: dict) -> None:
    """A Secure session cookie is `__Host-` prefixed: no Domain, Path=/, so no sibling host can set it."""
    if (
        config.get("SESSION_COOKIE_SECURE")
        and config.get("SESSION_COOKIE_NAME", "session") == "session"
        and not config.get("SESSION_COOKIE_DOMAIN")
        and (config.get("SESSION_COOKIE_PATH") or config.get("APPLICATION_ROOT") or "/") == "/"
    ):
        config["SESSION_COOKIE_NAME"] = HOST_PREFIXED_SESSION_COOKIE
