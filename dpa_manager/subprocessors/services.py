"""The register of sub-processors, which of them apply to whom, and incidental interventions (the changes that
add, replace or end an entry and their notices: changes/services.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..catalogue import COUNTRIES, DATA_CATEGORIES, EEA, SUBPROCESSOR_KINDS, TRANSFER_MECHANISMS
from ..clock import today_in_brussels
from ..errors import Conflict, Invalid
from ..extensions import db
from ..localized import clean_translations
from ..paging import count_upto
from ..processor.models import Service
from ..rules import (
    ChangeState,
    SubProcessorStatus,
    incidental_error,
    name_error,
)
from .models import Assignment, Change, Intervention, SubProcessor, subprocessor_services

SUBPROCESSOR_FIELDS = (
    "name",
    "registration_number",
    "purpose",
    "countries",
    "transfer_mechanism",
    "transfer_text",
    "data_categories",
    "kind",
    "website",
    "address",
    "contact",
)
#: The free texts of an entry that a client reads, with optional French and English versions.
SUBPROCESSOR_TRANSLATED = ("purpose", "transfer_text")


# --- The register ------------------------------------------------------------------------------


#: The longest text each field of a register entry takes (the form tells the browser the same).
SUBPROCESSOR_LIMITS = {
    "name": 200,
    "registration_number": 60,
    "purpose": 2000,
    "transfer_text": 1000,
    "website": 300,
    "address": 500,
    "contact": 300,
}


def clean_subprocessor(values: dict) -> dict:
    """Return the values checked and tidied, or raise Invalid naming the field.

    The one check of a register entry: the form and the API both go through it, with the same messages.
    """
    v = {k: values.get(k) for k in SUBPROCESSOR_FIELDS}
    for key, limit in SUBPROCESSOR_LIMITS.items():
        text = v[key] if v[key] is not None else ""
        if not isinstance(text, str):
            raise Invalid(_("%(field)s is tekst.", field=key), key)
        v[key] = text = text.strip()
        if len(text) > limit:
            raise Invalid(_("Hoogstens %(num)s tekens.", num=limit), key)
    if not v["name"]:
        raise Invalid(_("Vul de naam van de subverwerker in."), "name")
    error = name_error(v["name"])
    if error:
        raise Invalid(_(error), "name")
    if not v["purpose"]:
        raise Invalid(_("Beschrijf welke dienst de subverwerker levert."), "purpose")
    if not v["address"] or len(v["address"]) > 500:
        raise Invalid(
            _("Vul het adres van de subverwerker in (hoogstens 500 tekens); bijlage IV vermeldt het."), "address"
        )
    error = (
        name_error(v["contact"])
        if v["contact"]
        else _("Vul een contact in (persoon of e-mailadres); bijlage IV vermeldt het.")
    )
    if error:
        raise Invalid(_(error), "contact")
    try:
        v["translations"] = clean_translations(values, SUBPROCESSOR_TRANSLATED, max_length=2000)
    except ValueError as error:
        raise Invalid(_("Een vertaling is te lang of geen tekst."), str(error)) from None
    countries = v["countries"] or []
    if isinstance(countries, str):
        countries = [c for c in re.split(r"[\s,;]+", countries) if c]
    if not isinstance(countries, list) or not all(isinstance(c, str) for c in countries):
        raise Invalid(_("Geef de landen als lijst van ISO-codes, bv. BE, NL."), "countries")
    countries = sorted({c.strip().upper() for c in countries})
    unknown = [c for c in countries if c not in COUNTRIES]
    if not countries:
        raise Invalid(_("Geef minstens één verwerkingslocatie (ISO-landcode, bv. BE)."), "countries")
    if unknown:
        raise Invalid(
            ngettext(
                "Onbekende landcode: %(codes)s. Gebruik ISO-codes zoals BE, NL, US.",
                "Onbekende landcodes: %(codes)s. Gebruik ISO-codes zoals BE, NL, US.",
                len(unknown),
                codes=", ".join(unknown),
            ),
            "countries",
        )
    v["countries"] = countries
    outside = [c for c in countries if c not in EEA]
    mechanism = v["transfer_mechanism"] or None
    if outside and mechanism is None:
        raise Invalid(
            _("Buiten de EER (%(codes)s) is een doorgiftemechanisme verplicht.", codes=", ".join(outside)),
            "transfer_mechanism",
        )
    if not outside and mechanism is not None:
        raise Invalid(_("Alle locaties liggen in de EER: er is geen doorgiftemechanisme nodig."), "transfer_mechanism")
    if mechanism is not None and mechanism not in TRANSFER_MECHANISMS:
        raise Invalid(_("Kies adequaatheidsbesluit, SCC, BCR of een andere waarborg."), "transfer_mechanism")
    if mechanism == "other" and not v["transfer_text"]:
        raise Invalid(_("Beschrijf de andere waarborg."), "transfer_text")
    v["transfer_mechanism"] = mechanism
    if not mechanism:
        v["transfer_text"] = ""
    categories = v["data_categories"] or []
    if not isinstance(categories, list) or not categories:
        raise Invalid(_("Kies minstens één soort persoonsgegevens die de subverwerker ontvangt."), "data_categories")
    if set(categories) - set(DATA_CATEGORIES):
        raise Invalid(
            _(
                "Onbekende soort persoonsgegevens: %(codes)s",
                codes=", ".join(sorted(set(map(str, categories)) - set(DATA_CATEGORIES))),
            ),
            "data_categories",
        )
    v["data_categories"] = [c for c in DATA_CATEGORIES if c in categories]
    if v["kind"] not in SUBPROCESSOR_KINDS:
        raise Invalid(_("Kies actief en systematisch, of incidenteel."), "kind")
    refused = incidental_error(v["kind"], v["countries"], v["data_categories"], EEA)
    if refused:
        raise Invalid(_(refused[0], **refused[1]), "kind")
    if v["website"] and not re.fullmatch(r"https?://[^\s/$.?#].[^\s]*", v["website"]):
        raise Invalid(_("Een website begint met http:// of https://."), "website")
    return v


def services_by_code_or_id(services) -> list[Service]:
    services = list(services or [])
    if not services:
        return []
    by_id = [s for s in services if isinstance(s, int)]
    by_code = [s for s in services if isinstance(s, str)]
    if len(by_id) + len(by_code) != len(services):
        raise Invalid(_("Geef diensten als codes."), "services")
    found = db.session.scalars(select(Service).where(or_(Service.id.in_(by_id), Service.code.in_(by_code)))).all()
    if len(found) != len(set(services)):
        known = {s.code for s in found} | {s.id for s in found}
        unknown = ", ".join(str(s) for s in services if s not in known)
        raise Invalid(_("Onbekende dienst: %(services)s", services=unknown), "services")
    return list(found)


def create_subprocessor(values: dict, services, *, actor, now: datetime) -> SubProcessor:
    """Add an entry to the register as 'proposed'."""
    clean = clean_subprocessor(values)
    sp = SubProcessor(created_at=now, status=SubProcessorStatus.PROPOSED, **clean)
    sp.services = services_by_code_or_id(services)
    db.session.add(sp)
    db.session.flush()
    audit.record(
        at=now,
        actor=actor,
        object_type="subprocessor",
        object_id=sp.id,
        action="created",
        after=clean | {"services": [s.code for s in sp.services]},
    )
    return sp


def update_subprocessor(sp: SubProcessor, values: dict, services, *, actor, now: datetime) -> SubProcessor:
    """Change a proposed entry; an entry in use changes only through a new entry and a replacement."""
    if sp.status != SubProcessorStatus.PROPOSED:
        raise Conflict(_("Een subverwerker in gebruik wijzigt niet; registreer een nieuwe en vervang hem."))
    clean = clean_subprocessor(values)
    for key, value in clean.items():
        setattr(sp, key, value)
    sp.services = services_by_code_or_id(services)
    audit.record(
        at=now,
        actor=actor,
        object_type="subprocessor",
        object_id=sp.id,
        action="updated",
        after=clean | {"services": [s.code for s in sp.services]},
    )
    return sp


def register_select(status: str | None = None, query: str = ""):
    """The select of the register (or the entries in `status`, or whose name holds `query`) by name, with each
    entry's services."""
    stmt = (
        select(SubProcessor).options(selectinload(SubProcessor.services)).order_by(SubProcessor.name, SubProcessor.id)
    )
    if status:
        stmt = stmt.where(SubProcessor.status == status)
    if query.strip():
        stmt = stmt.where(func.lower(SubProcessor.name).contains(query.strip().lower(), autoescape=True))
    return stmt


