"""The one place that decides whether a request gets a fragment or the full page."""

from collections.abc import Callable

from flask import Response, make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """True for htmx requests that swap part of a page (not boosted links, not history restores)."""
    return fragment_requested(request.headers.get)


def fragment_requested(header: Callable[[str], str | None]) -> bool:
    """wants_fragment from a header getter: `request.headers.get`, or for a layer in front of Flask the
    WSGI environ's (`environ_header(environ)`)."""
    return (
        header("HX-Request") == "true"
        and header("HX-Boosted") != "true"
        and header("HX-History-Restore-Request") != "true"
    )


def environ_header(environ: dict) -> Callable[[str], str | None]:
    """A header getter on a WSGI environ ("HX-Request" reads HTTP_HX_REQUEST)."""
    return lambda name: environ.get("HTTP_" + name.upper().replace("-", "_"))


def render(template: str, block: str | None = None, status: int = 200, **context) -> Response:
    """Render `block` of `template` for htmx, else the whole page; the answer varies by HX-Request."""
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def redirect_to(url: str) -> Response:
    """After a successful action: a 303 for plain forms; for htmx, HX-Redirect so the whole page moves on."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)
