"""A transfer proof that cannot be stored: a clear "try again", the cause logged, nothing recorded."""

import io
import logging

from sqlalchemy import func, select

from portal.evidence.storage import LocalStorage
from portal.extensions import db
from portal.payouts.models import ManualTransfer, Payout
from portal.payouts.states import PayoutState
from tests.factories import fresh, sign_in_customer, sign_in_staff
from tests.payouts.test_pages import CARD, _offline_case, _png


def test_a_proof_the_storage_refuses_records_nothing(app, gateway, client, monkeypatch, caplog):
    payout_id, case_id = _offline_case(app)
    sign_in_customer(client, app)
    account = {"kind": "bank_card", "holder": "王先生", "number": CARD, "bank": "工商银行"}
    assert client.post(f"/payouts/cases/{case_id}/account", data=account).status_code == 303
    staff = app.test_client()
    sign_in_staff(staff, app, "senior")

    def refuse(self, data, suffix):
        raise PermissionError(13, "Permission denied", "/uploads/payout-proofs")

    monkeypatch.setattr(LocalStorage, "save", refuse)
    caplog.set_level(logging.ERROR)
    form = {"reference": "ICBC2026112800001", "proof": (io.BytesIO(_png()), "receipt.png")}
    response = staff.post(
        f"/staff/payouts/{payout_id}/transfer?lang=en", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "The proof could not be saved, so nothing was recorded." in response.get_data(as_text=True)
    assert "Permission denied" in caplog.text
    with app.app_context():
        assert fresh(Payout, payout_id).state == PayoutState.MANUAL
        assert db.session.scalar(select(func.count(ManualTransfer.id))) == 0
    monkeypatch.undo()
    form = {"reference": "ICBC2026112800001", "proof": (io.BytesIO(_png()), "receipt.png")}
    assert staff.post(f"/staff/payouts/{payout_id}/transfer", data=form).status_code == 303  # then it works
