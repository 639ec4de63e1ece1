"""Operations: request ids and JSON request lines, Prometheus metrics, health and readiness, and the
admins' operations page (portal/ops/views.py)."""

import logging
import time
import uuid
from contextlib import suppress

from flask import Flask, Response, g, request

from portal.accounts.services import sign_in_refused
from portal.ops import logs, metrics
from portal.ops.health import StorageProbe

request_log = logging.getLogger("portal.request")
UNMATCHED = "<unmatched>"  # the route of a request no URL rule matched


def init_app(app: Flask) -> None:
    app.extensions["refund_ops"] = {"storage_probe": StorageProbe(), "heads": None}
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_unbind)
    sign_in_refused.connect(_count_sign_in_failure, weak=False)


def request_id(given: str) -> str:
    """A proxy's request id when it has the expected form, else a fresh one."""
    return given if logs.REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex


def record(route: str, method: str, status: int, seconds: float, **fields: object) -> None:
    """An answered request: its latency in the metrics and its one JSON line (the request id and principal
    come from the log context, or from `fields` for an answer given before Flask)."""
    metrics.REQUEST_SECONDS.labels(route, method, str(status)).observe(seconds)
    extra = {"route": route, "method": method, "status": status, "duration_ms": round(seconds * 1000, 2)}
    request_log.info("request", extra=extra | fields)


def _start() -> None:
    g.request_id = request_id(request.headers.get(logs.REQUEST_ID_HEADER, ""))
    g.request_started = time.perf_counter()
    g.log_token = logs.bind(request_id=g.request_id)


def _finish(response: Response) -> Response:
    """Return the request id, time the request, and write its one line."""
    if "request_id" not in g:  # a request that failed before before_request ran
        return response
    response.headers[logs.REQUEST_ID_HEADER] = g.request_id
    route = request.url_rule.rule if request.url_rule else UNMATCHED
    seconds = time.perf_counter() - g.request_started
    record(route, request.method, response.status_code, seconds, principal=_principal())
    return response


def _principal() -> str | None:
    """ "customer:<id>" or "staff:<id>" if this request loaded a signed-in user (never the session id)."""
    user = g.get("_login_user")
    if user is None or not user.is_authenticated:
        return None
    return f"{'staff' if user.is_staff else 'customer'}:{user.id}"


def _unbind(_exc: BaseException | None) -> None:
    if (token := g.pop("log_token", None)) is not None:
        with suppress(ValueError):  # torn down in another context than it started (a streamed response)
            logs.unbind(token)


def _count_sign_in_failure(who: str, **_details: object) -> None:
    metrics.SIGN_IN_FAILURES.labels(who).inc()
