"""A test-only stand-in for the APP's push service: a real HTTP server in a thread.

It checks each request's signature on its own (not with portal.notifications.push), keeps one message per
Idempotency-Key, and can be told to fail the next requests or to lose its answers.
"""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    key: str
    headers: dict
    body: bytes
    signature_ok: bool

    @property
    def message(self) -> dict:
        return json.loads(self.body)


@dataclass
class PushReceiver:
    secret: str
    requests: list[Received] = field(default_factory=list)
    messages: dict[str, dict] = field(default_factory=dict)  # accepted, by idempotency key
    fail_next: int = 0  # answer 503 without keeping the message
    lose_answer_next: int = 0  # keep the message, then answer 500 (as if the answer got lost)
    gone: bool = False  # answer 410: the customer's APP is no longer installed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}/push"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "PushReceiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def check_signature(self, headers, body: bytes) -> bool:
        timestamp = headers.get("X-Refund-Timestamp", "")
        expected = (
            "sha256="
            + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        )
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        return fresh and hmac.compare_digest(expected, headers.get("X-Refund-Signature", ""))

    def handle(self, headers, body: bytes) -> tuple[int, dict]:
        key = headers.get("Idempotency-Key", "")
        ok = self.check_signature(headers, body)
        with self.lock:
            self.requests.append(Received(key, dict(headers), body, ok))
            if not ok:
                return 401, {"error": "bad signature"}
            if self.gone:
                return 410, {"error": "no device"}
            if self.fail_next:
                self.fail_next -= 1
                return 503, {"error": "try later"}
            duplicate = key in self.messages
            if not duplicate:
                self.messages[key] = json.loads(body)
            if self.lose_answer_next:
                self.lose_answer_next -= 1
                return 500, {"error": "answer lost"}
            return 200, {"id": f"push-{key}", "status": "duplicate" if duplicate else "accepted"}

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, reply = receiver.handle(self.headers, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):  # quiet
                pass

        return Handler
