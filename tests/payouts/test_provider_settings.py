"""Provider settings checked at start: keys from the settings or files, named when wrong; production mode;
the bank card route without an API goes to staff, visibly."""

import pytest

from portal import create_app
from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.evidence.storage import LocalStorage
from portal.orders.kinds import PaymentRoute
from portal.payouts import manual, services
from portal.payouts.gateways import GatewayMisconfigured, ManualGateway, build_gateway, check_settings
from portal.payouts.models import Payout
from portal.payouts.providers.alipay import AlipayOpenApi
from portal.payouts.providers.wechatpay import WechatPayV3
from portal.payouts.states import PayoutState
from tests.factories import approved_payout, fresh, new_staff
from tests.payouts.provider_fakes import FakeWechatPay, key_pair
from tests.payouts.support import settings
from tests.payouts.test_property import _proof


def _alipay(**changes) -> dict:
    fake_settings = {
        "url": "https://openapi.alipay.com/gateway.do",
        "merchant_id": "2021000000000000",
        "app_private_key": _keys()[0],
        "alipay_public_key": _keys()[1],
    }
    fake_settings.update(changes)
    return {
        "PAYMENT_GATEWAY_ADAPTERS": {"alipay": "alipay-openapi"},
        "PAYMENT_GATEWAY_ROUTES": {"alipay": {k: v for k, v in fake_settings.items() if v is not None}},
    }


def _keys():
    return key_pair("settings-test")


def test_keys_may_come_from_files(tmp_path):
    private, public = _keys()
    (tmp_path / "app.pem").write_text(private)
    (tmp_path / "alipay.pem").write_text(public)
    config = _alipay(
        app_private_key=None,
        alipay_public_key=None,
        app_private_key_file=str(tmp_path / "app.pem"),
        alipay_public_key_file=str(tmp_path / "alipay.pem"),
    )
    assert isinstance(build_gateway("alipay", config), AlipayOpenApi)


def test_a_bare_base64_key_as_the_consoles_hand_it_out_is_read():
    private, public = _keys()
    bare = "".join(line for line in public.splitlines() if "-----" not in line)
    assert isinstance(build_gateway("alipay", _alipay(alipay_public_key=bare)), AlipayOpenApi)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"app_private_key": None}, "PAYMENT_GATEWAY_ROUTES[alipay].app_private_key"),
        ({"alipay_public_key": "not a key"}, "PAYMENT_GATEWAY_ROUTES[alipay].alipay_public_key"),
        ({"app_private_key": None, "app_private_key_file": "/nonexistent/app.pem"}, "app_private_key_file"),
        ({"merchant_id": None}, "PAYMENT_GATEWAY_ROUTES[alipay].merchant_id"),
    ],
)
def test_a_missing_or_unreadable_key_refuses_to_start_naming_the_setting(changes, named):
    with pytest.raises(GatewayMisconfigured) as refused:
        check_settings(_alipay(**changes))
    assert named in str(refused.value)
    assert "PRIVATE KEY" not in str(refused.value)  # key material never in a message


def test_the_app_itself_refuses_to_start(tmp_path):
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
        "DEV_PAGES": True,  # a development start: the gateway's own check still refuses
        **_alipay(app_private_key=None),
    }
    with pytest.raises(GatewayMisconfigured, match="app_private_key"):
        create_app(config)


def test_wechat_pay_needs_a_32_character_apiv3_key():
    fake = FakeWechatPay.__new__(FakeWechatPay)
    fake.merchant_private, _ = _keys()
    _, fake.platform_public = _keys()
    fake.url = "https://api.mch.weixin.qq.com"
    routes = {"wechat": {**FakeWechatPay.settings(fake), "apiv3_key": "short"}}
    config = {"PAYMENT_GATEWAY_ADAPTERS": {"wechat": "wechatpay-v3"}, "PAYMENT_GATEWAY_ROUTES": routes}
    with pytest.raises(GatewayMisconfigured, match=r"wechat\]\.apiv3_key"):
        check_settings(config)
    routes["wechat"]["apiv3_key"] = "k" * 32
    assert isinstance(build_gateway("wechat", config), WechatPayV3)


def test_production_refuses_the_sandbox_and_sandbox_urls():
    with pytest.raises(GatewayMisconfigured, match=r"PAYMENT_GATEWAY_ADAPTERS\[alipay\]"):
        check_settings({"PRODUCTION": True, "PAYMENT_GATEWAY_SECRET": "s"})
    config = {
        "PRODUCTION": True,
        **_alipay(url="https://openapi-sandbox.dl.alipaydev.com/gateway.do"),
    }
    config["PAYMENT_GATEWAY_ADAPTERS"]["wechat"] = "manual"
    with pytest.raises(GatewayMisconfigured, match=r"PAYMENT_GATEWAY_ROUTES\[alipay\]\.url"):
        check_settings(config)
    config["PAYMENT_GATEWAY_ROUTES"]["alipay"]["url"] = "http://127.0.0.1:5055/gateway.do"
    with pytest.raises(GatewayMisconfigured, match="is a sandbox"):
        check_settings(config)
    config["PAYMENT_GATEWAY_ROUTES"]["alipay"]["url"] = "https://openapi.alipay.com/gateway.do"
    check_settings(config)  # and the bank card route, with no API configured, goes to staff
    assert isinstance(build_gateway("bank_card", config), ManualGateway)


def test_without_a_bank_api_the_payout_goes_to_staff_visibly(app, db, tmp_path):
    app.config["PAYMENT_GATEWAY_ADAPTERS"] = {"bank_card": "manual"}
    payout_id = approved_payout(PaymentRoute.BANK_CARD, 1800)
    assert services.execute(payout_id, settings()) == "manual"
    payout = fresh(Payout, payout_id)
    assert payout.state == PayoutState.MANUAL and payout.last_error.startswith("NO_GATEWAY_API")
    case = fresh(RefundCase, payout.case_id)
    assert case.state == CaseState.MANUAL and case.events[-1].reason == "NO_GATEWAY_API"
    assert payout_id in [p.id for p in manual.staff_queue().to_pay]
    # Nothing was sent, so staff may pay by hand.
    staff_id = new_staff().id
    db.session.commit()
    record = manual.TransferRecord("BANK-REF-1", "", _proof())
    manual.record_transfer(payout_id, staff_id, record, LocalStorage(str(tmp_path)), settings())
    assert fresh(Payout, payout_id).state == PayoutState.SUCCEEDED
