"""The portal with EVIDENCE_STORAGE=s3: uploads land in the bucket (moto's server: a stand-in), and come back
only through the portal's own access check."""

import pytest
from sqlalchemy import select

from portal.evidence import stores
from portal.evidence.models import EvidenceFile
from portal.evidence.storage import LocalStorage, S3Storage
from portal.extensions import db
from tests.samples import jpeg


@pytest.fixture
def s3_app(app, s3_empty):
    """The app with EVIDENCE_STORAGE=s3 on the stand-in."""
    app.config.update(s3_empty, EVIDENCE_STORAGE="s3")
    stores.init_app(app)
    return app


def test_the_portal_uploads_to_and_serves_from_the_bucket(s3_app, journey):
    order_id = journey.orders["game_card_unused"]
    journey.choose(order_id, "not_received")
    journey.describe(order_id)
    assert journey.upload(order_id, "topup_failure_screenshot", jpeg(), "good.jpg").status_code == 303
    evidence = db.session.scalar(select(EvidenceFile))
    store = stores.get("evidence")
    assert isinstance(store, S3Storage) and evidence.storage_key in set(store.keys())
    assert not LocalStorage(s3_app.config["UPLOAD_FOLDER"]).exists(evidence.storage_key)
    response = journey.get(f"/evidence/{evidence.public_id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data == store.open(evidence.storage_key)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert journey.get(f"/evidence/{evidence.public_id}/thumb").status_code == 200
