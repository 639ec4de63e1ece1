"""The close page: where the close button leads when no APP bridge took the tap (or JavaScript is off)."""

from flask import Blueprint

from portal.rendering import render

bp = Blueprint("embed", __name__)


@bp.get("/embed/close")
def close():
    """Tell the customer they may close the page, with a way back to the order list."""
    return render("embed/close.html")
