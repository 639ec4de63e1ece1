"""The Alembic migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

import flask_migrate
import pytest
from sqlalchemy import inspect

from portal import create_app
from portal.extensions import db
from tests.conftest import POSTGRES_URL, own_postgres_database
from tests.conftest import test_config as base_config


@pytest.fixture
def empty_database(tmp_path):
    """An empty database of the kind this run uses (a new PostgreSQL database, or a new SQLite file)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    with own_postgres_database("migrations") as url:
        yield url


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(tmp_path, redis_url, empty_database):
    config = base_config(tmp_path, redis_url)
    config["SQLALCHEMY_DATABASE_URI"] = empty_database
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        # Autogenerate finds nothing left to do: the migrations and the models agree.
        flask_migrate.check()
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