def list_register(status: str | None = None, query: str = "") -> Sequence[SubProcessor]:
    """Return the register (or the entries in `status`, or whose name holds `query`) by name."""
    return db.session.scalars(register_select(status, query)).all()


def clients_using(subprocessor_ids: Sequence[int]) -> dict[int, int]:
    """Return {sub-processor id: clients it applies to now}, each counted up to paging.COUNT_CAP + 1."""
    return {
        sp_id: count_upto(select(literal(1)).where(Assignment.subprocessor_id == sp_id, Assignment.until_on.is_(None)))
        for sp_id in subprocessor_ids
    }


def changes_of(subprocessor_id: int) -> Sequence[Change]:
    """Return the changes that add, replace or end a register entry, newest first."""
    return db.session.scalars(
        select(Change)
        .where((Change.subprocessor_id == subprocessor_id) | (Change.replaces_id == subprocessor_id))
        .order_by(Change.id.desc())
    ).all()


def interventions_of(subprocessor_id: int) -> Sequence[Intervention]:
    """Return the one-off interventions logged for a register entry, latest first."""
    return db.session.scalars(
        select(Intervention)
        .where(Intervention.subprocessor_id == subprocessor_id)
        .order_by(Intervention.happened_on.desc())
    ).all()


# --- Which sub-processors apply to a client ------------------------------------------------------


