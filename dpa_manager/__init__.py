"""dpa_manager: processing agreements and sub-processor notices for a GDPR processor."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from . import config as config_module
from . import extensions

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
#: Run from a checkout (templates/, static/, migrations/ and instance/ beside the package), or installed from
#: the wheel (templates, static and migrations inside the package; the instance folder where Flask puts it).
CHECKOUT = (ROOT / "pyproject.toml").is_file() and (ROOT / "templates").is_dir()


def resource(name: str) -> str:
    """Return the folder of the templates, static files or migrations, in a checkout or an installed package."""
    return str(ROOT / name if CHECKOUT else PACKAGE / name)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then the environment, then `config`."""
    default_instance = str(ROOT / "instance") if CHECKOUT else None  # None: Flask's <prefix>/var/dpa_manager-instance
    app = Flask(
        __name__,
        instance_path=os.environ.get("DPA_INSTANCE_PATH", default_instance),
        instance_relative_config=True,
        template_folder=resource("templates"),
        static_folder=resource("static"),
    )
    app.config.from_object(config_module.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(config_module.from_environment())
    app.config.update(config or {})
    # The parts of the app are imported as the factory wires them in: `import dpa_manager` stays light (the
    # command line, the wheel's scripts), and every package may import this module's `resource` and `CHECKOUT`.
    from . import security

    security.check_production(app)
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.permanent_session_lifetime = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from . import seal

    seal.configure(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'dpa_manager.sqlite'}"

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # psycopg prepares a statement on the server from its fifth run; PostgreSQL may then plan it once
        # for any parameters, and for the sweep's batch statements that generic plan is several times
        # slower. Each statement is planned for its own parameters instead.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"prepare_threshold": None} | dict(options.get("connect_args") or {})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    _import_models()
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=resource("migrations"), render_as_batch=True)
    extensions.mail.init_app(app)
    from .web import allow_proof_uploads

    app.before_request(allow_proof_uploads)  # before CSRF and the other hooks read the body
    extensions.csrf.init_app(app)
    login_manager = extensions.login_manager
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Meld u aan om deze pagina te zien.")
    login_manager.localize_callback = str  # flash the text in the language in force, not the lazy string
    login_manager.login_message_category = "info"

    security.configure(app)
    from . import i18n

    i18n.init_app(app)
    from . import formatting

    formatting.register(app)
    from .audit_words import event_details

    app.jinja_env.globals["event_details"] = event_details  # the audit trail's words for what an event recorded
    from .web import (
        IdConverter,
        answer_refused_input_with_422,
        answer_repeat_views_with_304,
        end_transaction,
        keep_private_answers_out_of_caches,
        keep_session_as_it_came,
    )

    app.url_map.converters["id"] = IdConverter
    app.before_request(keep_session_as_it_came)
    app.after_request(answer_refused_input_with_422)
    app.after_request(answer_repeat_views_with_304)
    app.after_request(keep_private_answers_out_of_caches)  # runs before the one above: no tag for a private page
    app.after_request(end_transaction)  # runs first of these: the response is final only once committed
    from . import dashboard as _dashboard  # noqa: F401  (its route joins notices.bp likewise)
    from .accounts import invites as _invites  # noqa: F401  (its routes join clients.bp likewise)
    from .accounts import users as _users  # noqa: F401  (its routes join accounts.bp likewise)
    from .accounts import views as accounts
    from .accounts.factor_views import require_second_factor
    from .agreements import import_pages as _agreement_imports  # noqa: F401  (its routes join agreements.bp)
    from .agreements import views as agreements
    from .amendments import views as _amendments  # noqa: F401  (its routes join terms.bp before it is registered)
    from .api import records as _records  # noqa: F401  (its routes join api.bp likewise)
    from .api import views as api
    from .changes import register_import as _register_import  # noqa: F401  (likewise)
    from .changes import views as _changes  # noqa: F401  (its routes join subprocessors.bp likewise)
    from .clients import views as clients
    from .feeds import views as feeds
    from .notices import views as notices
    from .portal import colleagues as _colleagues  # noqa: F401  (its routes join portal.bp likewise)
    from .portal import views as portal
    from .processor import views as processor
    from .subprocessors import views as subprocessors
    from .terms import views as terms
    from .trail import views as trail

    for views in (accounts, clients, agreements, portal, processor, terms, subprocessors, notices, api, trail, feeds):
        app.register_blueprint(views.bp)
    app.before_request(require_second_factor)
    from . import health

    app.register_blueprint(health.bp)
    _register_subjects_and_messages()

    from .cli import dpa

    app.cli.add_command(dpa)
    _register_error_pages(app)
    return app


def _register_subjects_and_messages() -> None:
    """Tell the notices package what a notice may be about, and the mail package who composes each e-mail."""
    from .accounts import messages as account_messages
    from .agreements import messages as agreement_messages
    from .amendments.subject import AmendmentSubject
    from .changes.subject import ChangeSubject
    from .notices import messages as notice_messages
    from .notices.subjects import register
    from .subprocessors import messages as register_messages

    register(ChangeSubject())
    register(AmendmentSubject())
    notice_messages.register()  # after the subjects: each subject's notice e-mail is composed here
    account_messages.register()
    agreement_messages.register()
    register_messages.register()


