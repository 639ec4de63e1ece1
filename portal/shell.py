"""The customer's H5 shell: which tab a page is (the four root pages show the bottom tab bar), and where
the title bar's 联系客服 leads from this page."""

from flask import Flask, request, url_for
from flask_login import current_user

from portal.icons import icon

# Root pages of the customer's shell, by endpoint: they show the tab bar and no back arrow.
TABS = {
    "orders.my_orders": "orders",
    "cases.records": "records",
    "notifications.inbox": "inbox",
    "accounts.me": "me",
}
# Pages that are the conversation already: the title bar offers no 联系客服 there.
SUPPORT_PAGES = {"support.index", "support.start", "support.thread", "support.send"}


def _customer_page() -> bool:
    return current_user.is_authenticated and not current_user.is_staff


def shell_tab() -> str | None:
    """The tab this page is, for a signed-in customer; None elsewhere (staff, signed out, sub pages)."""
    if not _customer_page():
        return None
    return TABS.get(request.endpoint or "")


def support_link() -> str | None:
    """联系客服 from this page: about the page's refund request or order when it has one, else general.

    Read from the page's own URL (`/cases/<case_id>…`, `/orders/<order_id>…`), so it costs no query; the
    support page checks that the request or order is the customer's. None for staff, signed-out visitors
    and the conversation pages themselves."""
    if not _customer_page() or request.endpoint in SUPPORT_PAGES:
        return None
    args = request.view_args or {}
    if isinstance(args.get("case_id"), int):
        return url_for("support.index", case=args["case_id"])
    if isinstance(args.get("order_id"), int):
        return url_for("support.index", order=args["order_id"])
    return url_for("support.index")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(shell_tab=shell_tab, support_link=support_link, icon=icon)
