"""Refund Center: the refund portal of a digital-goods marketplace."""

from collections.abc import Callable
from inspect import CO_COROUTINE
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as settings
from portal.accounts.cookie import SessionCookies
from portal.config import INSTANCE, Defaults, from_environment
from portal.notifications.sms import check_settings as check_sms_settings
from portal.payouts.gateways import check_settings as check_gateway_settings


class RefundApp(Flask):
    """Flask, with two answers worked out once that it would otherwise work out on every request."""

    session_interface = SessionCookies()  # the cookie's signer made once (portal/accounts/cookie.py)

    def ensure_sync(self, func: Callable) -> Callable:
        """Flask asks this of each hook and view on every request, through inspect; a function's own code
        flags answer it at once (a bound method reads its function's). Anything else goes to Flask."""
        code = getattr(func, "__code__", None)
        if code is not None and not code.co_flags & CO_COROUTINE:
            return func
        return super().ensure_sync(func)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults, then the environment, then the caller's dict (tests)."""
    app = RefundApp(__name__, instance_path=str(INSTANCE), instance_relative_config=False)
    app.config.from_object(Defaults)
    from_environment(app)
    if config:
        app.config.from_mapping(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if hops := int(app.config["PROXY_FIX_HOPS"]):
        # Behind HTTPS-terminating proxies: believe their X-Forwarded-* so that url_for and cookies see https.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from portal import assets, errors, i18n, inputs, ops, pagecache, security, shell
    from portal.accounts import throttle
    from portal.embed import setup as embed
    from portal.evidence import stores
    from portal.extensions import compress, csrf, db, login_manager, migrate

    db.init_app(app)
    pagecache.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    throttle.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    embed.init_app(app)  # after csrf: its origin check reads Flask-WTF's verdict
    errors.init_app(app)
    stores.init_app(app)
    ops.init_app(app)
    shell.init_app(app)
    assets.init_app(app)
    compress.init_app(app)
    # After ops, so that a refused request still gets its request id.
    inputs.init_app(app, lambda message: errors.render_error(400, message))
    _register_template_helpers(app)
    _import_models()
    _wire_outbox(app)
    _subscribe_to_case_events()
    _register_blueprints(app)
    _register_commands(app)
    _refuse_development_values(app)
    check_gateway_settings(app.config)
    check_sms_settings(app.config)
    return app


def _refuse_development_values(app: Flask) -> None:
    """In production (see portal.config.is_production), stop before serving anything with a public secret."""
    app.config["PRODUCTION"] = settings.is_production(app.config)  # the SMS and gateway checks read it
    if not app.config["PRODUCTION"]:
        return
    problems = settings.production_problems(app.config)
    if problems:
        raise settings.UnsafeSettings("Refusing to start in production: " + "; ".join(problems))


def _register_template_helpers(app: Flask) -> None:
    from portal.cases.deadlines import PROMISED_HOURS, PROMISED_WORKING_DAYS
    from portal.money import format_fen
    from portal.policy.labels import reason_message

    # The policy engine answers with reason codes; pages say them in the reader's language.
    app.jinja_env.globals.update(money=format_fen, format_fen=format_fen, reason_message=reason_message)
    # "within %(hours)s hours", "within %(num)s working days": the lengths are the deadlines module's.
    app.jinja_env.globals.update(promised_hours=PROMISED_HOURS, promised_working_days=PROMISED_WORKING_DAYS)
    # A naive UTC datetime as a valid <time datetime> (whole seconds; HTML allows at most 3 fraction digits).
    app.jinja_env.filters["iso_utc"] = lambda value: value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _import_models() -> None:
    """Every model module, so that metadata (and Alembic) sees every table."""
    import portal.accounts.models
    import portal.cases.models
    import portal.evidence.models
    import portal.notifications.models
    import portal.orders.models
    import portal.outbox
    import portal.payouts.models
    import portal.policy.models
    import portal.support.models
    import portal.workdays.models  # noqa: F401


def _wire_outbox(app: Flask) -> None:
    """The outbox (below every feature) enqueues the worker's delivery job by reference, given here."""
    from portal import outbox
    from worker.jobs import deliver_outbox

    outbox.init_app(app, deliver_outbox)


def _subscribe_to_case_events() -> None:
    """Connect what the features do when a case moves (portal.cases.events; docs/architecture.md).

    Here rather than on import, so that every process built by create_app (web, worker, CLI, tests)
    has the same receivers and no module is imported for its side effects.
    """
    from portal.cases import autoreview
    from portal.notifications import case_events
    from portal.payouts import scheduling
    from portal.staff import appeals

    for subscribe in (autoreview.subscribe, appeals.subscribe, case_events.subscribe, scheduling.subscribe):
        subscribe()


def _register_blueprints(app: Flask) -> None:
    from portal.accounts.views import bp as accounts_bp
    from portal.cases.views import bp as cases_bp
    from portal.dev.views import bp as dev_bp
    from portal.evidence.views import bp as evidence_bp
    from portal.myorders.views import bp as orders_bp
    from portal.notifications.staff_views import bp as staff_notifications_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.ops.views import bp as ops_bp
    from portal.payouts.views import bp as payouts_bp
    from portal.policyeditor.views import bp as policyeditor_bp
    from portal.refunds.views import bp as refunds_bp
    from portal.staff.views import bp as staff_bp
    from portal.support.views import bp as support_bp
    from portal.workdays.views import bp as workdays_bp

    for blueprint in (
        accounts_bp,
        orders_bp,
        refunds_bp,
        evidence_bp,
        cases_bp,
        notifications_bp,
        staff_bp,
        staff_notifications_bp,
        policyeditor_bp,
        payouts_bp,
        ops_bp,
        workdays_bp,
        support_bp,
    ):
        app.register_blueprint(blueprint)
    if app.config["DEV_PAGES"]:
        app.register_blueprint(dev_bp)


def _register_commands(app: Flask) -> None:
    from portal.accounts.commands import app_link_command
    from portal.cases.commands import audit_cli
    from portal.demo.commands import demo_data_command
    from portal.evidence.commands import evidence_cli
    from portal.payouts.commands import payouts_cli
    from portal.refunds.commands import delivery_cli
    from portal.support import commands as _support_commands  # noqa: F401  (adds audit verify-dossier)

    app.cli.add_command(demo_data_command)
    app.cli.add_command(app_link_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(evidence_cli)
    app.cli.add_command(payouts_cli)
    app.cli.add_command(delivery_cli)
