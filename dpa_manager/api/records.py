"""/api/v1 calls that bring the processor's own records in: create and update clients, invite their users, draft
agreements and send them for signature. Routes of api.bp, with the same tokens and errors as views.py."""

from __future__ import annotations

from datetime import date

from flask import g, jsonify

from .. import clock
from ..accounts.models import User
from ..accounts.services import invite
from ..agreements import services as agreements
from ..agreements.document import TRANSLATED_PARTICULARS, reference
from ..agreements.models import Agreement
from ..clients import services as client_services
from ..clients.models import Client
from ..errors import Invalid
from ..extensions import db
from ..localized import nested_translations
from ..processor.models import Service
from ..rules import AgreementState
from ..web import FIRST_DAY, LAST_DAY
from . import bp
from .views import ApiError, _iso, authenticated, body, client_json, manager_only


def _client(client_id: int) -> Client:
    client = db.session.get(Client, client_id)
    if client is None:
        raise ApiError(404, "Niet gevonden.")
    return client


@bp.post("/clients")
@authenticated
@manager_only
def create_client():
    data = body("/clients", "post")
    client = client_services.create_client(data, actor=g.api_user, now=clock.now())
    return jsonify(client_json(client)), 201


@bp.patch("/clients/<id:client_id>")
@authenticated
@manager_only
def update_client(client_id: int):
    """Change the fields given; the others keep their values."""
    client = _client(client_id)
    data = body("/clients/{client_id}", "patch")
    current = {k: getattr(client, k) for k in client_services.CLIENT_FIELDS}
    current["enterprise_number"] = client.enterprise_number_display
    client_services.update_client(client, current | data, actor=g.api_user, now=clock.now())
    return jsonify(client_json(client))


def user_json(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "client_id": user.client_id,
        "active": user.active,
        "client_admin": user.client_admin,
        "may_sign": user.may_sign,
        "gets_notices": user.gets_notices,
        "last_login_at": _iso(user.last_login_at),
    }


@bp.post("/clients/<id:client_id>/users")
@authenticated
@manager_only
def invite_user(client_id: int):
    """Create a user of the client and e-mail an invitation to set a password."""
    client = _client(client_id)
    data = body("/clients/{client_id}/users", "post")
    user = invite(
        client,
        email=data.get("email", ""),
        full_name=data.get("full_name", ""),
        may_sign=data.get("may_sign", True),
        gets_notices=data.get("gets_notices", True),
        client_admin=data.get("client_admin"),
        actor=g.api_user,
        now=clock.now(),
    )
    return jsonify(user_json(user)), 201


def agreement_json(agreement: Agreement) -> dict:
    return {
        "id": agreement.id,
        "reference": reference(agreement.id),
        "client_id": agreement.client_id,
        "state": agreement.state,
        "terms_version_id": agreement.terms_version_id,
        "concluded_by": agreement.concluded_by,
        "signed_on": _iso(agreement.signed_on),
        "starts_on": _iso(agreement.starts_on),
        "ends_on": _iso(agreement.ends_on),
        "services": sorted(s.code for s in agreement.services),
        "sent_at": _iso(agreement.sent_at),
        "client_signed_at": _iso(agreement.client_signed_at),
        "processor_signed_at": _iso(agreement.processor_signed_at),
        "signed_sha256": agreement.signed_sha256,
    }


def _day(data: dict, key: str) -> date | None:
    raw = data.get(key)
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = date.max
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Invalid(f"{key} is een datum JJJJ-MM-DD van {FIRST_DAY} tot {LAST_DAY}.", key)
    return day


def _service_ids(codes: list[str]) -> list[int]:
    found = dict(db.session.execute(db.select(Service.code, Service.id).where(Service.code.in_(codes))).all())
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise Invalid(f"Onbekende dienst: {', '.join(unknown)}.", "services")
    return [found[code] for code in codes]


@bp.post("/agreements")
@authenticated
@manager_only
def create_agreement():
    """Draft an agreement for a client: the fields not given take the new-agreement form's defaults."""
    data = body("/agreements", "post")
    client = db.session.get(Client, data["client_id"]) if "client_id" in data else None
    if client is None:
        raise Invalid("Er is geen klant met dit client_id.", "client_id")
    now = clock.now()
    values = agreements.draft_defaults(clock.today_in_brussels(now)) | {
        "data_types": [],
        "data_subjects": [],
        "special_categories": False,
    }
    values |= {k: v for k, v in data.items() if k in agreements.PARTICULARS and k != "translations"}
    values["starts_on"] = _day(data, "starts_on") or values["starts_on"]
    values["ends_on"] = _day(data, "ends_on")
    try:
        values["translations"] = nested_translations(data.get("translations"), TRANSLATED_PARTICULARS)
    except ValueError:
        raise Invalid(
            'translations is {"fr": {"subject_matter": ..., ...}, "en": {...}} met de vertaalbare velden.',
            "translations",
        ) from None
    service_ids = _service_ids(data.get("services") or [])
    agreement = agreements.create_draft(client, values, service_ids, actor=g.api_user, now=now)
    return jsonify(agreement_json(agreement)), 201


def _agreement(agreement_id: int) -> Agreement:
    agreement = agreements.get_agreement(g.api_user, agreement_id)
    if agreement is None or (not g.api_user.is_manager and agreement.state == AgreementState.DRAFT):
        # a client sees an agreement once it is sent, as in the portal
        raise ApiError(404, "Niet gevonden.")
    return agreement


@bp.get("/agreements/<id:agreement_id>")
@authenticated
def get_agreement(agreement_id: int):
    return jsonify(agreement_json(_agreement(agreement_id)))


@bp.post("/agreements/<id:agreement_id>/send")
@authenticated
@manager_only
def send_agreement(agreement_id: int):
    """Freeze the draft and send it to the client's signers, who are e-mailed."""
    agreement = _agreement(agreement_id)
    agreements.send(agreement, actor=g.api_user, now=clock.now())
    return jsonify(agreement_json(agreement))
