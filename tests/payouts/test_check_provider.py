"""`flask payouts check-provider ROUTE` against the stand-in providers: what it reports, right and wrong."""

import pytest

from tests.payouts.provider_fakes import key_pair


def _check(app, route: str):
    return app.test_cli_runner().invoke(args=["payouts", "check-provider", route])


def test_alipay_configured_right(app, alipay):
    result = _check(app, "alipay")
    assert result.exit_code == 0, result.output
    assert "AlipayOpenApi at http://127.0.0.1" in result.output and "alipay: OK" in result.output
    assert "accepted our signature" in result.output
    [sent] = alipay.requests
    assert sent["method"] == "alipay.trade.fastpay.refund.query" and sent["problems"] == []
    assert alipay.refunds() == []  # a harmless query: nothing refunded
    assert "PRIVATE KEY" not in result.output


def test_alipay_with_a_key_alipay_does_not_know(app, alipay):
    app.config["PAYMENT_GATEWAY_ROUTES"]["alipay"]["app_private_key"] = key_pair("stranger")[0]
    result = _check(app, "alipay")
    assert result.exit_code == 1 and "isv.invalid-signature" in result.output
    assert "app_private_key does not match" in result.output


def test_alipay_answers_that_do_not_verify(app, alipay):
    app.config["PAYMENT_GATEWAY_ROUTES"]["alipay"]["alipay_public_key"] = key_pair("stranger")[1]
    result = _check(app, "alipay")
    assert result.exit_code == 1 and "alipay_public_key is not Alipay's" in result.output


def test_wechat_configured_right_and_wrong(app, wechatpay):
    assert _check(app, "wechat").exit_code == 0
    app.config["PAYMENT_GATEWAY_ROUTES"]["wechat"]["platform_public_key"] = key_pair("stranger")[1]
    result = _check(app, "wechat")
    assert result.exit_code == 1 and "platform_public_key or platform_serial is wrong" in result.output
    app.config["PAYMENT_GATEWAY_ROUTES"]["wechat"]["platform_public_key"] = wechatpay.platform_public
    app.config["PAYMENT_GATEWAY_ROUTES"]["wechat"]["merchant_private_key"] = key_pair("stranger")[0]
    assert "SIGN_ERROR" in _check(app, "wechat").output


def test_nothing_listening(app, alipay):
    alipay.close()
    result = _check(app, "alipay")
    assert result.exit_code == 1 and "NO_ANSWER" in result.output


@pytest.mark.parametrize(
    ("route", "adapters", "expected"),
    [
        ("bank_card", {"bank_card": "manual"}, "staff's manual transfer queue"),
        ("offline", {}, "no gateway for this route"),
    ],
)
def test_routes_without_an_api(app, route, adapters, expected):
    app.config["PAYMENT_GATEWAY_ADAPTERS"] = adapters
    assert expected in _check(app, route).output


def test_settings_that_cannot_work_are_named(app, alipay):
    del app.config["PAYMENT_GATEWAY_ROUTES"]["alipay"]["app_private_key"]
    result = _check(app, "alipay")
    assert result.exit_code == 1 and "PAYMENT_GATEWAY_ROUTES[alipay].app_private_key" in result.output


def test_the_sandbox_is_checked_too(app, gateway):
    result = _check(app, "wechat")
    assert result.exit_code == 0 and "(a sandbox)" in result.output
