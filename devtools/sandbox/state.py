"""The SANDBOX gateway's state: failure switches, the ledger, the notification log, settler and notifier."""

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable

from devtools.sandbox.ledger import Ledger, LedgerError, Refund, RefundStatus
from portal.payouts import signing

log = logging.getLogger("sandbox-gateway")

DEFAULT_SECRET = signing.DEV_SECRET
FLAGS = ("timeout", "drop", "reject", "error", "never_settle", "fail", "query_timeout", "bad_signature")
NOTIFY_BACKOFF = (0.0, 0.5, 2.0, 5.0, 15.0, 60.0, 300.0)
LABEL = "SANDBOX payment gateway — test only, no real money moves"

Deliver = Callable[[str, dict, bytes], bool]


class Switches:
    """Failure switches and settings, shared by the request threads and the settler."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._flags: dict[str, int] = dict.fromkeys(FLAGS, 0)  # -1 = always, n > 0 = next n times
            self.auto_settle = True
            self.settle_delay = 0.3
            self.notify = True
            self.hang_seconds = 2.0

    def update(self, data: dict) -> None:
        """Apply a JSON object of switches and settings; raises ValueError for unknown keys."""
        with self._lock:
            for key, value in data.items():
                if key in FLAGS:
                    if isinstance(value, bool):
                        self._flags[key] = -1 if value else 0
                    elif isinstance(value, int) and value >= 0:
                        self._flags[key] = value
                    else:
                        raise ValueError(f"{key}: true, false or a count")
                elif key in ("auto_settle", "notify"):
                    setattr(self, key, bool(value))
                elif key in ("settle_delay", "hang_seconds"):
                    setattr(self, key, float(value))
                else:
                    raise ValueError(f"unknown switch {key}")

    def take(self, name: str) -> bool:
        """Whether the switch is on for this event (a counted switch is used up by one)."""
        with self._lock:
            value = self._flags[name]
            if value > 0:
                self._flags[name] = value - 1
            return value != 0

    def snapshot(self) -> dict:
        with self._lock:
            flags = {k: (True if v < 0 else v) for k, v in self._flags.items()}
            return {
                **flags,
                "auto_settle": self.auto_settle,
                "settle_delay": self.settle_delay,
                "notify": self.notify,
                "hang_seconds": self.hang_seconds,
            }


def http_deliver(url: str, headers: dict, body: bytes) -> bool:
    """POST the notification; delivered when the merchant answers 200/204 with "success" (or nothing)."""
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=5) as response:  # noqa: S310
            text = response.read().decode(errors="replace").strip().lower()
            return response.status in (200, 204) and text in ("", "success", '{"code":"success"}')
    except (urllib.error.URLError, OSError) as exc:
        log.info("notification to %s not delivered: %s", url, exc)
        return False


class Sandbox:
    """The gateway's state: ledger, switches, notification log; and its settler / notifier threads."""

    def __init__(self, secret: str, ledger: Ledger | None = None, deliver: Deliver | None = None):
        self.secret = secret
        self.ledger = ledger or Ledger()
        self.switches = Switches()
        self.deliver = deliver or http_deliver
        self.notifications: list[dict] = []
        self._notes_lock = threading.Lock()
        self._outbox: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # Background work ---------------------------------------------------------------------------
    def start(self) -> "Sandbox":
        for target in (self._settle_loop, self._notify_loop):
            thread = threading.Thread(target=target, daemon=True, name=f"sandbox-{target.__name__}")
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)

    def _settle_loop(self) -> None:
        while not self._stop.wait(0.05):
            if not self.switches.auto_settle:
                continue
            for refund in self.ledger.processing(older_than=self.switches.settle_delay):
                self.settle(refund.route, refund.request_no)

    def settle(self, route: str, request_no: str, success: bool | None = None) -> Refund | None:
        """Settle one processing refund now (success unless the fail switch says otherwise)."""
        if success is None:
            success = not self.switches.take("fail")
        refund = self.ledger.settle(route, request_no, success, "" if success else "ACCOUNT_CLOSED")
        if refund is not None:
            self._notify(refund)
        return refund

    def _notify(self, refund: Refund) -> None:
        payload = {
            "sandbox": True,
            "notify_id": uuid.uuid4().hex,
            "route": refund.route,
            "request_no": refund.request_no,
            "trade_no": refund.trade_no,
            "gateway_ref": refund.gateway_ref,
            "amount_fen": refund.amount_fen,
            "status": "SUCCESS" if refund.status is RefundStatus.SUCCESS else "FAILED",
            "reason": refund.fail_reason,
            "settled_at": time.time(),
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        key = "wrong-" + self.secret if self.switches.take("bad_signature") else self.secret
        headers = {"Content-Type": "application/json", **signing.signed_headers(key, body)}
        note = {
            "id": len(self.notifications) + 1,
            "url": refund.notify_url,
            "headers": headers,
            "body": body.decode(),
            "attempts": 0,
            "delivered": False,
        }
        with self._notes_lock:
            note["id"] = len(self.notifications) + 1
            self.notifications.append(note)
        if refund.notify_url and self.switches.notify:
            self._outbox.put((note, 0, time.time()))

    def _notify_loop(self) -> None:
        while not self._stop.is_set():
            try:
                note, attempt, due = self._outbox.get(timeout=0.1)
            except queue.Empty:
                continue
            if due > time.time():
                self._outbox.put((note, attempt, due))
                self._stop.wait(0.05)
                continue
            delivered = self.deliver(note["url"], note["headers"], note["body"].encode())
            with self._notes_lock:
                note["attempts"] += 1
                note["delivered"] = note["delivered"] or delivered
            if not delivered and attempt + 1 < len(NOTIFY_BACKOFF):
                self._outbox.put((note, attempt + 1, time.time() + NOTIFY_BACKOFF[attempt + 1]))

    def notifications_snapshot(self) -> list[dict]:
        with self._notes_lock:
            return [dict(n) for n in self.notifications]

    # Requests ----------------------------------------------------------------------------------
    def submit(self, route, request_no, trade_no, amount_fen, total_fen, notify_url) -> Refund:
        """Record a refund request, applying the switches; raises LedgerError."""
        if self.switches.take("reject"):
            raise LedgerError("SYSTEM_REFUSED", "sandbox switch: the refund was refused")
        never = self.switches.take("never_settle")
        return self.ledger.submit(route, request_no, trade_no, amount_fen, total_fen, notify_url, never)

    def reset(self) -> None:
        self.ledger.reset()
        self.switches.reset()
        with self._notes_lock:
            self.notifications.clear()
