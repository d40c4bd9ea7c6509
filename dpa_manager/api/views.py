"""/api/v1: bearer tokens, JSON in and out, errors as {"error": "..."}."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, date, datetime
from functools import wraps

from flask import current_app, g, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from .. import clock
from ..accounts.factors import needs_second_factor
from ..accounts.services import user_for_token
from ..changes import services as changes
from ..clients import services as client_services
from ..clients.models import Client
from ..errors import Conflict, Invalid, ServiceError, Unavailable
from ..extensions import csrf, db
from ..localized import nested_translations
from ..notices import services as notices
from ..notices.models import Notice
from ..rules import NoticeState, SubProcessorStatus, format_enterprise_number
from ..scoping import get_for
from ..subprocessors import services as register
from ..subprocessors.models import Change, SubProcessor
from ..text import strip_bidi_everywhere
from ..web import FIRST_DAY, LAST_DAY, MAX_ID, plain_digits
from . import bp
from .checks import problem, request_schema
from .openapi import DOCUMENT

csrf.exempt(bp)


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return jsonify(error=error.message), error.status


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError):
    status = 409 if isinstance(error, Conflict) else 503 if isinstance(error, Unavailable) else 422
    body = {"error": error.message}
    if error.field:
        body["field"] = error.field
    return jsonify(body), status


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    messages = {
        400: "Ongeldig verzoek.",
        404: "Niet gevonden.",
        405: "Methode niet toegestaan.",
        413: "Verzoek te groot.",
    }
    response = jsonify(error=messages.get(error.code or 0) or error.description)
    response.status_code = error.code or 500
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value  # Allow on a 405
    return response


def authenticated(view):
    """Resolve the bearer token to its user, or answer 401."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = user_for_token(token.strip(), now=clock.now()) if scheme.lower() == "bearer" else None
        if user is None:
            return jsonify(error="Geen of ongeldig token."), 401, {"WWW-Authenticate": 'Bearer realm="dpa_manager"'}
        if needs_second_factor(user, current_app.config):
            raise ApiError(
                403, "De manager van dit token heeft nog geen tweede factor; stel die eerst in (Mijn account)."
            )
        g.api_user = user
        return view(*args, **kwargs)

    wrapped.access = getattr(view, "access", "api-user")
    return wrapped