def applying_on(client_id: int, on: date) -> Sequence[SubProcessor]:
    """Return the sub-processors that apply to the client on `on`, by name."""
    return (
        db.session.scalars(
            select(SubProcessor)
            .join(Assignment, Assignment.subprocessor_id == SubProcessor.id)
            .where(
                Assignment.client_id == client_id,
                Assignment.from_on <= on,
                or_(Assignment.until_on.is_(None), Assignment.until_on > on),
            )
            .order_by(SubProcessor.name, SubProcessor.id)
        )
        .unique()
        .all()
    )


def applying_since(client_id: int, on: date) -> dict[int, date]:
    """Return, per sub-processor that applies to the client on `on`, the day it began to apply to this client."""
    rows = db.session.execute(
        select(Assignment.subprocessor_id, Assignment.from_on).where(
            Assignment.client_id == client_id,
            Assignment.from_on <= on,
            or_(Assignment.until_on.is_(None), Assignment.until_on > on),
        )
    ).all()
    since: dict[int, date] = {}
    for sp_id, from_on in rows:
        since[sp_id] = min(from_on, since.get(sp_id, from_on))
    return since


def history_of(client_id: int) -> Sequence[Assignment]:
    """Return every period a sub-processor applied to the client, newest first."""
    return db.session.scalars(
        select(Assignment)
        .where(Assignment.client_id == client_id)
        .order_by(Assignment.from_on.desc(), Assignment.id.desc())
    ).all()


def _matching_services(service_ids):
    """Condition: the sub-processor is used for one of these services, or for all services."""
    has_any = exists().where(subprocessor_services.c.subprocessor_id == SubProcessor.id)
    matches = exists().where(
        subprocessor_services.c.subprocessor_id == SubProcessor.id,
        subprocessor_services.c.service_id.in_(list(service_ids)),
    )
    return or_(~has_any, matches)


def leaving(today: date | None = None):
    """Select the sub-processors that a removal or replacement (in effect on `today`, or announced) takes away."""
    in_effect = [Change.state == ChangeState.ANNOUNCED] + ([Change.effective_on <= today] if today is not None else [])
    return (
        select(Change.subprocessor_id)
        .where(Change.kind == "remove", *in_effect)
        .union(select(Change.replaces_id).where(Change.kind == "replace", *in_effect))
    )


def active_for_services(service_ids, on: date | None = None) -> Sequence[SubProcessor]:
    """Return the active sub-processors used for any of these services (or for all services) on `on`.

    One that a removal or replacement in effect on `on` has taken away stays active while a client still has it
    (an objection kept it for that client), but an agreement signed from then on does not get it.
    """
    stmt = select(SubProcessor).where(SubProcessor.status == SubProcessorStatus.ACTIVE, _matching_services(service_ids))
    if on is not None:
        stmt = stmt.where(SubProcessor.id.not_in(leaving(on)))
    return db.session.scalars(stmt.order_by(SubProcessor.name, SubProcessor.id)).all()


