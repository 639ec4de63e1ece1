"""The one place that reads the time, so that tests and rules agree on 'now' (naive UTC)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current time as naive UTC, the form stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)
