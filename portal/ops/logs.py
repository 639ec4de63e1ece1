"""Logs an operator can read: one JSON line per record (python-json-logger), with the request's or job's
context (request id, principal id, job id, outbox id) added to every line written while it runs.

What is logged is ids and outcomes only: never a phone number, a code, a token, a session id or an account
number (the request line names the URL rule, not the address with its query string).
"""

import logging
import re
import sys
from contextvars import ContextVar
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# A request id from a proxy is taken only in this form; anything else gets a fresh one.
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{8,64}")
CONTEXT_FIELDS = ("request_id", "principal", "job_id", "outbox_id")

_context: ContextVar[dict[str, Any] | None] = ContextVar("refund_log_context", default=None)


def bind(**fields: Any) -> object:
    """Add fields to every line logged from now on in this context; returns a token for ``unbind``."""
    return _context.set({**(_context.get() or {}), **fields})


def unbind(token: object) -> None:
    _context.reset(token)  # type: ignore[arg-type]


class ContextFilter(logging.Filter):
    """Copy the bound fields onto each record (an explicit ``extra`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing one JSON object per line: time, level, logger, message, then the extra fields."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    )
    handler.addFilter(ContextFilter())
    return handler


def configure(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Make the root logger write JSON lines (web and worker entry points call this once)."""
    root = logging.getLogger()
    root.handlers[:] = [json_handler(stream)]
    root.setLevel(level)
