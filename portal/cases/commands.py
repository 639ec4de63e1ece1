"""`flask audit verify [--case N]`: check the hash-chained case log and say where it breaks."""

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from portal.cases.auditlog import verify_log
from portal.cases.models import CaseEvent, RefundCase
from portal.extensions import db

audit_cli = AppGroup("audit", help="The tamper-evident case log.")


@audit_cli.command("verify")
@click.option("--case", "case_id", type=int, default=None, help="Judge one case's history (by case id).")
def verify_command(case_id: int | None) -> None:
    """Verify the whole chain; with --case, also say whether that case's history can be trusted.

    The chain is global (each event hashes the one before, whatever its case), so one case's history
    is only as good as the chain up to its last event. Exit status 1 when anything is broken.
    """
    result = verify_log()
    if case_id is not None:
        ok = _report_case(case_id, result)
    else:
        ok = result.ok
        if result.ok:
            click.echo(f"Audit log OK: {result.checked} events verified.")
        else:
            click.echo(_broken_text(result), err=True)
    if not ok:
        raise SystemExit(1)


def _report_case(case_id: int, result) -> bool:
    if db.session.get(RefundCase, case_id) is None:
        click.echo(f"No case {case_id}.", err=True)
        return False
    count, last_seq = db.session.execute(
        select(func.count(CaseEvent.id), func.max(CaseEvent.seq)).where(CaseEvent.case_id == case_id)
    ).one()
    if not count:
        click.echo(f"Case {case_id} has no events: its history was deleted.", err=True)
        return False
    if result.ok:
        click.echo(f"Case {case_id} OK: {count} events, chain verified ({result.checked} events in all).")
        return True
    if result.broken_at_seq is not None and result.broken_at_seq > last_seq:
        # The break comes after this case's last event: its history was written before the damage.
        click.echo(
            f"Case {case_id} OK: {count} events, chain intact up to its last event (seq {last_seq}).\n"
            + _broken_text(result),
            err=True,
        )
        return True
    click.echo(f"Case {case_id} NOT trustworthy: " + _broken_text(result), err=True)
    return False


def _broken_text(result) -> str:
    where = db.session.scalar(select(CaseEvent).where(CaseEvent.seq == result.broken_at_seq))
    event = f" (case {where.case_id}, action {where.action})" if where is not None else ""
    return (
        f"Audit log BROKEN at seq {result.broken_at_seq}{event}: {result.problem}. "
        f"{result.checked} events verified before it."
    )
