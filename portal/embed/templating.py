"""Template helpers for embed mode: the bridge events a page renders, and the bridge's settings."""

from flask import Flask, current_app, request
from flask_login import current_user

from portal.cases.links import case_page_url
from portal.embed.bridge import BridgeEvent
from portal.embed.marks import claim_events
from portal.pagecache import forbid as forbid_keeping

_CLAIMED = "portal.embed.bridge_events_claimed"


def in_embed_mode() -> bool:
    """Whether this request belongs to a session opened by the APP's hand-off (kept until sign-out)."""
    if not current_user.is_authenticated or current_user.is_staff:
        return False
    login = getattr(current_user, "login_session", None)
    return bool(login and login.embed)


def pending_bridge_events() -> list[BridgeEvent]:
    """Case events not yet told to the APP; the first call in a request claims them, later calls get none."""
    # Per request, not on g: an app context (and its g) may outlive one request, as in tests.
    if request.environ.get(_CLAIMED) or not in_embed_mode():
        return []
    request.environ[_CLAIMED] = True
    events = claim_events(current_user.id, case_page_url)
    if events:
        forbid_keeping()  # the next answer must not tell them again
    return events


def hold_bridge_events() -> None:
    """This response announces nothing (an error page, a favicon miss): the news waits for a real page."""
    if request:
        request.environ[_CLAIMED] = True


def parent_origins() -> list[str]:
    """Origins of partner pages that frame the portal, to which bridge.js may postMessage."""
    return current_app.config["EMBED_PARENT_ORIGINS"].split()


def init_app(app: Flask) -> None:
    """Expose the helpers to every template (fragments included)."""
    app.jinja_env.globals.update(bridge_events=pending_bridge_events, bridge_parent_origins=parent_origins)
