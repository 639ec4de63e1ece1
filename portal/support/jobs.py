"""Periodic work of the service desk (run by the worker's clock)."""

from portal.clock import utcnow
from portal.extensions import db
from portal.support import complaints
from portal.support.services import escalate_late


def escalate_late_conversations() -> int:
    """Conversations and complaints past their 24-hour answer deadline go to a senior, once each."""
    now = utcnow()
    count = escalate_late(now) + complaints.escalate_late(now)
    db.session.commit()
    return count
