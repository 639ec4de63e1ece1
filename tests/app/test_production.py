"""Production (neither DEV_PAGES nor TESTING) refuses to start with a development secret or default."""

import pytest

from portal import create_app
from portal.config import UnsafeSettings
from portal.notifications.sms import SmsMisconfigured
from portal.payouts.gateways import GatewayMisconfigured

STRONG = "x" * 43
PRODUCTION = {
    "SECRET_KEY": STRONG,
    "APP_LINK_SECRET": STRONG + "1",
    "APP_PUSH_SECRET": STRONG + "2",
    "APP_PUSH_URL": "https://app.example/push",
    "SMS_BACKEND": "tests.notifications.fake_sms:FailingSms",
    # Real providers need their keys; paying by hand needs none.
    "PAYMENT_GATEWAY_ADAPTERS": {"alipay": "manual", "wechat": "manual", "bank_card": "manual"},
}


@pytest.fixture(autouse=True)
def _no_development_environment(monkeypatch):
    for name in (
        "REFUND_DEV_PAGES",
        "REFUND_TESTING",
        "REFUND_PRODUCTION",
        "REFUND_SECRET_KEY",
        "REFUND_APP_LINK_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)


def test_the_reviewers_start_without_secrets_is_refused_naming_each_setting():
    with pytest.raises(UnsafeSettings) as refused:
        create_app({"SESSION_COOKIE_SECURE": True})
    message = str(refused.value)
    for setting in ("REFUND_SECRET_KEY", "REFUND_APP_LINK_SECRET"):
        assert setting in message
    assert "dev-only" not in message  # names, never values


def test_an_explicit_production_flag_is_production_even_with_the_development_pages():
    with pytest.raises(UnsafeSettings):
        create_app({"PRODUCTION": True, "DEV_PAGES": True})


@pytest.mark.parametrize("setting", ["SECRET_KEY", "APP_LINK_SECRET", "APP_PUSH_SECRET"])
def test_each_development_secret_alone_is_refused(setting):
    with pytest.raises(UnsafeSettings, match=f"REFUND_{setting} is not set"):
        create_app({**PRODUCTION, setting: None})


@pytest.mark.parametrize("setting", ["SECRET_KEY", "APP_LINK_SECRET"])
def test_the_public_development_value_is_refused(setting):
    from portal.config import Defaults

    with pytest.raises(UnsafeSettings, match=f"REFUND_{setting} is not set"):
        create_app({**PRODUCTION, setting: getattr(Defaults, setting)})


def test_a_short_secret_is_refused():
    with pytest.raises(UnsafeSettings, match="REFUND_SECRET_KEY is shorter than 32"):
        create_app({**PRODUCTION, "SECRET_KEY": "short-but-not-default"})


def test_the_sandbox_gateway_is_refused():
    with pytest.raises(GatewayMisconfigured, match="alipay"):
        create_app({**PRODUCTION, "PAYMENT_GATEWAY_ADAPTERS": {"wechat": "manual", "bank_card": "manual"}})


def test_the_console_sms_stand_in_is_refused():
    with pytest.raises(SmsMisconfigured, match="SMS_BACKEND"):
        create_app({**PRODUCTION, "SMS_BACKEND": "console"})


def test_no_push_url_needs_no_push_secret():
    create_app({**PRODUCTION, "APP_PUSH_URL": "", "APP_PUSH_SECRET": None})


def test_production_with_its_own_secrets_starts():
    app = create_app(PRODUCTION)
    assert app.config["PRODUCTION"] and not app.config["DEV_PAGES"]


def test_development_machines_and_test_runs_keep_the_development_values():
    assert not create_app({"DEV_PAGES": True}).config["PRODUCTION"]
    assert not create_app({"TESTING": True}).config["PRODUCTION"]


def test_the_development_run_marks_itself_as_development():
    from pathlib import Path

    run = (Path(__file__).resolve().parents[2] / "scripts" / "run").read_text()
    assert "export REFUND_DEV_PAGES=${REFUND_DEV_PAGES:-true}" in run


def test_demo_data_with_its_public_staff_passwords_is_refused_in_production(tmp_path):
    app = create_app({**PRODUCTION, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code != 0
    assert "development machines" in result.output
