"""The worker class: jobs run in this process, each inside a fresh app context (its own DB session)."""

from flask import Flask
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from portal.queueing import QUEUES, get_queue, redis_connection


class AppWorker(SimpleWorker):
    """A SimpleWorker that gives every job its own app context, so no session outlives a job."""

    flask_app: Flask

    def perform_job(self, job, queue, *args, **kwargs):
        with self.flask_app.app_context():
            return super().perform_job(job, queue, *args, **kwargs)


def build_worker(app: Flask, queue_names=QUEUES) -> AppWorker:
    """A worker on the app's Redis for the named queues."""
    with app.app_context():
        connection = redis_connection()
        queues = [get_queue(name, connection) for name in queue_names]
    worker = AppWorker(queues, connection=connection, serializer=JSONSerializer)
    worker.flask_app = app
    return worker
