"""Security headers on every response."""

from flask import Flask, Response


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
        return response
