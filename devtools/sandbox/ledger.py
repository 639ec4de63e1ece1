"""The SANDBOX gateway's books: refunds by request number, with the rules real providers enforce.

- A request number refunds at most once: sending it again returns the refund already known
  (processing or succeeded); after a failure it may be tried again, still as one refund.
- The same request number with a different amount (or trade) is an error, never a second refund.
- A trade never refunds more than was paid (succeeded plus in-flight refunds count).
- Every submission is kept, so tests can check which amounts each request number was sent with.

Storage is SQLite (a file under instance/ or in memory) behind a lock: one sandbox process.
"""

import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class RefundStatus(StrEnum):
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"


class LedgerError(Exception):
    """The gateway refuses the request; `.code` is a stable error code."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(code)
        self.code = code
        self.message = message or code


@dataclass(frozen=True)
class Refund:
    route: str
    request_no: str
    trade_no: str
    amount_fen: int
    status: RefundStatus
    gateway_ref: str
    attempts: int
    notify_url: str
    never_settle: bool
    fail_reason: str
    created_at: float
    updated_at: float


_SCHEMA = """
CREATE TABLE IF NOT EXISTS trades (
  route TEXT, trade_no TEXT, total_fen INTEGER, PRIMARY KEY (route, trade_no));
CREATE TABLE IF NOT EXISTS refunds (
  route TEXT, request_no TEXT, trade_no TEXT, amount_fen INTEGER, status TEXT, gateway_ref TEXT,
  attempts INTEGER, notify_url TEXT, never_settle INTEGER, fail_reason TEXT, created_at REAL, updated_at REAL,
  PRIMARY KEY (route, request_no));
CREATE TABLE IF NOT EXISTS submissions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, route TEXT, request_no TEXT, trade_no TEXT, amount_fen INTEGER,
  outcome TEXT, at REAL);
