"""Payout jobs for the RQ worker: plain functions taking ids, idempotent, run inside an app context."""

from flask import current_app

from portal.payouts import services


def settings() -> services.PayoutSettings:
    """The payout settings of the running app."""
    return services.PayoutSettings.from_config(current_app.config)


def execute_payout(payout_id: int) -> str:
    """Send one payout to its gateway (started by the outbox when a case is approved); safe to repeat."""
    return services.execute(payout_id, settings())


def query_payout(payout_id: int) -> str:
    """Ask the gateway what became of one payout and apply the answer."""
    return str(services.query(payout_id, settings()))


def poll_payouts() -> dict:
    """Periodic: start payouts whose job was lost, retry failed ones when due, query stuck ones."""
    return services.poll(settings())
