"""我的订单: the customer's orders, search, and one order's facts."""

from flask import Blueprint, abort, current_app, request
from flask_login import current_user

from portal.accounts.guards import customer_required
from portal.orders import labels
from portal.orders.forms import OrderSearchForm
from portal.orders.search import OrderQuery, get_customer_order, search_orders
from portal.rendering import render

bp = Blueprint("orders", __name__)


@bp.app_context_processor
def order_labels() -> dict:
    return {"labels": labels}


@bp.get("/orders")
@customer_required
def my_orders():
    """The signed-in customer's orders, newest first, with search and a refund badge on each."""
    form = OrderSearchForm(request.args)
    valid = form.validate()
    query = OrderQuery(
        text=(form.q.data or "") if valid else "",
        date_from=form.date_from.data if valid else None,
        date_to=form.date_to.data if valid else None,
        status=(form.status.data or "") if valid else "",
        page=request.args.get("page", 1, type=int),
    )
    result = search_orders(current_user.id, query, current_app.config["ORDERS_PER_PAGE"])
    return render("orders/list.html", "results", form=form, result=result)


@bp.get("/orders/<int:order_id>")
@customer_required
def order_detail(order_id: int):
    """One order's facts, the refund rule for its category, and 申请退款 when possible."""
    order = get_customer_order(current_user.id, order_id)
    if order is None:
        abort(404)
    return render("orders/detail.html", order=order)
