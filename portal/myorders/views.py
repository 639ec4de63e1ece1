"""我的订单: the customer's orders, search, and one order's facts."""

from flask import Blueprint, abort, current_app, request
from flask_login import current_user

from portal.cases.links import case_page_url
from portal.cases.services import facts_for, order_cases
from portal.cases.verdicts import refundable_only, verdicts_for
from portal.clock import utcnow
from portal.i18n import current_locale_code
from portal.inputs import DATE_MAX, DATE_MIN
from portal.myorders.forms import OrderSearchForm
from portal.myorders.search import search_orders
from portal.orders import labels
from portal.orders.models import get_customer_order
from portal.pagecache import cached_page
from portal.policy import engine
from portal.policy.publishing import policy_in_force
from portal.policy.texts import category_summary
from portal.refunds.drafts import find_draft
from portal.refunds.links import wizard_url
from portal.rendering import render

bp = Blueprint("orders", __name__)


@bp.app_context_processor
def order_labels() -> dict:
    return {"labels": labels}


@bp.get("/orders")
@cached_page
def my_orders():
    """The signed-in customer's orders, newest first, with search and a refund badge on each."""
    form = OrderSearchForm(request.args)
    valid = form.validate()
    query = form.query(valid, request.args.get("page", 1, type=int))
    _, rules = policy_in_force()
    keep = refundable_only(rules, utcnow()) if query.tab == "refundable" else None
    result = search_orders(current_user.id, query, current_app.config["ORDERS_PER_PAGE"], keep)
    badges = verdicts_for(result.orders, rules, utcnow())
    return render(
        "orders/list.html",
        "results",
        status=200 if valid else 422,
        form=form,
        result=result,
        badges=badges,
        tab=query.tab,
        tabs=labels.ORDER_TABS,
        date_min=DATE_MIN.isoformat(),
        date_max=DATE_MAX.isoformat(),
    )


@bp.get("/orders/<int:order_id>")
@cached_page
def order_detail(order_id: int):
    """One order's facts, the refund rule for its category, and 申请退款 when possible."""
    order = get_customer_order(current_user.id, order_id)
    if order is None:
        abort(404)
    version, rules = policy_in_force()
    now = utcnow()
    cases = order_cases(order.id)
    facts = facts_for(order, cases)
    verdict = engine.verdict(facts, rules, now)
    # Each refund type the category offers, so "why not" and "from when" can be precise.
    assessments = [engine.assess(facts, t, rules, now) for t in engine.offered_types(facts, rules, now)]
    draft = find_draft(current_user.id, order.id) if verdict.state in ("refundable", "conditional") else None
    return render(
        "orders/detail.html",
        order=order,
        verdict=verdict,
        assessments=assessments,
        one_tap=engine.proven_by_delivery(facts, assessments) if verdict.state == "refundable" else None,
        summary=category_summary(version, current_locale_code(), order.category),
        open_case_url=case_page_url(cases.open_case_id) if cases.open_case_id else None,
        draft=draft,
        apply_url=wizard_url(order.id, draft),
    )
