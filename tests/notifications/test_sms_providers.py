"""Aliyun SMS and Tencent Cloud SMS over their documented HTTP APIs, against STAND-INS on 127.0.0.1:
signature v3 checked as documented, templates and parameters, OutId / SessionContext, the providers'
error codes mapped to retry / give up / fix settings and shown to staff; no phone number in logs."""

import json
import logging

import pytest

from portal import outbox
from portal.extensions import db
from portal.notifications.providers.common import parameter_order, templates_sent
from portal.notifications.sms import SmsMisconfigured, SmsRefused, check_settings, load_backend
from portal.outbox import OutboxItem
from tests.factories import sign_in_staff
from tests.notifications.sms_fakes import (
    ALIYUN_KEY_ID,
    ALIYUN_SECRET,
    TENCENT_APP,
    TENCENT_ID,
    TENCENT_KEY,
    FakeAliyunSms,
    FakeTencentSms,
)
from worker.jobs import deliver_outbox

PHONE = "+8613912345678"
PARAMS = {"number": "RF20261201ABCDEF12", "due": "12月3日"}


def _codes() -> dict:
    return {name: f"SMS_{100 + i}" for i, name in enumerate(templates_sent())}


@pytest.fixture
def aliyun(app):
    fake = FakeAliyunSms().start()
    app.config.update(
        SMS_BACKEND="aliyun",
        SMS_TEMPLATE_CODES=_codes(),
        ALIYUN_SMS_ACCESS_KEY_ID=ALIYUN_KEY_ID,
        ALIYUN_SMS_ACCESS_KEY_SECRET=ALIYUN_SECRET,
        ALIYUN_SMS_ENDPOINT=fake.url,
        SMS_TIMEOUT=0.5,
        RQ_ENABLED=False,
    )
    yield fake
    fake.close()


@pytest.fixture
def tencent(app):
    fake = FakeTencentSms().start()
    app.config.update(
        SMS_BACKEND="tencent",
        SMS_TEMPLATE_CODES={**_codes(), "submitted": {"zh_CN": "1110001", "en": "1110002"}},
        TENCENT_SMS_SECRET_ID=TENCENT_ID,
        TENCENT_SMS_SECRET_KEY=TENCENT_KEY,
        TENCENT_SMS_SDK_APP_ID=TENCENT_APP,
        TENCENT_SMS_ENDPOINT=fake.url,
        SMS_TIMEOUT=0.5,
        RQ_ENABLED=False,
    )
    yield fake
    fake.close()


def _queued(template="case:submitted", params=None, locale="zh_CN") -> int:
    item = outbox.add_sms(PHONE, template, params or PARAMS, locale)
    db.session.commit()
    return item.id


def _row(item_id: int) -> OutboxItem:
    db.session.expire_all()
    return db.session.get(OutboxItem, item_id)


def test_aliyun_sends_the_template_with_its_parameters_and_our_out_id(aliyun, db, caplog):
    caplog.set_level(logging.DEBUG)
    item_id = _queued()
    assert deliver_outbox(item_id) == "sent"
    [sent] = aliyun.received
    assert aliyun.problems == []
    assert sent["TemplateCode"] == _codes()["submitted"] and sent["OutId"] == f"outbox-{item_id}"
    assert json.loads(sent["TemplateParam"]) == PARAMS and sent["PhoneNumbers"] == PHONE
    assert sent["SignName"]
    row = _row(item_id)
    assert row.status == "sent" and row.provider_ref.startswith("9006197")
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug"))
    assert PHONE[-8:] not in ours  # (the stand-in's own access log is not ours)


def test_tencent_sends_the_parameters_in_order_with_our_session_context(tencent, db):
    item_id = _queued(locale="en")
    assert deliver_outbox(item_id) == "sent"
    [sent] = tencent.received
    assert tencent.problems == []
    assert sent["TemplateId"] == "1110002"  # the English template of this event
    assert sent["TemplateParamSet"] == ["RF20261201ABCDEF12", "12月3日"]  # {1} number, {2} due
    assert sent["SessionContext"] == f"outbox-{item_id}" and sent["SmsSdkAppId"] == TENCENT_APP
    assert sent["PhoneNumberSet"] == [PHONE]
    assert _row(item_id).status == "sent"


def test_parameter_order_follows_the_english_text(app):
    with app.app_context():
        assert parameter_order("case:executing") == ["number", "amount", "route", "arrival"]
        assert parameter_order("sign_in_code") == ["code"]


