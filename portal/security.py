"""Security headers on every response; no caching of pages (they show personal data); HSTS over HTTPS."""

from functools import cache

from flask import Flask, Response, request

# Pages show orders, accounts, messages: never kept by the browser or a proxy.
PAGE_CACHE_CONTROL = "no-store"


@cache
def _page_headers(frame_ancestors: str, hsts_seconds: int | None) -> tuple[tuple[str, str], ...]:
    headers = [
        (
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            f"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
            f"frame-ancestors {frame_ancestors}",
        ),
        ("X-Content-Type-Options", "nosniff"),
        # Same-origin requests keep their Referer, which Flask-WTF checks over HTTPS.
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ]
    if frame_ancestors.strip() == "'none'":
        headers.append(("X-Frame-Options", "DENY"))
    if hsts_seconds is not None:
        headers.append(("Strict-Transport-Security", f"max-age={hsts_seconds}"))
    return tuple(headers)


def page_headers(config) -> tuple[tuple[str, str], ...]:
    """A strict CSP (no inline or eval'd script), nosniff, a referrer policy, framing rules and HSTS over
    HTTPS: what every answer carries (made once per setting; the 404 lane sends them too)."""
    secure = config["SESSION_COOKIE_SECURE"]
    return _page_headers(config["FRAME_ANCESTORS"], config["HSTS_SECONDS"] if secure else None)


def init_app(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        for name, value in page_headers(app.config):
            headers.setdefault(name, value)
        if request.endpoint != "static" and "Cache-Control" not in headers:
            # Responses that set their own (static files; evidence files, private to the browser) keep theirs.
            headers["Cache-Control"] = PAGE_CACHE_CONTROL
        return response
