"""`flask delivery result`: record what the carrier or the card system said about an order's delivery.

The carriers' and card systems' own interfaces are outside this portal; their adapters (or an operator)
report results through this command, which does what the portal does on learning a result.
"""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.extensions import db
from portal.orders.kinds import DeliveryStatus
from portal.orders.models import Order
from portal.refunds.delivery import record_delivery_result

delivery_cli = AppGroup("delivery", help="Delivery results the platform learns.")


@delivery_cli.command("result")
@click.argument("order_number")
@click.argument("status", type=click.Choice([s.value for s in DeliveryStatus]))
@click.option("--note", default="", help="What the carrier or card system said.")
def result(order_number: str, status: str, note: str) -> None:
    """Record ORDER_NUMBER's delivery STATUS; a failure opens or offers the refund."""
    order_id = db.session.scalar(select(Order.id).where(Order.number == order_number))
    if order_id is None:
        raise click.ClickException(f"no order {order_number}")
    case = record_delivery_result(order_id, DeliveryStatus(status), note)
    click.echo(f"refund request {case.number} opened" if case else "recorded")