def manager_only(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.api_user.is_manager:
            raise ApiError(403, "Alleen voor managers van de verwerker.")
        return view(*args, **kwargs)

    wrapped.access = "api-manager"
    return wrapped


def client_only(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.api_user.is_manager:
            raise ApiError(403, "Alleen een gebruiker van de klant kan op een melding antwoorden.")
        return view(*args, **kwargs)

    wrapped.access = "api-client"
    return wrapped


def body(path: str, method: str = "post") -> dict:
    """The JSON object of the request, its fields of the types the document gives for `method` on `path`."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # refuse_bad_text answers first; this keeps the view safe without it
        raise ApiError(400, "De body is geen geldige JSON.") from None
    if data is None and request.get_data():
        raise ApiError(400, "De body is geen geldige JSON.")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ApiError(400, "De body is een JSON-object.")
    found = problem(data, request_schema(path, method))
    if found:
        field, why = found
        raise Invalid(why, field.split(".")[0].split("[")[0])
    return strip_bidi_everywhere(data)


def _iso(value):
    return value.isoformat() if value is not None else None


def client_json(client: Client) -> dict:
    return {
        "id": client.id,
        "name": client.name,
        "enterprise_number": format_enterprise_number(client.enterprise_number),
        "language": client.language,
        "contact_email": client.contact_email,
        "address": client.address,
        "contact_name": client.contact_name,
        "contact_role": client.contact_role,
        "salutation": client.salutation,
        "salutation_name": client.salutation_name,
    }


def subprocessor_json(sp: SubProcessor) -> dict:
    return {
        "id": sp.id,
        "name": sp.name,
        "registration_number": sp.registration_number,
        "purpose": sp.purpose,
        "countries": list(sp.countries or []),
        "transfer_mechanism": sp.transfer_mechanism,
        "transfer_text": sp.transfer_text,
        "data_categories": list(sp.data_categories or []),
        "kind": sp.kind,
        "services": [s.code for s in sp.services],
        "website": sp.website,
        "status": sp.status,
        "address": sp.address,
        "contact": sp.contact,
        "translations": sp.translations or {},
        "activated_on": _iso(sp.activated_on),
        "retired_on": _iso(sp.retired_on),
    }


def change_json(change: Change) -> dict:
    return {
        "id": change.id,
        "kind": change.kind,
        "subprocessor_id": change.subprocessor_id,
        "replaces_id": change.replaces_id,
        "effective_on": change.effective_on.isoformat(),
        "reason": change.reason,
        "translations": change.translations or {},
        "state": change.state,
        "announced_at": _iso(change.announced_at),
    }


def notice_json(notice: Notice) -> dict:
    return {
        "id": notice.id,
        "client_id": notice.client_id,
        "change_id": notice.change_id,
        "agreement_id": notice.agreement_id,
        "state": notice.state,
        "needs_approval": notice.needs_approval,
        "notified_at": _iso(notice.notified_at),
        "delivered_at": _iso(notice.delivered_at),
        "first_opened_at": _iso(notice.first_opened_at),
        "closes_at": _iso(notice.closes_at),
        "stated_closes_at": _iso(notice.stated_closes_at),
        "window_days": notice.window_days,
        "window_unit": notice.window_unit,
        "decided_at": _iso(notice.decided_at),
        "answer_channel": notice.answer_channel,
        "answer_recorded_at": _iso(notice.answer_recorded_at),
        "objection_reason": notice.objection_reason,
        "resolution": notice.resolution,
        "applied_at": _iso(notice.applied_at),
    }


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if not plain_digits(raw) or len(raw) > 10 or int(raw) > MAX_ID:
        raise ApiError(400, f"{name} is een geheel getal van hoogstens {MAX_ID}.")
    return int(raw)


# --- Clients -------------------------------------------------------------------------------------------


@bp.get("/clients")
@authenticated
def clients():
    user = g.api_user
    limit = min(_int_arg("limit") or 100, 1000)
    offset = _int_arg("offset") or 0
    rows = client_services.list_clients(user, limit=limit + 1, offset=offset)
    following = url_for("api.clients", limit=limit, offset=offset + limit) if len(rows) > limit else None
    return jsonify(clients=[client_json(c) for c in rows[:limit]], next=following)


@bp.get("/clients/<id:client_id>/subprocessors")
@authenticated
def client_subprocessors(client_id: int):
    if get_for(g.api_user, Client, client_id) is None:
        raise ApiError(404, "Niet gevonden.")
    on = clock.today_in_brussels(clock.now())
    if request.args.get("on"):
        try:
            on = date.fromisoformat(request.args["on"])
        except ValueError:
            on = date.max  # refused below
        if not FIRST_DAY <= on <= LAST_DAY:
            raise ApiError(400, f"on is een datum JJJJ-MM-DD van {FIRST_DAY} tot {LAST_DAY}.")
    return jsonify(
        client_id=client_id,
        on=on.isoformat(),
        subprocessors=[subprocessor_json(sp) for sp in register.applying_on(client_id, on)],
    )


# --- The register and changes ---------------------------------------------------------------------------


@bp.get("/subprocessors")
@authenticated
def subprocessors():
    status = request.args.get("status") or None
    if status not in (None, *SubProcessorStatus):
        raise ApiError(400, "status is proposed, active of retired.")
    if not g.api_user.is_manager:
        status = SubProcessorStatus.ACTIVE
    return jsonify(subprocessors=[subprocessor_json(sp) for sp in register.list_register(status)])


@bp.post("/subprocessors")
@authenticated
@manager_only
def create_subprocessor():
    data = body("/subprocessors")
    services = data.get("services") or []
    if not isinstance(services, list):
        raise Invalid("services is een lijst van dienstcodes.", "services")
    try:
        translated = nested_translations(data.get("translations"), register.SUBPROCESSOR_TRANSLATED)
    except ValueError:
        raise Invalid(
            'translations is {"fr": {"purpose": ..., "transfer_text": ...}, "en": {...}}.', "translations"
        ) from None
    sp = register.create_subprocessor(
        {k: v for k, v in data.items() if k != "translations"} | translated, services, actor=g.api_user, now=clock.now()
    )
    return jsonify(subprocessor_json(sp)), 201


@bp.post("/changes")
@authenticated
@manager_only
def create_change():
    data = body("/changes")
    effective_on = data.get("effective_on")
    try:
        effective_on = date.fromisoformat(effective_on) if isinstance(effective_on, str) else None
    except ValueError:
        effective_on = None
    if effective_on is not None and not FIRST_DAY <= effective_on <= LAST_DAY:
        raise Invalid(f"effective_on is een datum van {FIRST_DAY} tot {LAST_DAY}.", "effective_on")
    for key in ("subprocessor_id", "replaces_id"):
        if data.get(key) is not None and (not isinstance(data[key], int) or isinstance(data[key], bool)):
            raise Invalid(f"{key} is een geheel getal.", key)
    try:
        translated = nested_translations(data.get("translations"), ("reason",))
    except ValueError:
        raise Invalid('translations is {"fr": {"reason": ...}, "en": {"reason": ...}}.', "translations") from None
    change = changes.create_change(
        kind=data.get("kind"),
        subprocessor_id=data.get("subprocessor_id"),
        replaces_id=data.get("replaces_id"),
        effective_on=effective_on,
        reason=data.get("reason"),
        translations=translated,
        actor=g.api_user,
        now=clock.now(),
    )
    return jsonify(change_json(change)), 201


def _change(change_id: int) -> Change:
    change = db.session.get(Change, change_id)
    if change is None:
        raise ApiError(404, "Niet gevonden.")
    return change


@bp.get("/changes/<id:change_id>")
@authenticated
@manager_only
def get_change(change_id: int):
    change = _change(change_id)
    return jsonify(change_json(change) | {"counts": notices.exact_counts_by_state(("change", change.id))})


@bp.post("/changes/<id:change_id>/announce")
@authenticated
@manager_only
def announce(change_id: int):
    change = _change(change_id)
    ids = changes.announce(change, actor=g.api_user, now=clock.now())
    rows = notices.notices_by_id(ids)
    return jsonify(
        notices=[
            {
                "id": n.id,
                "client_id": n.client_id,
                "state": n.state,
                "notified_at": _iso(n.notified_at),
                "closes_at": _iso(n.closes_at),
            }
            for n in rows
        ]
    )


# --- Notices ------------------------------------------------------------------------------------------------


@bp.get("/notices")
@authenticated
def list_notices():
    state = request.args.get("state") or None
    if state is not None and state not in {s.value for s in NoticeState}:
        raise ApiError(400, "Onbekende status.")
    limit = min(_int_arg("limit") or 100, 1000)
    filters = {"client_id": _int_arg("client_id"), "state": state, "change_id": _int_arg("change_id")}
    of = ("change", filters["change_id"]) if filters["change_id"] is not None else None
    rows = notices.list_notices(
        g.api_user,
        client_id=filters["client_id"],
        state=state,
        of=of,
        before_id=_int_arg("before"),
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    following = None
    if more:
        args = {k: v for k, v in filters.items() if v is not None}
        following = url_for("api.list_notices", **args, limit=limit, before=rows[-1].id)
    return jsonify(notices=[notice_json(n) for n in rows], next=following)


def _notice(notice_id: int) -> Notice:
    notice = notices.get_notice(g.api_user, notice_id)
    if notice is None:
        raise ApiError(404, "Niet gevonden.")
    return notice


@bp.get("/notices/<id:notice_id>")
@authenticated
def get_notice(notice_id: int):
    return jsonify(notice_json(_notice(notice_id)))


def _recorded_answer(notice: Notice, answer: str):
    """A manager records an objection or approval that the client sent by e-mail, letter or phone."""
    data = body(f"/notices/{{notice_id}}/{answer}")
    received = data.get("received_at")
    try:
        received_at = datetime.fromisoformat(received) if isinstance(received, str) else None
        received_at = received_at.astimezone(UTC) if received_at and received_at.tzinfo else None
    except (ValueError, OverflowError):
        received_at = None
    if received_at is None:
        raise Invalid(
            "Geef received_at als ISO 8601-tijdstip met tijdzone, bv. 2026-11-27T16:05:00+01:00.", "received_at"
        )
    reason = data.get("reason", "")
    if not isinstance(reason, str):
        raise Invalid("reason is tekst.", "reason")
    raw_proofs = data.get("proofs", [])
    if not isinstance(raw_proofs, list) or not all(
        isinstance(p, dict) and isinstance(p.get("filename"), str) and isinstance(p.get("content_base64"), str)
        for p in raw_proofs
    ):
        raise Invalid('proofs is een lijst van {"filename": ..., "content_base64": ...}.', "proof")
    proofs = []
    for item in raw_proofs:
        try:
            proofs.append(notices.Proof(item["filename"], base64.b64decode(item["content_base64"], validate=True)))
        except (binascii.Error, ValueError):
            raise Invalid(f"{item['filename']}: content_base64 is geen geldige base64.", "proof") from None
    channel = data.get("channel")
    notices.record_answer(
        notice,
        actor=g.api_user,
        answer=answer,
        channel=channel if isinstance(channel, str) else "",
        received_at=received_at,
        reason=reason,
        proofs=proofs,
        now=clock.now(),
    )
    return jsonify(notice_json(notice))


@bp.post("/notices/<id:notice_id>/objection")
@authenticated
def object_to(notice_id: int):
    """A client user objects; a manager records an objection the client sent by e-mail, letter or phone."""
    notice = _notice(notice_id)
    if g.api_user.is_manager:
        return _recorded_answer(notice, "objection")
    reason = body("/notices/{notice_id}/objection").get("reason")
    if not isinstance(reason, str):
        raise Invalid("Geef de reden van uw bezwaar.", "reason")
    notices.object_to(notice, user=g.api_user, reason=reason, now=clock.now())
    return jsonify(notice_json(notice))


@bp.post("/notices/<id:notice_id>/approval")
@authenticated
def approve(notice_id: int):
    """A client user approves; a manager records an approval the client sent by e-mail, letter or phone."""
    notice = _notice(notice_id)
    if g.api_user.is_manager:
        return _recorded_answer(notice, "approval")
    notices.approve(notice, user=g.api_user, now=clock.now())
    return jsonify(notice_json(notice))


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""

    return jsonify(DOCUMENT)


openapi.access = "api-public"  # type: ignore[attr-defined]  # read by the API's access check
