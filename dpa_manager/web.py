"""Small helpers the HTML views share: role checks, forms and service errors."""

import hashlib
import re
from datetime import date
from decimal import Decimal
from functools import wraps

from babel.numbers import format_decimal
from flask import abort, current_app, flash, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter, ValidationError
from wtforms import BooleanField, DateField, DecimalField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .errors import ServiceError
from .extensions import db
from .i18n import current
from .paging import MAX_PAGE
from .text import BIDI_CONTROLS, strip_bidi


class BaseForm(FlaskForm):
    """A form with CSRF and WTForms' built-in messages in the interface language; a refused submission answers 422."""

    class Meta:
        @property
        def locales(self):

            return [current()]

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        """Read the form, and take the bidirectional controls out of every text in it (text.BIDI_CONTROLS)."""
        super().process(formdata, obj, data, extra_filters, **kwargs)
        for field in self:
            if isinstance(field.data, str) and BIDI_CONTROLS.search(field.data):
                field.data = strip_bidi(field.data)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not valid:
            mark_refused()
        return valid


class ImportForm(BaseForm):
    """Upload a CSV or Excel file to import from."""

    file = FileField(
        _l("Bestand (.csv of .xlsx)"),
        validators=[FileRequired(_l("Kies een bestand."))],
        render_kw={"accept": ".csv,.xlsx"},
    )


def salutation_field(label):
    """The choice of how e-mails address a person (labels.SALUTATION_STYLES)."""
    from .labels import SALUTATION_STYLES  # the labels are only needed where a form is made

    return SelectField(label, choices=choices(SALUTATION_STYLES.items()), default="full_name")


def salutation_name_field():
    return StringField(
        _l("Naam in de aanspreking"),
        validators=[Length(max=100)],
        description=_l("De achternaam bij mevrouw of de heer (Janssens), de voornaam bij Beste (Els)."),
    )


class ZipImportForm(ImportForm):
    """Upload a ZIP file: a table and the files its rows name."""

    file = FileField(
        _l("ZIP-bestand (.zip)"),
        validators=[FileRequired(_l("Kies een bestand."))],
        render_kw={"accept": ".zip"},
    )


class ConfirmForm(BaseForm):
    """A POST form whose only field confirms an irreversible step."""

    confirm = BooleanField(_l("Ik bevestig"), validators=[DataRequired(_l("Vink aan om te bevestigen."))])


def choices(pairs) -> list[SelectChoice]:
    """Return (value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


# Every view says who may reach it (its `access`): "public", "user" (any logged-in user, objects
# scoped to their client), "manager" or "client"; the API adds "api-user", "api-manager" and
# "api-client". A test walks every route and checks each one against its mark.


def public(view):
    """Mark a view that needs no login."""
    view.access = "public"
    return view


def user_required(view):
    """Let any logged-in user through; what they see is scoped to them."""
    wrapped = login_required(view)
    wrapped.access = "user"
    return wrapped


def manager_required(view):
    """Let only the processor's managers through; others get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_manager:
            abort(403)
        return view(*args, **kwargs)

    wrapped.access = "manager"
    return wrapped


def client_required(view):
    """Let only client users through; managers get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.is_manager:
            abort(403)
        return view(*args, **kwargs)

    wrapped.access = "client"
    return wrapped


def mark_refused() -> None:
    """Note that this request's input was refused: a page shown again answers 422, and nothing is committed.

    Kept with the request, not in `g`: a test's requests share one app context, and so one `g`.
    """
    request.environ["dpa_manager.refused"] = True


def was_refused() -> bool:
    return bool(request.environ.get("dpa_manager.refused"))


def show_error(error: ServiceError, form=None) -> None:
    """Undo what the refused service did, and put its message beside its field, or flash it when it belongs to no
    field. The page shown next reads the database as it was; the request ends without committing."""
    db.session.rollback()
    mark_refused()
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        flash(str(error.message), "error")


def signed_from() -> dict:
    """How the user of this request signed in and where the request came from, recorded with a signature: the
    sign-in method, the client's IP address (behind PROXY_HOPS proxies, as they forwarded it) and the browser's
    User-Agent."""
    return {
        "method": session.get("signed_in_with", "password"),
        "ip": request.remote_addr or "",
        "browser": " ".join((request.user_agent.string or "").split())[:300],
    }


def flash_form_errors(form) -> None:
    """Flash every message of a refused form (for forms that redirect instead of showing again)."""
    for errors in form.errors.values():
        for message in errors:
            flash(str(message), "error")  # a validator's message may be a lazy string


class Refused(BadRequest):
    """A 400 whose description says, in the user's language, what was wrong; the error page shows it."""


