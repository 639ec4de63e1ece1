"""gunicorn settings for the web process: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Prometheus metrics are kept per worker process in PROMETHEUS_MULTIPROC_DIR and added up at each scrape of
/metrics (prometheus-client's multiprocess mode). The folder is emptied when gunicorn starts and a dead
worker's gauges are dropped. The application writes one JSON line per request itself, so gunicorn's access
log stays off (it would print whole addresses, query strings with hand-off tokens included).
"""

import os
import shutil
from pathlib import Path

_instance = Path(os.environ.get("REFUND_INSTANCE_PATH", "instance"))
# Must be in the environment before the workers import prometheus_client.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_instance / "prometheus"))

bind = f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
accesslog = None
errorlog = "-"
# Longer than the storage and gateway timeouts: a slow provider gets an answer, not a killed worker.
timeout = 30
graceful_timeout = 20


def on_starting(server):
    """Start from an empty metrics folder (counters restart with the process group, as Prometheus expects)."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    """Drop the dead worker's live gauges; its counters stay counted."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
