"""Settings in layers: defaults, then the environment (REFUND_*, DATABASE_URL, REDIS_URL), then the caller."""

from portal import create_app


def test_environment_overrides_defaults_and_the_caller_overrides_both(monkeypatch, tmp_path):
    monkeypatch.setenv("REFUND_DEV_PAGES", "true")  # a development start (production needs its own secrets)
    monkeypatch.setenv("REFUND_ORDERS_PER_PAGE", "25")
    monkeypatch.setenv("REFUND_PROGRESS_POLL_SECONDS", "5")
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@db.example/refunds")
    app = create_app({"PROGRESS_POLL_SECONDS": 1})
    assert app.config["ORDERS_PER_PAGE"] == 25  # parsed as JSON: a number
    assert app.config["PROGRESS_POLL_SECONDS"] == 1
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.example/refunds"


def test_secrets_stay_strings_even_when_all_digits(monkeypatch):
    monkeypatch.setenv("REFUND_DEV_PAGES", "true")
    monkeypatch.setenv("REFUND_APP_PUSH_SECRET", "0012345")
    monkeypatch.setenv("REFUND_APP_LINK_SECRET", "987654321")
    monkeypatch.setenv("REFUND_PAYMENT_GATEWAY_SECRET", "1e5")
    app = create_app()
    assert app.config["APP_PUSH_SECRET"] == "0012345"
    assert app.config["APP_LINK_SECRET"] == "987654321"
    assert app.config["PAYMENT_GATEWAY_SECRET"] == "1e5"