#: The days a date given in a form or a parameter may fall on: windows, time zones and "the day after" need room
#: on both sides (there is no day after 9999-12-31), and no agreement or notice falls outside.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
DAY_MESSAGE = _l("Geef een datum tussen 1900 en 2999, als JJJJ-MM-DD.")
#: The largest amount a form takes, in euro (amounts are kept in cents, in a 32-bit column).
MAX_AMOUNT = Decimal(20_000_000)


def plain_digits(text) -> bool:
    """Tell whether a text is one or more of the digits 0-9 (str.isdigit also takes "³" and "①", int() not)."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


def day_arg(name: str) -> date | None:
    """Return the ?name= day, or None when it is absent or empty; answer 400, saying why, when it is not a day
    between FIRST_DAY and LAST_DAY as YYYY-MM-DD."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY or len(raw) != 10:
        raise Refused(str(DAY_MESSAGE))
    return day


class DayField(DateField):
    """A date field that takes only days between FIRST_DAY and LAST_DAY."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not FIRST_DAY <= self.data <= LAST_DAY:
            self.data = None
            raise ValueError(str(DAY_MESSAGE))


def plain_amount(text: str) -> str:
    """An amount as typed ("€ 2.500,00", "2 500,00", "2,500.00", "2500") as Decimal reads it ("2500.00"). A
    separator followed by groups of three digits only is a thousands separator ("2.500" is 2500); of two
    different ones, the last is the decimal one."""
    text = re.sub(r"[\s'’€]", "", text or "")
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        return text.replace("." if decimal == "," else ",", "").replace(",", ".")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):
        return text.replace(".", "").replace(",", "")
    return text.replace(",", ".")


#: How each language writes an amount in a form.
AMOUNT_LOCALES = {"nl": "nl_BE", "fr": "fr_BE", "en": "en_GB"}


class AmountField(DecimalField):
    """An amount in euro with cents, shown as the user's language writes it (2.500,00 in Dutch) and read as any
    language writes it (see plain_amount). A value that is not a finite number from 0 to MAX_AMOUNT (Infinity,
    NaN, 1e30, a negative amount) is kept as no value, so that the field's NumberRange says what is allowed and
    the form shows the text again as it was typed."""

    #: A text field: a number field holds no "2.500,00" (the browser would send it empty).
    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs["render_kw"] = {"inputmode": "decimal", "autocomplete": "off"} | (kwargs.get("render_kw") or {})
        super().__init__(label, validators, places=2, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_decimal(self.data, format="#,##0.00", locale=AMOUNT_LOCALES.get(current(), "nl_BE"))

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [plain_amount(str(valuelist[0]))]
        super().process_formdata(valuelist)
        if self.data is not None and not (self.data.is_finite() and 0 <= self.data <= MAX_AMOUNT):
            self.data = None


def or_404(value):
    if value is None:
        abort(404)
    return value


#: The largest id a row can have; anything above is not found rather than an error.
MAX_ID = 2**31 - 1


class IdConverter(BaseConverter):
    """URL part for a row id: 1 to 10 digits and at most MAX_ID; anything else is a 404."""

    regex = r"\d{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def is_id(value) -> bool:
    """Tell whether a value from a request can be a row id."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def page_arg() -> int:
    """Return the ?page= number, between 1 and paging.MAX_PAGE."""
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def keep_private_answers_out_of_caches(response):
    """What a signed-in user or an API client is answered (pages, PDFs, JSON) is kept by no cache, not even the
    browser's: Cache-Control: no-store. Public pages and static files are left to answer_repeat_views_with_304."""
    if request.endpoint == "static":
        return response
    user = g.get("_login_user")  # the user as the request loaded it; none loaded: as the session says
    signed_in = user.is_authenticated if user is not None else "_user_id" in request.environ.get(SESSION_COPY, {})
    if request.path.startswith("/api/") or signed_in:
        response.headers["Cache-Control"] = "no-store"
    return response


