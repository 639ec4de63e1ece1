"""The customer's H5 shell: which tab a page is (the four root pages show the bottom tab bar)."""

from flask import Flask, request
from flask_login import current_user

from portal.icons import icon

# Root pages of the customer's shell, by endpoint: they show the tab bar and no back arrow.
TABS = {
    "orders.my_orders": "orders",
    "cases.records": "records",
    "notifications.inbox": "inbox",
    "accounts.me": "me",
}


def shell_tab() -> str | None:
    """The tab this page is, for a signed-in customer; None elsewhere (staff, signed out, sub pages)."""
    if not current_user.is_authenticated or current_user.is_staff:
        return None
    return TABS.get(request.endpoint or "")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(shell_tab=shell_tab, icon=icon)
