"""Entering the portal the way the APP does, and reading what a page tells the APP."""

import html
import json
import re
import time

from portal.accounts.handoff import make_token
from portal.demo.builder import DEMO_PHONE

APP_SECRET = "test-app-secret"
HTTPS = "https://localhost"


def handoff_link(phone: str = DEMO_PHONE, lang: str | None = None, next_path: str | None = None) -> str:
    """A fresh, signed hand-off link, as the APP's server would make it."""
    return "/app/enter?token=" + make_token(
        APP_SECRET, phone, int(time.time()), lang=lang, next_path=next_path
    )


def enter_from_app(client, lang: str | None = "en", next_path: str | None = None, **kwargs):
    """Open the portal through the hand-off link (no redirect followed)."""
    response = client.get(handoff_link(lang=lang, next_path=next_path), **kwargs)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def bridge_events(page: str) -> list[tuple[str, dict]]:
    """The (event, payload) markers a page carries for bridge.js, in page order."""
    found = []
    for tag in re.findall(r"<div[^>]*data-bridge-event=[^>]*>", page):
        name = re.search(r'data-bridge-event="([^"]+)"', tag).group(1)
        payload = re.search(r'data-bridge-payload="([^"]*)"', tag).group(1)
        found.append((name, json.loads(html.unescape(payload))))
    return found


def is_embedded(page: str) -> bool:
    """Embed chrome only: the top bar, and none of the site's header, footer or language switch."""
    chrome = ("site-header", "site-footer", "lang-switch")
    return 'class="titlebar embed-bar"' in page and not any(name in page for name in chrome)