def answer_repeat_views_with_304(response):
    """Tag a successful GET with a hash of its body (ETag) and answer 304 Not Modified when the browser holds it.

    The tag is of the body this request produced, so a page that changed, or that differs per session, has
    another: nothing stale is ever answered with 304, and "no-cache" makes the browser ask every time. Responses
    marked no-store (tokens, secret links, proofs) and files sent as they are get no tag.
    """
    if (
        request.method not in ("GET", "HEAD")
        or response.status_code != 200
        or response.direct_passthrough
        or response.is_streamed
        or "no-store" in response.headers.get("Cache-Control", "")
    ):
        return response
    if "ETag" not in response.headers:
        response.set_etag(_page_tag(response.get_data()))
    response.headers.setdefault("Cache-Control", "private, no-cache")
    return response.make_conditional(request)


def _page_tag(body: bytes) -> str:
    """Hash a page for its ETag. The CSRF token in a page is signed with the time of the request (to the
    second), so it is hashed as the session's own token instead: two views of an unchanged page in one session
    have the same tag, and any token in the page the browser keeps stays good (it lives as long as the
    session); another session's page has another tag."""
    signed = g.get("csrf_token")
    if signed:
        body = body.replace(signed.encode(), b"")
    own = session.get("csrf_token", "")
    return hashlib.sha256(body + b"\x00" + str(own).encode()).hexdigest()[:40]


#: Where keep_session_as_it_came keeps the session cookie as the request brought it.
SESSION_COPY = "dpa_manager.session"


def keep_session_as_it_came() -> None:
    """Remember the signed session cookie as the request brought it (see end_transaction); copied as a plain dict,
    so that the copy does not count as reading the session (which would add Vary: Cookie to every answer)."""
    request.environ[SESSION_COPY] = dict.copy(session._get_current_object())  # type: ignore[attr-defined]


def end_transaction(response):
    """End the request's transaction, the one place a request commits: when it succeeded (below 400, its input not
    refused), or else roll back. Services change the session and never commit (README, Development).

    Should the commit fail, nothing of the request stays: the database is rolled back, the signed session goes
    back to what the request brought (no log-in, no flashed message of a success), and the error page answers.
    """
    if response.status_code < 400 and not was_refused():
        try:
            db.session.commit()
        except Exception:
            _roll_back()
            session.clear()
            session.update(request.environ.get(SESSION_COPY, {}))
            raise
    else:
        _roll_back()
    return response


def _roll_back() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone (the database is down): the pool replaces it
        current_app.logger.warning("rollback at the end of a failed request failed", exc_info=True)


def answer_refused_input_with_422(response):
    """A POST whose input was refused and that shows the page again answers 422, not 200."""
    if request.method == "POST" and response.status_code == 200 and was_refused():
        response.status_code = 422
    return response


#: The endpoints that take uploaded proofs of an answer (notices.services.record_answer).
PROOF_ENDPOINTS = frozenset({"notices.record_answer_view", "api.object_to", "api.approve"})


def allow_proof_uploads() -> None:
    """Let a request that carries proofs be as large as PROOF_MAX_BYTES allows (base64 in JSON included), and an
    import file as large as IMPORT_MAX_BYTES (a ZIP of agreements: IMPORT_ZIP_MAX_BYTES)."""
    config = current_app.config
    if request.endpoint in PROOF_ENDPOINTS:
        request.max_content_length = config["MAX_CONTENT_LENGTH"] + config["PROOF_MAX_BYTES"] * 4 // 3 + 4096
    elif request.endpoint in ("clients.import_page", "subprocessors.import_page"):
        request.max_content_length = config["IMPORT_MAX_BYTES"] + 4096
    elif request.endpoint == "agreements.import_page":
        request.max_content_length = config["IMPORT_ZIP_MAX_BYTES"] + 4096
