"""`flask demo-data`: the demo world, or bulk orders for benchmarks."""

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.config import is_production
from portal.demo import builder


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
@click.option(
    "--orders",
    "orders",
    type=click.IntRange(min=0),
    default=0,
    help="Also add this many orders (bulk inserts, for benchmarks).",
)
@with_appcontext
def demo_data_command(if_empty: bool, orders: int) -> None:
    """Create the demo catalogue, customers, staff and orders (deterministic)."""
    if is_production(current_app.config):
        # The demo staff's passwords are in the README: never on a production database.
        raise click.ClickException("demo-data is for development machines (REFUND_DEV_PAGES=true) only")
    if builder.is_empty():
        counts = builder.build()
        click.echo(f"Demo data created: {counts['products']} products, {counts['orders']} orders.")
    elif if_empty:
        click.echo("The database already has data; nothing to do.")
    else:
        click.echo("The demo world exists already; only adding bulk orders (if asked).")
    if orders:
        added = builder.bulk_orders(orders)
        click.echo(f"Added {added} orders.")
