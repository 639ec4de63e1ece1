"""Inside the APP: webview embed mode, bridge events for the APP, its push channel, cookies and CSRF."""

from flask import Flask

HOST_PREFIXED_SESSION_COOKIE = "__Host-session"


def init_app(app: Flask) -> None:
    """Cookie naming, the CSRF origin check, the bridge's template helpers and the close page."""
    import portal.embed.models  # noqa: F401 - the table must be in the metadata
    from portal.embed import origin, templating
    from portal.embed.views import bp

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
