"""Languages: the interface follows the user's choice, everything sent to a client follows the client's.

Dutch is the source language: the texts in the code and templates are Dutch, and the French and
English catalogues under dpa_manager/translations translate them.
"""

from __future__ import annotations

from pathlib import Path

from flask import has_request_context, render_template, request, session
from flask_babel import Babel, force_locale, get_locale  # noqa: F401  (re-exported for the services)
from markupsafe import Markup

from . import labels

#: The languages we write in, in the order the language menu shows them.
LANGUAGES = {"nl": "Nederlands", "fr": "Français", "en": "English"}
DEFAULT = "nl"

babel = Babel()


def normalise(code: str | None) -> str:
    """Return a supported language code for `code` ('fr-BE' → 'fr'), or the default."""
    code = (code or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT


def select_locale() -> str:
    """Return the interface language: the user's choice, else the session's, else the browser's, else Dutch."""
    if not has_request_context():
        return DEFAULT
    from flask_login import current_user

    user = current_user._get_current_object() if current_user else None
    if user is not None and getattr(user, "is_authenticated", False):
        if user.language:
            return normalise(user.language)
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return chosen
    if user is not None and getattr(user, "is_authenticated", False) and user.client is not None:
        return normalise(user.client.language)
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT


def current() -> str:
    """Return the language now in force (the request's, or one forced for a client)."""
    return str(get_locale() or DEFAULT)[:2]


def render_in(template: str, language: str | None, **context) -> Markup:
    """Render a partial in another language than the page's (an agreement in the client's language)."""
    with force_locale(normalise(language)):
        return Markup(render_template(template, **context))


def init_app(app) -> None:
    babel.init_app(
        app,
        default_locale=DEFAULT,
        default_timezone="Europe/Brussels",
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_language"] = current
    app.jinja_env.globals["render_in"] = render_in

    labels.register(app)