"""
_COLUMNS = (
    "route, request_no, trade_no, amount_fen, status, gateway_ref, attempts, notify_url, never_settle, "
    "fail_reason, created_at, updated_at"
)


class Ledger:
    """Refund records of the sandbox; every method is atomic."""

    def __init__(self, path: str | Path = ":memory:"):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def submit(
        self,
        route: str,
        request_no: str,
        trade_no: str,
        amount_fen: int,
        total_fen: int,
        notify_url: str = "",
        never_settle: bool = False,
    ) -> Refund:
        """Record a refund request (idempotent by route and request number); raises LedgerError."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                refund = self._submit(
                    route, request_no, trade_no, amount_fen, total_fen, notify_url, never_settle
                )
            except LedgerError as exc:
                self._log(route, request_no, trade_no, amount_fen, exc.code)
                self._db.execute("COMMIT")
                raise
            self._log(route, request_no, trade_no, amount_fen, "accepted")
            self._db.execute("COMMIT")
            return refund

    def _submit(self, route, request_no, trade_no, amount_fen, total_fen, notify_url, never_settle) -> Refund:
        if not request_no or not trade_no:
            raise LedgerError("INVALID_REQUEST", "request number and trade number are required")
        if not isinstance(amount_fen, int) or amount_fen <= 0:
            raise LedgerError("INVALID_AMOUNT", "the refund amount must be a positive number of fen")
        existing = self._get(route, request_no)
        if existing is not None:
            if existing.amount_fen != amount_fen or existing.trade_no != trade_no:
                raise LedgerError(
                    "REQUEST_NO_CONFLICT", "this request number was used with another amount or trade"
                )
            if existing.status is not RefundStatus.FAILED:
                return existing  # the same request again: no second refund
        total = self._trade_total(route, trade_no, total_fen)
        committed = self._committed(route, trade_no, exclude=request_no)
        if committed + amount_fen > total:
            raise LedgerError("REFUND_EXCEEDS_PAID", "the refunds would exceed what was paid")
        now = time.time()
        if existing is not None:  # a failed refund tried again: still one refund
            self._db.execute(
                "UPDATE refunds SET status=?, attempts=attempts+1, never_settle=?, fail_reason='', "
                "updated_at=?, notify_url=? WHERE route=? AND request_no=?",
                (RefundStatus.PROCESSING, int(never_settle), now, notify_url, route, request_no),
            )
        else:
            self._db.execute(
                f"INSERT INTO refunds ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
                (
                    route,
                    request_no,
                    trade_no,
                    amount_fen,
                    RefundStatus.PROCESSING,
                    "SBX" + uuid.uuid4().hex[:20].upper(),
                    1,
                    notify_url,
                    int(never_settle),
                    "",
                    now,
                    now,
                ),
            )
        return self._get(route, request_no)

    def _trade_total(self, route: str, trade_no: str, total_fen: int) -> int:
        row = self._db.execute(
            "SELECT total_fen FROM trades WHERE route=? AND trade_no=?", (route, trade_no)
        ).fetchone()
        if row is not None:
            return row[0]
        if not isinstance(total_fen, int) or total_fen <= 0:
            raise LedgerError("TRADE_NOT_EXIST", "unknown trade")
        self._db.execute("INSERT INTO trades VALUES (?,?,?)", (route, trade_no, total_fen))
        return total_fen

    def _committed(self, route: str, trade_no: str, exclude: str) -> int:
        row = self._db.execute(
            "SELECT COALESCE(SUM(amount_fen), 0) FROM refunds WHERE route=? AND trade_no=? AND status!=? "
            "AND request_no!=?",
            (route, trade_no, RefundStatus.FAILED, exclude),
        ).fetchone()
        return row[0]

    def _log(self, route, request_no, trade_no, amount_fen, outcome) -> None:
        self._db.execute(
            "INSERT INTO submissions (route, request_no, trade_no, amount_fen, outcome, at) "
            "VALUES (?,?,?,?,?,?)",
            (
                route,
                request_no,
                trade_no,
                amount_fen if isinstance(amount_fen, int) else -1,
                outcome,
                time.time(),
            ),
        )

    def get(self, route: str, request_no: str) -> Refund | None:
        """The refund under this request number, if any."""
        with self._lock:
            return self._get(route, request_no)

    def _get(self, route: str, request_no: str) -> Refund | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM refunds WHERE route=? AND request_no=?",  # noqa: S608
            (route, request_no),
        ).fetchone()
        return _refund(row) if row else None

    def settle(self, route: str, request_no: str, success: bool, reason: str = "") -> Refund | None:
        """Finish a processing refund (money moved, or not); None if it is not processing."""
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            refund = self._get(route, request_no)
            if refund is None or refund.status is not RefundStatus.PROCESSING:
                self._db.execute("COMMIT")
                return None
            status = RefundStatus.SUCCESS if success else RefundStatus.FAILED
            self._db.execute(
                "UPDATE refunds SET status=?, fail_reason=?, updated_at=? WHERE route=? AND request_no=?",
                (status, "" if success else reason or "REFUND_FAILED", time.time(), route, request_no),
            )
            refund = self._get(route, request_no)
            self._db.execute("COMMIT")
            return refund

    def processing(self, older_than: float = 0.0) -> list[Refund]:
        """Refunds still processing that may settle (not the never-settling ones), oldest first."""
        cutoff = time.time() - older_than
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM refunds WHERE status=? AND never_settle=0 AND updated_at<=? "  # noqa: S608
                "ORDER BY updated_at",
                (RefundStatus.PROCESSING, cutoff),
            ).fetchall()
        return [_refund(row) for row in rows]

    def refunds(self) -> list[Refund]:
        """Every refund, oldest first."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM refunds ORDER BY created_at").fetchall()  # noqa: S608
        return [_refund(row) for row in rows]

    def submissions(self) -> list[dict]:
        """Every submission ever received (accepted or refused), in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT route, request_no, trade_no, amount_fen, outcome, at FROM submissions ORDER BY id"
            ).fetchall()
        keys = ("route", "request_no", "trade_no", "amount_fen", "outcome", "at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def refunded_total(self, route: str, trade_no: str) -> int:
        """Money that actually went back on this trade."""
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(SUM(amount_fen), 0) FROM refunds WHERE route=? AND trade_no=? AND status=?",
                (route, trade_no, RefundStatus.SUCCESS),
            ).fetchone()
        return row[0]

    def reset(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._db.executescript("DELETE FROM refunds; DELETE FROM trades; DELETE FROM submissions;")


def _refund(row) -> Refund:
    (route, request_no, trade_no, amount, status, ref, attempts, url, never, reason, created, updated) = row
    return Refund(
        route,
        request_no,
        trade_no,
        amount,
        RefundStatus(status),
        ref,
        attempts,
        url,
        bool(never),
        reason,
        created,
        updated,
    )
