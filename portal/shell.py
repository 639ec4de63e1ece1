"""The customer's H5 shell: which tab a page is (the four root pages show the bottom tab bar), where the
title bar's 联系客服 leads from this page, the counts its badges show, and long numbers that fit a 320 px
phone."""

from flask import Flask, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import Select, select

from portal.extensions import db
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


def register_count(app: Flask, name: str, statement: Select) -> None:
    """A number a badge of the shell shows: a statement selecting one count for `:customer_id` (features
    register theirs, e.g. 联系客服's unseen answers and 站内信's unread messages)."""
    app.extensions.setdefault("shell_counts", {})[name] = statement
    app.extensions.pop("shell_counts_query", None)


def shell_count(name: str) -> int:
    """A registered count for the signed-in customer (0 for anyone else). The first asked on a page counts
    them all in one query: the title bar and the tab bar show two."""
    if not _customer_page():
        return 0
    counted = getattr(request, "shell_counts", None)
    if counted is None:
        query, names = _counts_query()
        row = db.session.execute(query, {"customer_id": current_user.id}).one()
        counted = request.shell_counts = dict(zip(names, row, strict=True))
    return counted[name]


def _counts_query() -> tuple[Select, tuple[str, ...]]:
    built = current_app.extensions.get("shell_counts_query")
    if built is None:  # built once per app
        counts = current_app.extensions["shell_counts"]
        names = tuple(counts)
        query = select(*(counts[name].scalar_subquery().label(name) for name in names))
        built = current_app.extensions["shell_counts_query"] = (query, names)
    return built


# Long numbers (order, refund and payout numbers) may break after every group of this many characters.
NUMBER_GROUP = 4


def long_number(value: object, label: str | None = None) -> Markup:
    """A long number that wraps between groups of characters (`<wbr>`: nothing is added to what is selected
    or copied) instead of overflowing; with `label` (what it is, e.g. 订单号) a copy button follows.

    The number is plain selectable text; the button is shown only with JavaScript (static/js/portal.js),
    named 复制 + the label, and says 已复制 in its status when done."""
    text = str(value or "")
    groups = [escape(text[i : i + NUMBER_GROUP]) for i in range(0, len(text), NUMBER_GROUP)]
    html = Markup('<span class="long-number"><span class="mono number-text">{}</span>').format(
        Markup("<wbr>").join(groups)
    )
    if label:
        html += Markup(
            '<button type="button" class="copy-button js-only" data-copy="{value}" data-copied="{copied}" '
            'aria-label="{name}">{copy}</button>'
            '<span class="copy-status visually-hidden" role="status"></span>'
        ).format(value=text, copied=_("Copied"), copy=_("Copy"), name=_("Copy %(what)s", what=label))
    return html + Markup("</span>")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        shell_tab=shell_tab, support_link=support_link, icon=icon, long_number=long_number
    )
