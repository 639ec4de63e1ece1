"""`flask audit verify [--case N]`: check the hash-chained case log and say where it breaks."""

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from portal.cases import auditchain
from portal.cases.auditchain import VerifyResult
from portal.cases.auditlog import HEAD_ID
from portal.cases.models import AuditHead, CaseEvent, RefundCase
from portal.extensions import db

audit_cli = AppGroup("audit", help="The tamper-evident case log.")


@audit_cli.command("verify")
@click.option("--case", "case_id", type=int, default=None, help="Judge one case's history (by case id).")
def verify_command(case_id: int | None) -> None:
    """Verify the whole chain; with --case, also say whether that case's history can be trusted.

    The chain is global (each event hashes the one before, whatever its case), so one case's history
    is only as good as the chain up to its last event. Exit status 1 when anything is broken.
    """
    result = _beyond_head(_verify_chain())
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


def _verify_chain(batch: int = 5000) -> VerifyResult:
    """auditlog.verify_log, with the streamed result closed even when verification stops early.

    (On PostgreSQL the stream is a server-side cursor; left open it warns when collected.)
    """
    head = db.session.get(AuditHead, HEAD_ID)
    checkpoint = (head.seq, head.hash) if head and head.seq else None
    result = db.session.execute(select(CaseEvent).order_by(CaseEvent.seq).execution_options(yield_per=batch))
    try:
        return auditchain.verify(result.scalars(), checkpoint=checkpoint)
    finally:
        result.close()


def _beyond_head(result: VerifyResult) -> VerifyResult:
    """Events after the head row were not appended through the log (the chain check alone accepts them)."""
    if not result.ok:
        return result
    head = db.session.get(AuditHead, HEAD_ID)
    head_seq = head.seq if head else 0
    extra = db.session.scalar(select(func.min(CaseEvent.seq)).where(CaseEvent.seq > head_seq))
    if extra is None:
        return result
    return VerifyResult(
        False, extra, "event after the chain's recorded head: not appended through the log", head_seq
    )


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
