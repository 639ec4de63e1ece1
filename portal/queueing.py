"""RQ queues by purpose, on the configured Redis, with the JSON serializer."""

from collections.abc import Callable

from flask import current_app
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

NOTIFICATIONS = "notifications"
DEFAULT = "default"
QUEUES = (NOTIFICATIONS, DEFAULT)
# The worker's clock writes the time of its last tick here (readiness and the operations page read it).
CLOCK_HEARTBEAT_KEY = "refund:clock:last"


def redis_connection(url: str | None = None) -> Redis:
    """A Redis client that gives up quickly: a request must not hang when Redis is down."""
    return Redis.from_url(url or current_app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=5)


def job_name(func: Callable) -> str:
    """The dotted name RQ and the outbox store for a job function: derived from the function, so that a
    rename breaks at import time, not in a queued job. Only module-level functions can be found again."""
    name = func.__qualname__
    if "." in name or "<" in name:
        raise ValueError(f"a job must be a module-level function, not {name}")
    return f"{func.__module__}.{name}"


def get_queue(name: str, connection: Redis | None = None) -> Queue:
    return Queue(name, connection=connection or redis_connection(), serializer=JSONSerializer)
