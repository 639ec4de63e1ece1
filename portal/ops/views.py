"""/healthz, /readyz and /metrics (for load balancers and Prometheus), and the admins' operations page."""

import hmac
import time
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, abort, current_app, flash, jsonify, request, url_for
from flask_babel import gettext as _
from redis import Redis
from redis.exceptions import RedisError

from portal.accounts.guards import staff_required
from portal.accounts.roles import ADMIN_ROLES
from portal.clock import utcnow
from portal.evidence import stores
from portal.extensions import db
from portal.ops import health, metrics, services
from portal.queueing import redis_connection
from portal.rendering import redirect_to, render

bp = Blueprint("ops", __name__)
admin_required = staff_required(*ADMIN_ROLES)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers (nothing else is looked at)."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Database at the migrations' head, Redis, storage writable, the worker's clock seen recently."""
    state = current_app.extensions["refund_ops"]
    now = time.time()
    checks = [
        health.database(db.engine, _heads()),
        *health.redis_and_clock(_redis(), now),
        state["storage_probe"](stores.get("evidence"), now),
    ]
    ready = all(check.ok for check in checks)
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
    }
    return _no_store(jsonify(body)), 200 if ready else 503


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    """Prometheus text format, for a scraper that sends ``Authorization: Bearer <METRICS_TOKEN>``."""
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        abort(404)  # no token set: there are no metrics here
    body = metrics.exposition(db.session, _redis(), utcnow())
    db.session.rollback()
    return _no_store(Response(body, mimetype="text/plain; version=0.0.4"))


@bp.get("/staff/operations")
@admin_required
def operations() -> Response:
    """Queues, failed jobs with a retry, outbox lag, the clock's last tick, payouts in trouble."""
    connection, now = redis_connection(), utcnow()
    try:
        queues, failed, last_tick = (
            services.queues(connection),
            services.failed_jobs(connection),
            services.clock_last_tick(connection),
        )
        redis_error = False
    except RedisError:
        queues, failed, last_tick, redis_error = [], [], None, True
    return render(
        "ops/operations.html",
        queues=queues,
        failed=failed,
        redis_error=redis_error,
        clock_age=time.time() - last_tick if last_tick else None,
        clock_stale=health.CLOCK_STALE_SECONDS,
        lag=services.outbox_lag(db.session, now),
        payouts=services.payouts_in_trouble(db.session, now),
    )


@bp.post("/staff/operations/jobs/<queue>/<job_id>/retry")
@admin_required
def retry_job(queue: str, job_id: str) -> Response:
    """Put a failed job back on its queue (jobs are idempotent: a second run does no second thing)."""
    if services.retry_job(redis_connection(), queue, job_id):
        flash(_("The job was queued again."), "success")
    else:
        flash(_("That job is no longer among the failed ones."), "error")
    return redirect_to(url_for("ops.operations"))


def _redis() -> Redis:
    """One client (and connection pool) per process for the probes: connecting costs more than checking."""
    state = current_app.extensions["refund_ops"]
    if state.get("redis") is None:
        state["redis"] = redis_connection()
    return state["redis"]


def _heads() -> frozenset[str]:
    """The migrations' head revision(s), read once per process."""
    state = current_app.extensions["refund_ops"]
    if state["heads"] is None:
        directory = current_app.extensions["migrate"].directory
        config = AlembicConfig(str(Path(directory) / "alembic.ini"))
        config.set_main_option("script_location", str(directory))
        state["heads"] = frozenset(ScriptDirectory.from_config(config).get_heads())
    return state["heads"]


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
