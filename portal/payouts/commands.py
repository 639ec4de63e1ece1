"""`flask payouts check-provider ROUTE`: sign a harmless query against the endpoint and say what is wrong.

The query asks about a request number that cannot exist (CHECK…), so nothing is refunded or changed:
a provider that answers "no such refund" with a correctly signed answer has accepted our signature and
proved its own. Exit status 1 when anything is wrong. Secrets are never printed.
"""

import click
from flask import current_app
from flask.cli import AppGroup

from portal.payouts.gateways import GatewayMisconfigured, NoGateway, build_gateway, is_sandbox_url

payouts_cli = AppGroup("payouts", help="Refund gateways.")


@payouts_cli.command("check-provider")
@click.argument("route")
def check_provider_command(route: str) -> None:
    """Check the gateway configured for ROUTE (alipay, wechat, bank_card)."""
    try:
        gateway = build_gateway(route, current_app.config)
    except NoGateway:
        click.echo(f"{route}: no gateway for this route (offline transfers are paid by staff).", err=True)
        raise SystemExit(1) from None
    except GatewayMisconfigured as exc:
        click.echo(f"{route}: the settings are wrong: {exc}", err=True)
        raise SystemExit(1) from None
    kind = type(gateway).__name__
    where = gateway.settings.url or "—"
    click.echo(f"{route}: {kind} at {where}" + (" (a sandbox)" if is_sandbox_url(where) else ""))
    probe = gateway.probe()
    for line in probe.lines:
        click.echo(f"  {line}")
    click.echo(f"{route}: OK" if probe.ok else f"{route}: NOT OK", err=not probe.ok)
    if not probe.ok:
        raise SystemExit(1)
