"""Language choice: ?lang= and the switch, then the signed-in person's setting, then Accept-Language."""

from functools import cache, lru_cache
from typing import Any

from babel import support
from flask import Flask, current_app, g, request, session
from flask_babel import Domain, format_date, format_datetime, get_locale, get_timezone
from flask_babel.speaklater import LazyString
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from wtforms.i18n import messages_path

from portal.extensions import babel


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our locale selector and remember a language chosen by ?lang=."""
    translations = str(app.root_path + "/../translations")
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=translations)
    # Flask-Babel finds the catalogue anew for every string, through a chain of context lookups (a page says
    # ~100, lazy labels included); ours finds it once per request and language. Its template callables go
    # through the same chain: ours go straight to the catalogue.
    babel.domain_instance = CATALOGUES
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )

    # Babel formats a date in ~40 µs; a list formats one per row, and the same rows again on every visit.
    app.jinja_env.filters.update(
        datetimeformat=_remembered(format_datetime), dateformat=_remembered(format_date)
    )

    @app.before_request
    def remember_requested_language() -> None:
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"] and session.get("lang") != lang:
            session["lang"] = lang  # only on a change: an unchanged session is not sent again

    @app.before_request
    def form_messages_once_per_language() -> None:
        # Flask-WTF would read WTForms' catalogue from disk for every request that builds a form.
        request.wtforms_translations = FORM_MESSAGES

    @app.context_processor
    def language_context() -> dict:
        return {"current_locale": current_locale_code(), "languages": app.config["LANGUAGES"]}


def select_locale() -> str:
    """The language of this request."""
    languages = current_app.config["LANGUAGES"]
    if getattr(g, "forced_locale", None) in languages:
        return g.forced_locale
    lang = request.args.get("lang") or session.get("lang")
    if lang in languages:
        return lang
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best and best.startswith("zh"):
        return "zh_CN"
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def page_locale(requested: str | None, customer_locale: str | None, accept: str, config: Any) -> str:
    """'zh_CN' or 'en' as select_locale picks, from plain values (no request, no loaded user): asked for,
    the customer's, the browser's. For the layers that answer before the app (polls) or without a user."""
    languages = config["LANGUAGES"]
    lang = requested if requested in languages else customer_locale
    if lang not in languages:
        best = parse_accept_header(accept, LanguageAccept).best_match(["zh_CN", "zh", "en"])
        lang = "zh_CN" if best and best.startswith("zh") else (best or config["BABEL_DEFAULT_LOCALE"])
    return "zh_CN" if lang.startswith("zh") else "en"


def current_locale_code() -> str:
    """'zh_CN' or 'en' (Babel spells the Chinese locale zh_Hans_CN)."""
    locale = get_locale()
    return "zh_CN" if locale is not None and locale.language == "zh" else "en"


class _Catalogues(Domain):
    """Flask-Babel's message domain, remembering the request's catalogue for its language (force_locale
    still switches: what is remembered is checked against the language in force)."""

    def get_translations(self) -> support.NullTranslations:
        try:
            request_globals = vars(g._get_current_object())  # one context lookup, not three
        except RuntimeError:
            return super().get_translations()  # outside an app context: no translation
        locale = getattr(request_globals.get("_flask_babel"), "babel_locale", None)
        if locale is None:
            return super().get_translations()  # the language is not chosen yet: Flask-Babel chooses it
        found = request_globals.get("_catalogue")
        if found is None or found[0] is not locale:
            found = request_globals["_catalogue"] = (locale, super().get_translations())
        return found[1]


CATALOGUES = _Catalogues()
_catalogue = CATALOGUES.get_translations


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's lazy_gettext, translated straight from the request's catalogue when used (Flask-Babel's
    own asks for its domain through three context lookups first: ~3 µs a label, and a list shows dozens)."""
    return LazyString(CATALOGUES.gettext, string, **variables)


def _remembered(formatter):
    """A Flask-Babel date filter that remembers what it wrote, per value, format, language and time zone."""
    remembered = lru_cache(maxsize=4096)(lambda value, format, locale, tz: formatter(value, format))

    def format_value(value=None, format=None):
        if value is None:  # "now": never the same twice
            return formatter(value, format)
        return remembered(value, format, get_locale(), get_timezone())

    return format_value


@cache
def _form_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _FormMessages:
    """WTForms' own messages ("Not a valid choice") in the request's language; each catalogue read once."""

    def ugettext(self, string: str) -> str:
        return _form_catalogue(str(get_locale())).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _form_catalogue(str(get_locale())).ungettext(singular, plural, n)


FORM_MESSAGES = _FormMessages()
