"""/healthz and /readyz: JSON, no personal data, not ready when a part is missing."""

import time

import flask_migrate
import pytest
from redis import Redis
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from portal.evidence import stores
from portal.ops import health
from portal.queueing import CLOCK_HEARTBEAT_KEY
from portal.workdays import services as workdays


@pytest.fixture
def migrated(app, db, redis_url):
    """The schema stamped at the migrations' head and the worker's clock just seen."""
    flask_migrate.stamp()
    Redis.from_url(redis_url).set(CLOCK_HEARTBEAT_KEY, f"{time.time():.3f}")
    return app


def test_healthz_answers_without_looking_at_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_ready_when_every_part_is(migrated, client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ready"
    assert set(response.json["checks"]) == {"database", "redis", "clock", "storage"}
    assert all(check["ok"] for check in response.json["checks"].values())


def test_not_ready_before_migrations(app, db, client, redis_url):
    db.session.execute(
        text("DROP TABLE IF EXISTS alembic_version")
    )  # another test may have stamped (PostgreSQL)
    db.session.commit()
    Redis.from_url(redis_url).set(CLOCK_HEARTBEAT_KEY, f"{time.time():.3f}")
    response = client.get("/readyz")
    assert response.status_code == 503 and not response.json["checks"]["database"]["ok"]
    assert response.json["checks"]["redis"]["ok"]


def test_not_ready_when_the_clock_stopped(migrated, client, redis_url):
    stale = time.time() - health.CLOCK_STALE_SECONDS - 5
    Redis.from_url(redis_url).set(CLOCK_HEARTBEAT_KEY, f"{stale:.3f}")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["clock"] == {
        "ok": False,
        "detail": f"{health.CLOCK_STALE_SECONDS + 5}s ago",
    }
    Redis.from_url(redis_url).delete(CLOCK_HEARTBEAT_KEY)
    assert client.get("/readyz").json["checks"]["clock"]["detail"] == "never seen"


@pytest.mark.config(REDIS_URL="redis://127.0.0.1:9/0")
def test_not_ready_without_redis(migrated, client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"] == {"ok": False, "detail": "ConnectionError"}
    assert response.json["checks"]["database"]["ok"]


def test_not_ready_when_storage_refuses_writes(migrated, client, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the uploads folder should be")
    migrated.config["UPLOAD_FOLDER"] = str(blocked)
    stores.init_app(migrated)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["storage"]["ok"] is False


def test_storage_probe_is_kept_for_a_while():
    calls = []

    class Store:
        def save(self, data, suffix):
            calls.append("save")
            return "k" * 32 + suffix

        def delete(self, key):
            calls.append("delete")

    probe = health.StorageProbe()
    assert probe(Store(), 1000.0).ok and probe(Store(), 1000.0 + health.STORAGE_PROBE_SECONDS - 1).ok
    assert calls == ["save", "delete"]
    probe(Store(), 1000.0 + health.STORAGE_PROBE_SECONDS)
    assert calls == ["save", "delete"] * 2


def test_healthz_answers_while_the_database_does_not(client, monkeypatch):
    def down(*_args):
        raise OperationalError("SELECT", {}, Exception("database down"))

    workdays.forget()
    monkeypatch.setattr(workdays, "load", down)
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json["checks"]["database"]  # an answer, not an error page
