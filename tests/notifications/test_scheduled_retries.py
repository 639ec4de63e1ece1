"""The outbox sweep and scheduled retries: a retry RQ still has scheduled is left alone; one whose schedule
Redis lost, or whose time passed long ago (no scheduler moved it), is enqueued again."""

from datetime import timedelta

import pytest
from redis import Redis
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import select

from portal import outbox
from portal.clock import utcnow
from portal.extensions import db
from portal.outbox import OutboxItem
from tests.factories import open_case_for

# Delivery itself: case news is sent at once (the policy waits no time to coalesce it).
pytestmark = pytest.mark.usefixtures("news_at_once")


def _failed_once(app, world, run_jobs) -> tuple[int, Redis]:
    case_id = open_case_for(world.customer_id).id
    item_id = db.session.scalar(
        select(OutboxItem.id).where(OutboxItem.case_id == case_id, OutboxItem.channel == "sms")
    )
    run_jobs()  # the provider fails: RQ schedules the next try in 5 s
    connection = Redis.from_url(app.config["REDIS_URL"])
    job = Job.fetch(outbox.job_id_for(item_id), connection=connection, serializer=JSONSerializer)
    assert job.get_status() == JobStatus.SCHEDULED
    return item_id, connection


@pytest.mark.config(SMS_BACKEND="tests.notifications.fake_sms:FailingSms")
def test_a_scheduled_retry_is_left_alone(app, world, run_jobs):
    _failed_once(app, world, run_jobs)
    assert outbox.sweep(utcnow() + timedelta(minutes=1)) == 0


@pytest.mark.config(SMS_BACKEND="tests.notifications.fake_sms:FailingSms")
def test_a_scheduled_retry_whose_schedule_redis_lost_is_enqueued_again(app, world, run_jobs):
    item_id, connection = _failed_once(app, world, run_jobs)
    connection.delete(ScheduledJobRegistry("notifications", connection=connection).key)
    assert outbox.sweep(utcnow() + timedelta(minutes=1)) == 1
    job = Job.fetch(outbox.job_id_for(item_id), connection=connection, serializer=JSONSerializer)
    assert job.get_status() == JobStatus.QUEUED


@pytest.mark.config(SMS_BACKEND="tests.notifications.fake_sms:FailingSms")
def test_a_scheduled_retry_no_scheduler_moved_is_enqueued_again(app, world, run_jobs):
    item_id, connection = _failed_once(app, world, run_jobs)
    assert outbox.sweep(utcnow() + outbox.STUCK_AFTER + timedelta(minutes=1)) == 1
    job = Job.fetch(outbox.job_id_for(item_id), connection=connection, serializer=JSONSerializer)
    assert job.get_status() == JobStatus.QUEUED
