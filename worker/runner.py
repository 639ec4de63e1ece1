"""The worker class: jobs run in this process, each inside a fresh app context (its own DB session)."""

import logging
import threading
import time

from flask import Flask
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from portal.extensions import db
from portal.ops import logs
from portal.queueing import QUEUES, get_queue, job_name, redis_connection
from portal.workdays import services as workdays
from worker.jobs import deliver_outbox

job_log = logging.getLogger("worker.job")
DELIVER_JOB = job_name(deliver_outbox)


class AppWorker(SimpleWorker):
    """A SimpleWorker that gives every job its own app context, so no session outlives a job, and writes
    one log line per job (its id, function, outcome and duration; the outbox row's id for deliveries)."""

    flask_app: Flask

    def perform_job(self, job, queue, *args, **kwargs):
        fields = {"job_id": job.id}
        if job.func_name == DELIVER_JOB and job.args:
            fields["outbox_id"] = job.args[0]
        token = logs.bind(**fields)
        started = time.perf_counter()
        ok = False
        try:
            with self.flask_app.app_context():
                # Deadlines use the official arrangement admins entered (read again at most every minute).
                workdays.refresh_if_stale(db.session, time.time())
                db.session.rollback()
                ok = super().perform_job(job, queue, *args, **kwargs)
            return ok
        finally:
            job_log.log(
                logging.INFO if ok else logging.WARNING,
                "job",
                extra={
                    "function": job.func_name,
                    "queue": queue.name,
                    "outcome": "ok" if ok else "failed",
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            logs.unbind(token)


def build_worker(app: Flask, queue_names=QUEUES) -> AppWorker:
    """A worker on the app's Redis for the named queues."""
    with app.app_context():
        connection = redis_connection()
        queues = [get_queue(name, connection) for name in queue_names]
    worker = AppWorker(queues, connection=connection, serializer=JSONSerializer)
    worker.flask_app = app
    return worker


def keep_scheduler_alive(worker: AppWorker) -> bool:
    """Start RQ's scheduler again when its process has died; True when it was restarted.

    RQ's scheduler runs in a child process that exits on the first Redis error, and RQ itself only looks
    again at its housekeeping (every ten minutes); scheduled retries would wait that long.
    """
    scheduler = worker.scheduler
    if scheduler is None:
        return False  # not started yet (or a burst worker)
    process = scheduler._process  # RQ's own housekeeping reads it the same way
    if process is not None and process.is_alive():
        return False
    return bool(scheduler.acquire_locks(auto_start=True))


class CurrentWorker:
    """The worker whose scheduler the clock looks after, replaced under a lock when a worker dies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.worker: AppWorker | None = None

    def keep_scheduler_alive(self) -> bool:
        with self._lock:
            return self.worker is not None and keep_scheduler_alive(self.worker)

    def replace(self, worker: AppWorker | None) -> None:
        """Look after `worker` from now on; the previous worker's scheduler process is stopped."""
        with self._lock:
            old, self.worker = self.worker, worker
            process = old.scheduler._process if old is not None and old.scheduler else None
            if process is not None and process.is_alive():
                old.stop_scheduler()
