"""The payout property test (test_property.py) against each real adapter and its STAND-IN provider:
whatever mix of partial refunds, retries, timeouts, failures and replayed notices happens, money never
goes back twice or above what was paid, and a retry never gets a new request number."""

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.payouts.provider_fakes import FakeAlipay, FakeWechatPay
from tests.payouts.support import post_notice
from tests.payouts.test_property import OPS, Scenario

FAKES = {"alipay-openapi": FakeAlipay, "wechatpay-v3": FakeWechatPay}


class ProviderScenario(Scenario):
    """The same world; the provider knows the trade, and its notices are in its own format."""

    def __init__(self, app, gateway, client, paid):
        super().__init__(app, gateway, client, gateway.route, paid)
        gateway.paid[self.trade] = paid

    def op_deliver(self, index: int, times: int) -> None:
        notes = self.gateway.notifications()
        if notes:
            for _ in range(times):
                assert post_notice(self.client, notes[index % len(notes)]).status_code in (200, 204, 400)


@pytest.fixture(params=sorted(FAKES))
def provider(request, app):
    fake = FAKES[request.param]().start()
    app.config.update(
        PAYMENT_GATEWAY_ADAPTERS={fake.route: request.param},
        PAYMENT_GATEWAY_ROUTES={fake.route: {**fake.settings(), "timeout": 1.0}},
        PAYOUT_MAX_FAILURES=2,
        PAYOUT_RETRY_DELAYS=[1, 2, 3],
        PAYOUT_QUERY_AFTER=0,
        PAYOUT_NOTIFY_BASE_URL="http://127.0.0.1:9",
    )
    yield fake
    fake.close()


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    paid=st.integers(1, 100_000),
    first=st.integers(1, 100),
    ops=st.lists(OPS, min_size=15, max_size=30),
)
def test_refunds_never_exceed_what_was_paid(app, provider, db, client, paid, first, ops):
    provider.state.reset()
    provider.switch(auto_settle=False, notify=False, hang_seconds=1.5)
    provider.requests.clear()
    world = ProviderScenario(app, provider, client, paid)
    for op in [("approve", first), *ops]:
        world.run(op)
    world.drain()
    assert provider.problems() == []  # every request was signed as the provider documents
    for p in world.payouts():
        event(f"{provider.route}: payout {p.state} via {p.success_source}, {p.failures} failures")
