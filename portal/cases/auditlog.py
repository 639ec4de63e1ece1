"""Appending to, and verifying, the hash-chained case log in the database."""

from sqlalchemy import func, select

from portal.cases import auditchain
from portal.cases.models import AuditHead, CaseEvent, RefundCase
from portal.clock import utcnow
from portal.extensions import db

HEAD_ID = 1


def _locked_head() -> AuditHead:
    """The chain's head row, locked until commit so that appends are serialised (no forks)."""
    head = db.session.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=0, hash=auditchain.GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def append_event(
    case: RefundCase,
    action: str,
    actor_kind: str,
    actor_id: int | None,
    from_state: str | None,
    to_state: str | None,
    reason: str = "",
    data: dict | None = None,
) -> CaseEvent:
    """Add one event to the chain in the caller's transaction."""
    if case.id is None:
        db.session.flush()
    head = _locked_head()
    fields = {
        "seq": head.seq + 1,
        "case_id": case.id,
        "at": utcnow(),
        "actor_kind": str(actor_kind),
        "actor_id": actor_id,
        "action": action,
        "from_state": str(from_state) if from_state else None,
        "to_state": str(to_state) if to_state else None,
        "reason": reason or "",
        "data": data or {},
        "prev_hash": head.hash,
    }
    digest = auditchain.event_hash(fields, head.hash)
    event = CaseEvent(**fields, hash=digest)
    db.session.add(event)
    head.seq, head.hash = fields["seq"], digest
    return event


def verify_log(batch: int = 5000) -> auditchain.VerifyResult:
    """Verify the whole chain (streamed in seq order) against the head row, and nothing beyond the head."""
    head = db.session.get(AuditHead, HEAD_ID)
    checkpoint = (head.seq, head.hash) if head and head.seq else None
    result = db.session.execute(select(CaseEvent).order_by(CaseEvent.seq).execution_options(yield_per=batch))
    try:
        # On PostgreSQL the stream is a server-side cursor: close it even when verification stops early.
        verdict = auditchain.verify(result.scalars(), checkpoint=checkpoint)
    finally:
        result.close()
    return verdict if not verdict.ok else _beyond_head(head.seq if head else 0, verdict)


def _beyond_head(head_seq: int, verdict: auditchain.VerifyResult) -> auditchain.VerifyResult:
    """Events after the head row were not appended through the log (the chain check alone accepts them)."""
    extra = db.session.scalar(select(func.min(CaseEvent.seq)).where(CaseEvent.seq > head_seq))
    if extra is None:
        return verdict
    reason = "event after the chain's recorded head: not appended through the log"
    return auditchain.VerifyResult(False, extra, reason, head_seq)