def prospective_for(agreement, on: date | None = None) -> Sequence[SubProcessor]:
    """Return what will apply once `agreement` (its services) is signed on `on`: its Annex IV before signing."""
    return active_for_services([s.id for s in agreement.services], on)


def as_annex(subprocessors) -> list[dict]:
    """Return sub-processors as the agreement document lists them in Annex IV."""
    return [
        {
            "name": sp.name,
            "purpose": sp.purpose,
            "countries": list(sp.countries or []),
            "transfer_mechanism": sp.transfer_mechanism,
            "transfer_text": sp.transfer_text or "",
            "kind": sp.kind,
            "address": sp.address or "",
            "contact": sp.contact or "",
            "data_categories": list(sp.data_categories or []),
            "translations": sp.translations,
        }
        for sp in subprocessors
    ]


def sync_assignments(agreement, today: date, change_id: int | None = None, only=None) -> None:
    """Make the client's list the agreement's list: what it signed applies from today. `only` (ids) keeps to the
    entries the signed Annex IV listed; None: every entry in use for the agreement's services."""
    wanted = {sp.id for sp in prospective_for(agreement, today)}
    if only is not None:
        wanted &= set(only)
    open_rows = db.session.execute(
        select(Assignment.id, Assignment.subprocessor_id).where(
            Assignment.client_id == agreement.client_id, Assignment.until_on.is_(None)
        )
    ).all()
    have = {sp_id for _, sp_id in open_rows}
    ended = [row_id for row_id, sp_id in open_rows if sp_id not in wanted]
    if ended:
        db.session.execute(update(Assignment).where(Assignment.id.in_(ended)).values(until_on=today))
    new = sorted(wanted - have)
    if new:
        db.session.execute(
            insert(Assignment),
            [
                {
                    "client_id": agreement.client_id,
                    "subprocessor_id": sp_id,
                    "from_on": today,
                    "until_on": None,
                    "change_id": change_id,
                }
                for sp_id in new
            ],
        )


# --- One-off access by incidental sub-processors ------------------------------------------------------


def log_intervention(sp: SubProcessor, *, happened_on, reason: str, data_categories, actor, now: datetime):
    """Record an incidental sub-processor's intervention. It needs no approval."""

    if sp.kind != "incidental":
        raise Invalid(
            _(
                "Alleen een incidentele subverwerker krijgt losse tussenkomsten; "
                "een actieve en systematische gaat via een wijziging."
            ),
            "subprocessor_id",
        )
    if sp.status != SubProcessorStatus.ACTIVE:
        raise Invalid(_("%(name)s is niet in gebruik.", name=sp.name), "subprocessor_id")
    if not isinstance(happened_on, date) or happened_on > today_in_brussels(now):
        raise Invalid(_("Geef de datum van de tussenkomst (niet in de toekomst)."), "happened_on")
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise Invalid(_("Geef de reden van de tussenkomst."), "reason")
    categories = list(data_categories or [])
    if not categories or set(categories) - set(DATA_CATEGORIES):
        raise Invalid(_("Kies welke soorten gegevens geraakt werden."), "data_categories")
    item = Intervention(
        subprocessor_id=sp.id,
        happened_on=happened_on,
        reason=reason[:4000],
        data_categories=[c for c in DATA_CATEGORIES if c in categories],
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(item)
    db.session.flush()
    audit.record(
        at=now,
        actor=actor,
        object_type="intervention",
        object_id=item.id,
        action="logged",
        after={
            "subprocessor_id": sp.id,
            "on": happened_on.isoformat(),
            "reason": item.reason,
            "data_categories": item.data_categories,
        },
    )
    return item


def interventions_for(client_id: int):
    """Return the interventions of sub-processors that applied to the client on the day, newest first."""

    return (
        db.session.scalars(
            select(Intervention)
            .join(
                Assignment,
                and_(Assignment.subprocessor_id == Intervention.subprocessor_id, Assignment.client_id == client_id),
            )
            .where(
                Assignment.from_on <= Intervention.happened_on,
                or_(Assignment.until_on.is_(None), Assignment.until_on > Intervention.happened_on),
            )
            .order_by(Intervention.happened_on.desc(), Intervention.id.desc())
        )
        .unique()
        .all()
    )