def _page_above(app: Flask, path: str) -> str | None:
    """The nearest page above `path` that answers a GET (/portal/notices/7 above /portal/notices/7/objection): where
    a form that posts to `path` is shown. Reloading the answer to a refused form asks `path` with a GET, which
    only takes a POST."""
    from werkzeug.exceptions import HTTPException  # as _register_error_pages, which calls this

    adapter = app.url_map.bind("localhost")
    parts = path.rstrip("/").split("/")
    while len(parts) > 2:  # never the start page: /logout takes a POST and leads nowhere else
        parts.pop()
        candidate = "/".join(parts)
        for attempt in (candidate, candidate + "/"):
            try:
                adapter.match(attempt, method="GET")
            except HTTPException:
                continue
            return attempt
    return None


def _import_models() -> None:
    """Import every model module so that the metadata is complete (for Alembic, too)."""
    from . import anchors, audit, links, spreadsheets  # noqa: F401
    from .accounts import models as _a  # noqa: F401
    from .agreements import models as _g  # noqa: F401
    from .amendments import models as _am  # noqa: F401
    from .clients import models as _c  # noqa: F401
    from .mail import models as _m  # noqa: F401
    from .notices import models as _n  # noqa: F401
    from .processor import models as _p  # noqa: F401
    from .subprocessors import models as _s  # noqa: F401
    from .subprocessors import subscribers as _sub  # noqa: F401
    from .terms import models as _t  # noqa: F401


ERROR_TEXTS = {
    400: (
        _l("Ongeldig verzoek"),
        _l("Het verzoek kon niet verwerkt worden. Laad de pagina opnieuw en probeer het nog eens."),
    ),
    403: (_l("Geen toegang"), _l("U hebt geen toegang tot deze pagina.")),
    404: (_l("Niet gevonden"), _l("Deze pagina bestaat niet, of u hebt er geen toegang toe.")),
    405: (_l("Niet toegestaan"), _l("Deze actie kan niet op deze manier uitgevoerd worden.")),
    413: (_l("Te groot"), _l("Wat u verstuurde is te groot.")),
    429: (
        _l("Te veel pogingen"),
        _l("U probeerde het te vaak na elkaar. Wacht een minuut en probeer het dan opnieuw."),
    ),
    500: (
        _l("Er ging iets mis"),
        _l("Er liep iets fout aan onze kant. Er werd niets gewijzigd; probeer het later opnieuw."),
    ),
    503: (
        _l("Even niet bereikbaar"),
        _l(
            "De database is even niet bereikbaar. Er werd niets gewijzigd; probeer het over enkele ogenblikken opnieuw."
        ),
    ),
}


def _seconds_to_wait() -> int | None:
    """How long until the rate limit this request broke lets it through again, or None when unknown."""
    import time  # the limiter counts on the system clock, and so does this

    from .security import limiter

    current = limiter.current_limit
    return max(1, int(current.reset_at - time.time())) if current is not None else None


def _register_error_pages(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError
    from sqlalchemy.exc import InterfaceError, OperationalError
    from werkzeug.exceptions import HTTPException

    from .extensions import login_manager
    from .web import Refused

    def texts(code: int, text: str | None) -> tuple[str, str]:
        """Return the page's title and text in the language in force (choosing it may ask who is logged in)."""
        title, default = ERROR_TEXTS[code]
        try:
            return str(title), str(text or default)
        except Exception:  # the user could not be read (e.g. no database): choose without them
            g._login_user = login_manager.anonymous_user()
            return str(title), str(text or default)

    def page(code: int, text: str | None = None, bare: bool = False):
        if bare:  # no database: choose the language without asking it who is logged in
            g._login_user = login_manager.anonymous_user()
        if request.path.startswith("/api/"):
            return jsonify(error=texts(code, text)[1]), code
        if not bare:
            try:
                title, body = texts(code, text)
                return render_template("error.html", code=code, title=title, text=body), code
            except Exception:  # the page itself failed (e.g. no database): fall back to one that needs nothing
                app.logger.exception("error page %s could not be rendered", code)
        g._login_user = login_manager.anonymous_user()  # render without asking the database who is logged in
        title, body = texts(code, text)
        return render_template("error_bare.html", code=code, title=title, text=body), code

    def http_error(error, code: int):
        """The page of an HTTP error, with the reason a refusal gives (web.Refused) and the headers the error
        carries (Allow on a 405, Retry-After on a 429)."""
        if code == 405 and request.method == "GET" and not request.path.startswith("/api/"):
            page_of_form = _page_above(app, request.path)
            if page_of_form is not None:  # reloaded after a refused form: the page the form is on
                return redirect(page_of_form, 303)
        text = error.description if isinstance(error, Refused) else None
        wait = _seconds_to_wait() if code == 429 else None
        if wait is not None:
            minutes = -(-wait // 60)
            text = ngettext(
                "U probeerde het te vaak na elkaar. Probeer het over %(num)s minuut opnieuw.",
                "U probeerde het te vaak na elkaar. Probeer het over %(num)s minuten opnieuw.",
                minutes,
            )
        response = app.make_response(page(code, text))
        if wait is not None:
            response.headers["Retry-After"] = str(wait)
        if isinstance(error, HTTPException):
            for name, value in error.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
        return response

    for code in ERROR_TEXTS:
        app.register_error_handler(code, lambda e, code=code: http_error(e, code))

    def database_down(error):
        app.logger.error("database unavailable: %s", error)
        return page(503, bare=True)  # a page that needs no database (no user menu)

    app.register_error_handler(OperationalError, database_down)
    app.register_error_handler(InterfaceError, database_down)
    app.register_error_handler(
        CSRFError,
        lambda e: page(
            400, _("Het formulier is verlopen of ongeldig (CSRF). Laad de pagina opnieuw en probeer het nog eens.")
        ),
    )
