"""Gateway settings: adapters by dotted or colon path, per-route settings, and what the app refuses."""

import pytest

from portal.payouts import gateways, signing
from portal.payouts.gateways import GatewayMisconfigured, build_gateway, check_settings


def test_an_adapter_is_named_with_a_colon_or_a_dot():
    for path in ("portal.payouts.gateways:BankCardGateway", "portal.payouts.gateways.BankCardGateway"):
        gateway = build_gateway("alipay", {"PAYMENT_GATEWAY_ADAPTERS": {"alipay": path}})
        assert isinstance(gateway, gateways.BankCardGateway)


def test_per_route_settings_win_and_extras_reach_the_adapter():
    config = {
        "PAYMENT_GATEWAY_URL": "http://127.0.0.1:5055",
        "PAYMENT_GATEWAY_ROUTES": {
            "wechat": {"url": "https://api.mch.weixin.qq.com", "secret": "k", "timeout": 9, "mchid": "190000"}
        },
    }
    settings = gateways.settings_for(gateways.PaymentRoute.WECHAT, config)
    assert (settings.url, settings.secret, settings.timeout) == ("https://api.mch.weixin.qq.com", "k", 9.0)
    assert settings.extra == {"mchid": "190000"}
    assert gateways.settings_for(gateways.PaymentRoute.ALIPAY, config).secret == signing.DEV_SECRET


def test_a_remote_gateway_without_its_own_secret_is_refused():
    with pytest.raises(GatewayMisconfigured, match="needs its own secret"):
        check_settings({"PAYMENT_GATEWAY_URL": "https://pay.example.com"})
    check_settings({"PAYMENT_GATEWAY_URL": "https://pay.example.com", "PAYMENT_GATEWAY_SECRET": "s3cret"})


def test_an_adapter_that_cannot_be_imported_is_refused_at_start():
    with pytest.raises(GatewayMisconfigured, match="cannot import"):
        check_settings({"PAYMENT_GATEWAY_ADAPTERS": {"alipay": "no_such_package.alipay:Adapter"}})
