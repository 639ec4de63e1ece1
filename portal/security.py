"""Security headers on every response; no caching of pages (they show personal data); HSTS over HTTPS."""

from flask import Flask, Response, request


def init_app(app: Flask) -> None:
    """Send a strict CSP (no inline or eval'd script), nosniff, a referrer policy and framing rules."""

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        frame_ancestors = app.config["FRAME_ANCESTORS"]
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            f"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
            f"frame-ancestors {frame_ancestors}",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Same-origin requests keep their Referer, which Flask-WTF checks over HTTPS.
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if frame_ancestors.strip() == "'none'":
            response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            # Pages show orders, accounts, messages: never kept by the browser or a proxy. Responses that
            # set their own (static files; evidence files, private to the browser) keep theirs.
            response.headers["Cache-Control"] = "no-store"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}")
        return response
