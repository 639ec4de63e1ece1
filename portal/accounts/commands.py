"""`flask app-link`: a signed hand-off URL, as the marketplace APP would open it."""

import time

import click
from flask import current_app, url_for
from flask.cli import with_appcontext

from portal.accounts.handoff import make_token
from portal.accounts.phones import InvalidPhone, normalise_phone


@click.command("app-link")
@click.argument("phone")
@click.option("--lang", type=click.Choice(["zh_CN", "en"]), default=None, help="The APP's language.")
@click.option("--next", "next_path", default=None, help="A path on this site to land on, e.g. /orders.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@with_appcontext
def app_link_command(phone: str, lang: str | None, next_path: str | None, base_url: str) -> None:
    """Print a sign-in URL for PHONE that works once, within 60 seconds."""
    try:
        e164 = normalise_phone(phone)
    except InvalidPhone as exc:
        raise click.BadParameter("not a valid mobile number", param_hint="PHONE") from exc
    token = make_token(
        current_app.config["APP_LINK_SECRET"],
        e164,
        int(time.time()),
        lang=lang,
        next_path=next_path,
        ttl=current_app.config["APP_LINK_MAX_AGE"],
    )
    with current_app.test_request_context(base_url=base_url):
        click.echo(url_for("accounts.app_enter", token=token, _external=True))