@pytest.mark.parametrize(
    ("fake_name", "code", "failure"),
    [
        ("aliyun", "isv.SMS_TEMPLATE_ILLEGAL", "fix_settings"),
        ("aliyun", "isv.MOBILE_NUMBER_ILLEGAL", "give_up"),
        ("aliyun", "isv.DAY_LIMIT_CONTROL", "give_up"),
        ("aliyun", "isv.AMOUNT_NOT_ENOUGH", "fix_settings"),
        ("tencent", "FailedOperation.TemplateIncorrectOrUnapproved", "fix_settings"),
        ("tencent", "AuthFailure.SecretIdNotFound", "fix_settings"),
        ("tencent", "InvalidParameterValue.IncorrectPhoneNumber", "give_up"),
        ("tencent", "LimitExceeded.PhoneNumberDailyLimit", "give_up"),
    ],
)
def test_refusals_that_retrying_cannot_fix_fail_at_once(request, db, fake_name, code, failure):
    fake = request.getfixturevalue(fake_name)
    fake.codes = [code]
    item_id = _queued()
    assert deliver_outbox(item_id) == "failed"
    row = _row(item_id)
    assert (row.status, row.failure, row.attempts) == ("failed", failure, 1)
    assert row.last_error.startswith(code) and PHONE not in row.last_error


@pytest.mark.parametrize(
    ("fake_name", "code"),
    [
        ("aliyun", "isv.BUSINESS_LIMIT_CONTROL"),
        ("aliyun", "isp.SYSTEM_ERROR"),
        ("tencent", "InternalError.Timeout"),
    ],
)
def test_passing_refusals_are_retried(request, db, fake_name, code):
    fake = request.getfixturevalue(fake_name)
    fake.codes = [code]
    item_id = _queued()
    with pytest.raises(SmsRefused):  # RQ retries the job; outside RQ no retry is left
        deliver_outbox(item_id)
    assert (_row(item_id).status, _row(item_id).failure) == ("failed", "retries_spent")


def test_no_answer_is_retried(aliyun, db):
    aliyun.hang = 1.0
    item_id = _queued()
    with pytest.raises(SmsRefused, match="NO_ANSWER"):
        deliver_outbox(item_id)
    assert _row(item_id).failure == "retries_spent"


def test_staff_see_what_to_do_about_a_failure(app, aliyun, world):
    aliyun.codes = ["isv.SMS_TEMPLATE_ILLEGAL"]
    item_id = _queued()
    deliver_outbox(item_id)
    staff = app.test_client()
    sign_in_staff(staff, app, "reviewer")
    page = staff.get("/staff/notifications?lang=en").get_data(as_text=True)
    assert f'id="outbox-{item_id}"' in page and "Fix the SMS settings" in page
    assert PHONE not in page  # masked on the page too
    assert staff.post(f"/staff/notifications/{item_id}/retry").status_code == 303
    assert (_row(item_id).status, _row(item_id).failure) == ("pending", "")


def test_a_wrong_secret_is_caught_by_the_provider_as_a_settings_problem(aliyun, app, db):
    app.config["ALIYUN_SMS_ACCESS_KEY_SECRET"] = "not-the-secret"
    item_id = _queued()
    assert deliver_outbox(item_id) == "failed"
    assert _row(item_id).failure == "fix_settings" and aliyun.problems == ["Signature does not match"]


def test_settings_are_checked_at_start_naming_what_is_wrong(tmp_path):
    config = {"SMS_BACKEND": "aliyun", "SMS_TEMPLATE_CODES": _codes(), "ALIYUN_SMS_ACCESS_KEY_ID": "id"}
    with pytest.raises(SmsMisconfigured, match="ALIYUN_SMS_ACCESS_KEY_SECRET"):
        check_settings(config)
    config["ALIYUN_SMS_ACCESS_KEY_SECRET_FILE"] = str(tmp_path / "missing")
    with pytest.raises(SmsMisconfigured, match="ALIYUN_SMS_ACCESS_KEY_SECRET_FILE: cannot read"):
        check_settings(config)
    (tmp_path / "secret").write_text("s3cret\n")
    config["ALIYUN_SMS_ACCESS_KEY_SECRET_FILE"] = str(tmp_path / "secret")
    assert load_backend("aliyun", config).key_secret == "s3cret"
    config["SMS_TEMPLATE_CODES"] = {"submitted": "SMS_1"}
    with pytest.raises(SmsMisconfigured, match="SMS_TEMPLATE_CODES: no template code for sign_in_code"):
        check_settings(config)
    with pytest.raises(SmsMisconfigured, match="SMS_BACKEND: the console stand-in"):
        check_settings({"SMS_BACKEND": "console", "PRODUCTION": True})
    with pytest.raises(SmsMisconfigured, match="SMS_BACKEND: cannot import"):
        check_settings({"SMS_BACKEND": "no_such.module:Sms"})
