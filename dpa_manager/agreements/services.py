"""Everything that changes an agreement: drafting, sending, signing, ending."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from .. import audit, pdf, seal
from ..accounts.models import User
from ..catalogue import DATA_CATEGORIES, SUBJECT_CATEGORIES
from ..clients.models import Client
from ..clients.services import matching as matching_clients
from ..clock import today_in_brussels
from ..errors import Conflict, Invalid
from ..extensions import db, rowcount
from ..formatting import format_datetime_seconds
from ..i18n import force_locale
from ..localized import OTHER_LANGUAGES, clean_translations, flat_translations
from ..mail import outbox
from ..notices.models import Notice
from ..notices.services import client_recipients, manager_addresses
from ..paging import Page, count_upto, page_of
from ..processor.models import Service
from ..processor.services import get_profile
from ..rules import (
    END_CHOICES,
    SPECIAL_CATEGORY,
    AgreementState,
    TransitionError,
    cap_error,
    check_transition,
    checklist,
    missing_elements,
    name_error,
    window_error,
)
from ..scoping import get_for, select_for
from ..subprocessors.services import applying_on, as_annex, prospective_for, sync_assignments
from ..terms.models import TermsVersion
from ..terms.services import current_version
from ..terms.text import fill
from . import qualified
from .document import (
    TRANSLATED_PARTICULARS,
    amendment_record,
    build_document,
    placeholder_values,
    reference,
    signature_block,
)
from .models import Agreement

#: The particulars a manager fills in; services go separately as a list of ids.
PARTICULARS = (
    "terms_version_id",
    "subject_matter",
    "starts_on",
    "ends_on",
    "nature_purpose",
    "data_types",
    "data_types_detail",
    "data_subjects",
    "data_subjects_detail",
    "special_categories",
    "end_choice",
    "window_days",
    "window_unit",
    "cap_total_cents",
    "cap_other_cents",
    "toms",
    "retention",
    "translations",
)


# --- Reading, always through the user's scope -----------------------------------------------------


def get_agreement(user: User, agreement_id: int) -> Agreement | None:
    """Return the agreement if it exists and `user` may see it."""
    return get_for(user, Agreement, agreement_id)


def agreements_select(user: User, state: str | None = None, query: str = ""):
    """The select of the agreements the user may see, newest first: those in `state`, of the clients that match
    `query` (their name, number or e-mail, as the client list searches)."""
    # what each row shows (the client's name, the terms' label) loaded with the list, not row by row
    stmt = (
        select_for(user, Agreement)
        .join(Agreement.client)
        .options(contains_eager(Agreement.client), selectinload(Agreement.terms_version))
        .order_by(Agreement.id.desc())
    )
    if query.strip():
        stmt = stmt.where(Agreement.client_id.in_(matching_clients(query).with_only_columns(Client.id)))
    return stmt.where(Agreement.state == state) if state else stmt


def waiting_countersignature(user: User, limit: int) -> Sequence[Agreement]:
    """The agreements the client signed and the processor has not yet countersigned, longest waiting first."""
    stmt = agreements_select(user, AgreementState.SENT.value).where(Agreement.client_signed_at.is_not(None))
    return db.session.scalars(stmt.order_by(None).order_by(Agreement.client_signed_at, Agreement.id).limit(limit)).all()


def sent_or_signed_count() -> int:
    """How many agreements are sent or signed (their Annex IV is fixed), counted up to paging.COUNT_CAP + 1."""
    states = (AgreementState.SENT.value, AgreementState.SIGNED.value)
    return count_upto(select(Agreement.id).where(Agreement.state.in_(states)))


def list_agreements(user: User, state: str | None = None) -> Sequence[Agreement]:
    """Return the newest 500 agreements the user may see (a client user: the client's)."""
    return db.session.scalars(agreements_select(user, state).limit(500)).all()


def agreement_page(user: User, number: int, state: str | None = None, query: str = "") -> Page[Agreement]:
    """Return page `number` of the agreements the user may see, newest first (see agreements_select)."""
    return page_of(agreements_select(user, state, query), number)


def agreement_checklist(agreement: Agreement):
    """The Art. 28(3) checklist of the agreement's terms; none for one signed outside the app (its text is not in
    the app to check)."""
    if agreement.signed_outside:
        return []
    return checklist(agreement, agreement.terms_version.covered)


def subprocessors_for(agreement: Agreement, as_of: date) -> list[dict]:
    """Return Annex IV: what will apply once signed (draft, sent), or what applied to the client on `as_of`."""
    if agreement.state in (AgreementState.DRAFT, AgreementState.SENT):
        return as_annex(prospective_for(agreement, as_of))
    return as_annex(applying_on(agreement.client_id, as_of))


def build(agreement: Agreement, as_of: date) -> dict:
    """Build the document from the agreement's current particulars."""
    return build_document(
        agreement,
        agreement.client,
        get_profile(),
        agreement.terms_version,
        subprocessors_for(agreement, as_of),
        as_of,
        agreement.client.language,
    )


def document_of(agreement: Agreement, today: date) -> dict | None:
    """Return the frozen document once sent, or a fresh build of a draft; None for one signed outside the app
    (its signed PDF is its text)."""
    if agreement.signed_outside:
        return None
    if agreement.state == AgreementState.DRAFT:
        return build(agreement, today)
    return _frozen(agreement)


def _frozen(agreement: Agreement) -> dict:
    """Return the document frozen at sending.

    Agreements loaded in bulk (synthetic load-test data) are stored without it; for them the
    document is built once, as of the day they were sent, stored, and never built again.
    """
    if agreement.snapshot is None:
        assert agreement.sent_at is not None  # only sent agreements have a frozen document
        document = build(agreement, today_in_brussels(agreement.sent_at))
        digest = hashlib.sha256(pdf.render(document)).hexdigest()
        db.session.execute(
            update(Agreement)
            .where(Agreement.id == agreement.id, Agreement.snapshot.is_(None))
            .values(snapshot=document, body_sha256=digest)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(agreement)
    elif agreement.body_sha256 is None:  # an amended agreement: its document is frozen, its hash comes at first need
        digest = hashlib.sha256(pdf.render(agreement.snapshot)).hexdigest()
        db.session.execute(
            update(Agreement)
            .where(Agreement.id == agreement.id, Agreement.body_sha256.is_(None))
            .values(body_sha256=digest)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(agreement)
    assert agreement.snapshot is not None
    return agreement.snapshot


def pdf_of(agreement: Agreement, *, now: datetime) -> bytes:
    """Return the agreement's PDF: the stored signed one, the one sent, or a preview of a complete draft."""
    if agreement.signed_pdf is not None:
        return agreement.signed_pdf
    if agreement.state == AgreementState.DRAFT:
        _ensure_complete(agreement)
        return pdf.render(build(agreement, today_in_brussels(now)), draft=True)
    if agreement.processor_signed_at is not None or agreement.concluded_by != "signatures":
        signed = _store_signed_pdf(agreement)
        return signed
    return pdf.render(_frozen(agreement))


# --- Drafts -------------------------------------------------------------------------------------


def draft_defaults(today: date) -> dict:
    """Return the starting values of a new draft: the profile's window and caps, the terms in force."""
    profile = get_profile()
    terms = current_version(today)
    return {
        "terms_version_id": terms.id if terms else None,
        "starts_on": today,
        "window_days": profile.default_window_days if profile else 7,
        "window_unit": profile.default_window_unit if profile else "calendar",
        "cap_total_cents": profile.cap_total_cents if profile else 250_000,
        "cap_other_cents": profile.cap_other_cents if profile else 100_000,
        "end_choice": "delete",
    }


def _check_particulars(values: dict) -> None:
    terms = db.session.get(TermsVersion, values["terms_version_id"] or 0)
    if terms is None or not terms.is_published:
        raise Invalid(_("Kies een gepubliceerde versie van de voorwaarden."), "terms_version_id")
    if values["starts_on"] is None:
        raise Invalid(_("Vul de begindatum in."), "starts_on")
    if values["ends_on"] is not None and values["ends_on"] < values["starts_on"]:
        raise Invalid(_("De einddatum ligt vóór de begindatum."), "ends_on")
    error = window_error(values["window_days"], values["window_unit"])
    if error:
        raise Invalid(_(error), "window_days")
    for key, field in (("cap_total_cents", "cap_total"), ("cap_other_cents", "cap_other")):
        error = cap_error(values[key])
        if error:
            raise Invalid(_(error), field)
    if values["end_choice"] not in END_CHOICES:
        raise Invalid(_("Kies teruggeven of vernietigen."), "end_choice")
    if set(values["data_types"]) - set(DATA_CATEGORIES):
        raise Invalid(_("Onbekende soort persoonsgegevens."), "data_types")
    if set(values["data_subjects"]) - set(SUBJECT_CATEGORIES):
        raise Invalid(_("Onbekende categorie van betrokkenen."), "data_subjects")


def _services(ids) -> list[Service]:
    found = db.session.scalars(db.select(Service).where(Service.id.in_(list(ids)))).all() if ids else []
    if len(found) != len(set(ids)):
        raise Invalid(_("Onbekende dienst gekozen."), "services")
    return list(found)


def _apply(agreement: Agreement, values: dict, service_ids) -> dict:
    values = {k: values.get(k) for k in PARTICULARS}
    # special categories are one choice: the kind of data, and the flag the document prints
    types = list(values["data_types"] or [])
    if values["special_categories"] and SPECIAL_CATEGORY not in types:
        types.append(SPECIAL_CATEGORY)
    values["data_types"], values["special_categories"] = types, SPECIAL_CATEGORY in types
    for key in ("subject_matter", "nature_purpose", "data_types_detail", "data_subjects_detail", "toms", "retention"):
        values[key] = (values[key] or "").strip()
    translations = values["translations"] or {}
    if isinstance(translations, dict) and set(translations) <= set(OTHER_LANGUAGES):  # stored form, e.g. a copy
        translations = flat_translations(translations, TRANSLATED_PARTICULARS)
    try:
        values["translations"] = clean_translations(translations, TRANSLATED_PARTICULARS, max_length=8000)
    except ValueError as error:
        raise Invalid(_("Een vertaling is te lang of geen tekst."), str(error)) from None
    _check_particulars(values)
    services = _services(service_ids)
    for key, value in values.items():
        setattr(agreement, key, value)
    agreement.services = services
    return _plain(values) | {"services": sorted(s.code for s in services)}


def _plain(values: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def create_draft(client: Client, values: dict, service_ids, *, actor: User, now: datetime) -> Agreement:
    """Create a draft agreement for `client`."""
    agreement = Agreement(client_id=client.id, state=AgreementState.DRAFT.value, created_at=now, updated_at=now)
    after = _apply(agreement, values, service_ids)
    db.session.add(agreement)
    db.session.flush()
    audit.record(
        at=now,
        actor=actor,
        object_type="agreement",
        object_id=agreement.id,
        client_id=agreement.client_id,
        action="created",
        after=after,
    )
    return agreement


def update_draft(agreement: Agreement, values: dict, service_ids, *, actor: User, now: datetime) -> Agreement:
    """Change the particulars of a draft."""
    if agreement.state != AgreementState.DRAFT:
        raise Conflict(_("Alleen een concept kan nog wijzigen."))
    after = _apply(agreement, values, service_ids)
    agreement.updated_at = now
    audit.record(
        at=now,
        actor=actor,
        object_type="agreement",
        object_id=agreement.id,
        client_id=agreement.client_id,
        action="updated",
        after=after,
    )
    return agreement


# --- Moving between states -----------------------------------------------------------------------


def _ensure_complete(agreement: Agreement) -> None:
    missing = missing_elements(agreement, agreement.terms_version.covered)
    if missing:
        raise Invalid(
            _(
                "De overeenkomst is onvolledig; ontbreekt: %(items)s.",
                items="; ".join(_(item.label).lower() for item in missing),
            )
        )


def _move(agreement: Agreement, target: AgreementState, values: dict, *, extra_guard=None) -> None:
    """Move the agreement to `target` with a guarded UPDATE; raise Conflict if someone else moved it first."""
    try:
        check_transition(AgreementState(agreement.state), target)
    except TransitionError as error:
        raise Conflict(str(error)) from None
    stmt = update(Agreement).where(Agreement.id == agreement.id, Agreement.state == agreement.state)
    if extra_guard is not None:
        stmt = stmt.where(extra_guard)
    result = db.session.execute(stmt.values(state=target.value, **values).execution_options(synchronize_session=False))
    if rowcount(result) != 1:
        raise Conflict(_("De overeenkomst werd intussen gewijzigd; laad de pagina opnieuw."))
    db.session.expire(agreement)


def signers(client_id: int) -> Sequence[User]:
    """The client's users who may sign for it: its active users with the right to sign."""
    return db.session.scalars(
        select(User)
        .where(User.client_id == client_id, User.active.is_(True), User.may_sign.is_(True))
        .order_by(User.id)
    ).all()


def send(agreement: Agreement, *, actor: User, now: datetime) -> Agreement:
    """Freeze the document and send it to the client for signature: each user of the client who may sign gets an
    e-mail with a link to it (through the outbox, in this transaction). Refused while the client has no such user:
    nobody could sign."""
    if agreement.state != AgreementState.DRAFT:
        raise Conflict(_("Alleen een concept kan verstuurd worden."))
    _ensure_complete(agreement)
    users = signers(agreement.client_id)
    if not users:
        raise Invalid(
            _(
                "%(client)s heeft geen actieve gebruiker die kan ondertekenen; nodig er eerst een uit.",
                client=agreement.client.name,
            ),
            "users",
        )
    today = today_in_brussels(now)
    document = build(agreement, today)
    body_sha256 = hashlib.sha256(pdf.render(document)).hexdigest()
    # which register entries Annex IV lists, so that the countersignature applies those and no later ones
    document["annex_subprocessor_ids"] = [sp.id for sp in prospective_for(agreement, today)]
    _move(
        agreement,
        AgreementState.SENT,
        {"snapshot": document, "body_sha256": body_sha256, "sent_at": now, "updated_at": now},
    )
    audit.record(
        at=now,
        actor=actor,
        object_type="agreement",
        object_id=agreement.id,
        client_id=agreement.client_id,
        action="sent",
        before={"state": "draft"},
        after={"state": "sent", "body_sha256": body_sha256},
    )
    language = agreement.client.language
    outbox.enqueue(
        [
            outbox.row(
                key=f"agreement_to_sign:{agreement.id}:{now.isoformat()}:{user.id}",
                template="agreement_to_sign",
                recipients=[user.email],
                language=user.language or language,
                client_id=agreement.client_id,
                now=now,
                context={"agreement_id": agreement.id, "user_id": user.id},
            )
            for user in users
        ]
    )
    return agreement


def recall(agreement: Agreement, *, actor: User, now: datetime) -> Agreement:
    """Take a sent agreement back to draft, as long as the client has not signed."""
    if agreement.client_signed_at is not None:
        raise Conflict(_("De klant heeft al ondertekend; deze overeenkomst kan niet meer terug naar concept."))
    _move(
        agreement,
        AgreementState.DRAFT,
        {"snapshot": None, "body_sha256": None, "sent_at": None, "updated_at": now},
        extra_guard=Agreement.client_signed_at.is_(None),
    )
    audit.record(
        at=now,
        actor=actor,
        object_type="agreement",
        object_id=agreement.id,
        client_id=agreement.client_id,
        action="recalled",
        before={"state": "sent"},
        after={"state": "draft"},
    )
    return agreement


def _signer(name: str, role: str) -> tuple[str, str]:
    for value, field in ((name or "", "full_name"), (role or "", "role")):
        error = name_error(value)
        if error:
            raise Invalid(_(error), field)
    name, role = " ".join((name or "").split()), " ".join((role or "").split())
    if len(name) < 3 or " " not in name:
        raise Invalid(_("Typ uw volledige naam (voornaam en familienaam)."), "full_name")
    if len(name) > 200:
        raise Invalid(_("Die naam is te lang."), "full_name")
    if not role:
        raise Invalid(_("Vul uw hoedanigheid in, bv. zaakvoerder."), "role")
    return name, role[:200]


def client_sign(
    agreement: Agreement,
    *,
    user: User,
    full_name: str,
    role: str,
    authorised: bool,
    now: datetime,
    signed_from: dict | None = None,
) -> Agreement:
    """Record the client's signature on a sent agreement; `signed_from` says how the signer was authenticated and
    from where (web.signed_from), for the signature page."""
    _may_sign_for_client(agreement, user)
    name, role = _signer(full_name, role)
    if not authorised:
        raise Invalid(_("Bevestig dat u de klant mag vertegenwoordigen."), "authorised")
    _record_client_signature(agreement, user, name, role, signed_from, now)
    return agreement


def client_sign_with_pdf(
    agreement: Agreement,
    *,
    user: User,
    upload: bytes,
    role: str,
    authorised: bool,
    now: datetime,
    signed_from: dict | None = None,
) -> Agreement:
    """Record the client's signature given as the agreement PDF signed with a qualified certificate (qualified.py).

    The signer's name is the one in the certificate; the PDF is kept, and the countersignature seals it.
    """
    _may_sign_for_client(agreement, user)
    role = " ".join((role or "").split())
    if not role or name_error(role):
        raise Invalid(_("Vul uw hoedanigheid in, bv. zaakvoerder."), "role")
    if not authorised:
        raise Invalid(_("Bevestig dat u de klant mag vertegenwoordigen."), "authorised")
    config = current_app.config
    signers = qualified.check(
        upload,
        pdf.render(_frozen(agreement)),
        roots=seal.trust_roots(config.get("SIGNATURE_TRUST_ROOTS")),
        fetch=bool(config.get("SIGNATURE_REVOCATION_CHECK")),
    )
    first = signers[0]
    how = {
        "method": "qualified_pdf",
        "certificates": [
            {"subject": s.subject, "issuer": s.issuer, "signed_at": s.signed_at.isoformat(), "time": s.time_source}
            for s in signers
        ],
        "sha256": hashlib.sha256(upload).hexdigest(),
    }
    _record_client_signature(
        agreement, user, first.name[:200], role[:200], (signed_from or {}) | how, now, signed_pdf=upload
    )
    return agreement


def _may_sign_for_client(agreement: Agreement, user: User) -> None:
    if user.is_manager or user.client_id != agreement.client_id:
        raise Conflict(_("Alleen een gebruiker van de klant kan voor de klant ondertekenen."))
    if not user.may_sign:
        raise Conflict(
            _("U mag niet ondertekenen voor de klant; een beheerder van uw organisatie kan u dat recht geven.")
        )
    if agreement.state != AgreementState.SENT:
        raise Conflict(_("Alleen een verstuurde overeenkomst kan ondertekend worden."))
    if agreement.client_signed_at is not None:
        raise Conflict(_("Deze overeenkomst is al ondertekend voor de klant."))


def _record_client_signature(
    agreement: Agreement,
    user: User,
    name: str,
    role: str,
    signed_from: dict | None,
    now: datetime,
    *,
    signed_pdf: bytes | None = None,
) -> None:
    result = db.session.execute(
        update(Agreement)
        .where(
            Agreement.id == agreement.id,
            Agreement.state == AgreementState.SENT.value,
            Agreement.client_signed_at.is_(None),
        )
        .values(
            client_signer_id=user.id,
            client_signer_name=name,
            client_signer_role=role,
            client_signed_at=now,
            client_signed_from=signed_from,
            client_signed_pdf=signed_pdf,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict(_("Deze overeenkomst is intussen al ondertekend of gewijzigd."))
    db.session.expire(agreement)
    after = {"name": name, "role": role, "body_sha256": agreement.body_sha256}
    if signed_pdf is not None:
        after |= {
            "certificate": (signed_from or {}).get("certificates"),
            "signed_pdf_sha256": (signed_from or {}).get("sha256"),
        }
    audit.record(
        at=now,
        actor=user,
        object_type="agreement",
        object_id=agreement.id,
        client_id=agreement.client_id,
        action="client_signed",
        after=after,
    )
    outbox.enqueue(
        [
            outbox.row(
                key=f"agreement_client_signed:{agreement.id}:{now.isoformat()}",
                template="agreement_client_signed",
                recipients=manager_addresses(),
                language="nl",
                client_id=agreement.client_id,
                now=now,
                context={"agreement_id": agreement.id},
            )
        ]
    )


def countersign(
    agreement: Agreement,
    *,
    user: User,
    full_name: str,
    role: str,
    now: datetime,
    role_translations: dict | None = None,
    signed_from: dict | None = None,
) -> Agreement:
    """Countersign for the processor, store the signed PDF once (sealed), supersede the client's older agreement.

    `role_translations` gives the signer's capacity in French and English ({"fr": ..., "en": ...}, optional);
    `signed_from` how the signer was authenticated and from where (web.signed_from).
    """
    if not user.is_manager:
        raise Conflict(_("Alleen een manager van de verwerker kan tegentekenen."))
    if agreement.state != AgreementState.SENT or agreement.client_signed_at is None:
        raise Conflict(_("Tegentekenen kan pas nadat de klant ondertekend heeft."))
    name, role = _signer(full_name, role)
    roles: dict[str, dict[str, str]] = {}
    for language, value in (role_translations or {}).items():
        value = " ".join((value or "").split()) if isinstance(value, str) else ""
        if language in OTHER_LANGUAGES and value:
            error = name_error(value)
            if error:
                raise Invalid(_(error), f"role_{language}")
            roles[language] = {"processor_signer_role": value[:200]}
    translations = dict(agreement.translations or {})
    for language, entry in roles.items():
        translations[language] = dict(translations.get(language) or {}) | entry
    values: dict[str, Any] = {
        "processor_signer_id": user.id,
        "processor_signer_name": name,
        "processor_signer_role": role,
        "processor_signed_at": now,
        "processor_signed_from": signed_from,
        "effective_at": now,
        "updated_at": now,
        "translations": translations or agreement.translations,
    }
    # On PostgreSQL another agreement of this client may be countersigned at the same moment and committed
    # first: one signed agreement per client (a unique index says so), and this later countersignature then
    # supersedes it, after going back to a savepoint. SQLite lets one writer at a time, so it cannot happen there.
    savepoint = db.session.begin_nested() if db.engine.dialect.name == "postgresql" else nullcontext()
    try:
        with savepoint:
            older, signed_pdf = _sign_superseding(agreement, values, user=user, now=now)
    except IntegrityError:
        db.session.expire_all()
        older, signed_pdf = _sign_superseding(agreement, values, user=user, now=now)
    # what the client signed: the entries of Annex IV as sent (an entry put in use since reaches this client through
    # a change announced to it), of those still in use
    listed = (agreement.snapshot or {}).get("annex_subprocessor_ids")
    sync_assignments(agreement, today_in_brussels(now), only=listed)
    signer = db.session.get(User, agreement.client_signer_id) if agreement.client_signer_id else None
    copies = [("client", signer.email if signer else None, agreement.client.language), ("processor", user.email, "nl")]
    outbox.enqueue(
        [
            outbox.row(
                key=f"agreement-copy:{agreement.id}:{party}",
                template="agreement_copy",
                recipients=[address],
                language=language,
                client_id=agreement.client_id,
                now=now,
                context={"agreement_id": agreement.id, "party": party},
            )
            for party, address, language in copies
            if address
        ]
    )
    for old_id in older:
        audit.record(
            at=now,
            actor=user,
            object_type="agreement",
            object_id=old_id,
            client_id=agreement.client_id,
            action="superseded",
            before={"state": "signed"},
            after={"state": "superseded", "by": agreement.id},
        )
    audit.record(
        at=now,
        actor=user,
        object_type="agreement",
        object_id=agreement.id,
        client_id=agreement.client_id,
        action="signed",
        before={"state": "sent"},
        after={"state": "signed", "name": name, "role": role, "signed_sha256": hashlib.sha256(signed_pdf).hexdigest()},
    )
    return agreement


def _sign_superseding(agreement: Agreement, values: dict, *, user: User, now: datetime) -> tuple[list[int], bytes]:
    """Supersede the client's signed agreement(s), then move this one to signed and store its PDF.

    In that order, so that the client never has two signed agreements (the unique index refuses it).
    """
    older = db.session.scalars(
        update(Agreement)
        .where(
            Agreement.client_id == agreement.client_id,
            Agreement.id != agreement.id,
            Agreement.state == AgreementState.SIGNED.value,
        )
        .values(state=AgreementState.SUPERSEDED.value, ended_at=now, updated_at=now)
        .returning(Agreement.id)
        .execution_options(synchronize_session=False)
    ).all()
    _move(agreement, AgreementState.SIGNED, values, extra_guard=Agreement.client_signed_at.is_not(None))
    db.session.flush()
    return list(older), _store_signed_pdf(agreement)


def _store_signed_pdf(agreement: Agreement) -> bytes:
    """Render the final PDF from the frozen document and store it unless it is stored already.

    Signed agreements end with the signature page; an amendment accepted by a client user or by silence ends
    with its amendment record instead (it was not signed).
    """
    document = _frozen(agreement)
    if agreement.client_signed_pdf is not None:  # signed in a PDF tool: the seal goes on that file, as it is
        with force_locale(document.get("language", "nl-BE")[:2]):
            reason = _(
                "Verwerkersovereenkomst %(reference)s, ondertekend door de klant met een gekwalificeerd certificaat, "
                "tegengetekend door %(name)s (%(role)s) op %(moment)s, verzegeld door de verwerker",
                reference=reference(agreement.id),
                name=agreement.processor_signer_name,
                role=agreement.processor_signer_role,
                moment=format_datetime_seconds(agreement.processor_signed_at),
            )
        return _keep_signed_pdf(agreement, seal.seal_pdf(agreement.client_signed_pdf, reason=reason))
    if agreement.concluded_by == "signatures":
        closing = signature_block(agreement, format_datetime_seconds)
    else:
        facts = amendment_facts(agreement)
        assert facts is not None  # not concluded by signatures: by an amendment
        closing = amendment_record(agreement, format_datetime_seconds, facts)
    with force_locale(document.get("language", "nl-BE")[:2]):
        reason = _(
            "Verwerkersovereenkomst %(reference)s, verzegeld door de verwerker", reference=reference(agreement.id)
        )
    return _keep_signed_pdf(agreement, seal.seal_pdf(pdf.render(document, closing), reason=reason))


def _keep_signed_pdf(agreement: Agreement, signed: bytes) -> bytes:
    """Store the signed PDF unless another request stored one first; return the one stored."""
    digest = hashlib.sha256(signed).hexdigest()
    result = db.session.execute(
        update(Agreement)
        .where(Agreement.id == agreement.id, Agreement.signed_pdf.is_(None))
        .values(signed_pdf=signed, signed_sha256=digest)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(agreement)
    if rowcount(result) == 1:
        return signed
    assert agreement.signed_pdf is not None  # made by whoever won the race
    return agreement.signed_pdf


def original_of(agreement: Agreement) -> Agreement:
    """Return the agreement the parties signed that this one descends from by accepted amendments."""
    while agreement.concluded_by != "signatures" and agreement.amended_from is not None:
        agreement = agreement.amended_from
    return agreement


def amendment_facts(agreement: Agreement) -> dict | None:
    """Return how an amended agreement came about (the notice, the window, the acceptance), or None."""
    if agreement.concluded_by == "signatures":
        return None

    old = agreement.amended_from
    notice = db.session.scalar(db.select(Notice).where(Notice.amended_agreement_id == agreement.id))
    article = old.terms_version.amendment_article
    language = agreement.client.language
    facts = {
        "from_label": old.terms_version.label,
        "to_label": agreement.terms_version.label,
        "replaces": old.id,
        "accepted_at": agreement.amended_at,
        "effective_at": agreement.effective_at,
        "concluded_by": agreement.concluded_by,
        "original": original_of(old),
    }
    if article is not None:
        facts["article"] = article_text(old, article, language)
    if notice is not None:
        decider = db.session.get(User, notice.decided_by_id) if notice.decided_by_id else None
        facts |= {
            "notice": notice.id,
            "delivered_at": notice.delivered_at,
            "notified_at": notice.notified_at,
            "closes_at": notice.closes_at,
            "window_days": notice.window_days,
            "window_unit": notice.window_unit,
            "by": (decider.full_name or decider.email) if decider else None,
            "decided_at": notice.decided_at,
            "answer_channel": notice.answer_channel,
            "answer_recorded_at": notice.answer_recorded_at,
            # an objection received in time and recorded later undid the acceptance: the agreement lapsed
            "objected": notice.state == "objected",
        }
    return facts


def record_acceptance(agreement: Agreement, *, notice, actor, now: datetime) -> None:
    """An approval received in time turned a deemed acceptance into an express one: say so.

    The amendment record is made again the next time it is needed (it named the silence); the audit trail
    keeps the fingerprint of the one it replaces.
    """
    before = {"concluded_by": agreement.concluded_by, "signed_sha256": agreement.signed_sha256}
    db.session.execute(
        update(Agreement)
        .where(Agreement.id == agreement.id)
        .values(
            concluded_by="acceptance", amended_at=notice.decided_at, signed_pdf=None, signed_sha256=None, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(agreement)
    audit.record(
        at=now,
        actor=actor,
        object_type="agreement",
        object_id=agreement.id,
        client_id=agreement.client_id,
        action="acceptance_recorded",
        before=before,
        after={"concluded_by": "acceptance", "notice": notice.id, "channel": notice.answer_channel},
    )


def article_text(agreement: Agreement, article, language: str) -> dict:
    """Return an article of the agreement's terms with its particulars filled in, in `language` (or Dutch)."""
    title, body, _translated = article.text_in(language)
    with force_locale(language):
        values = placeholder_values(agreement, agreement.client, get_profile(), agreement.terms_version, language)
    return {"number": article.number, "title": fill(title, values), "body": fill(body, values)}


def article_covering(agreement: Agreement, key: str) -> dict | None:
    """Return the article of the agreement's terms that covers checklist `key` (e.g. "subprocessors"), in the
    client's language, or None when none does."""
    if agreement.terms_version is None:  # signed outside the app on terms it does not hold
        return None
    article = next((a for a in agreement.terms_version.articles if key in (a.covers or [])), None)
    return article_text(agreement, article, agreement.client.language) if article is not None else None


def adopt_version(
    agreement: Agreement, version: TermsVersion, *, notice, at: datetime, now: datetime
) -> Agreement | None:
    """Replace a signed agreement by the same one on `version`, accepted through `notice`.

    The old agreement ends at `at` and keeps its PDF; the new one begins at `at`, carries the same particulars,
    and says how it came about (accepted by a user of the client, or by silence): it has no signatures of its
    own. Its document is frozen now (its PDF is made at first need). Returns None when the agreement is no
    longer the client's signed one on an older version.
    """
    if agreement.state != AgreementState.SIGNED or agreement.terms_version_id == version.id:
        return None
    how = "silence" if notice.state == "deemed_approved" else "acceptance"
    # The old one ends first: a client never has two signed agreements (a unique index refuses it).
    result = db.session.execute(
        update(Agreement)
        .where(Agreement.id == agreement.id, Agreement.state == AgreementState.SIGNED.value)
        .values(state=AgreementState.SUPERSEDED.value, ended_at=at, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return None
    new = Agreement(
        client_id=agreement.client_id,
        state=AgreementState.SIGNED.value,
        created_at=now,
        updated_at=now,
        sent_at=agreement.sent_at,
        amended_from_id=agreement.id,
        amended_at=notice.decided_at or now,
        concluded_by=how,
        effective_at=at,
    )
    for key in PARTICULARS:
        setattr(new, key, getattr(agreement, key))
    new.terms_version_id = version.id
    new.services = list(agreement.services)
    db.session.add(new)
    db.session.flush()
    new.terms_version = version
    new.snapshot = build(new, today_in_brussels(at))
    db.session.expire(agreement)
    # The client's copy of the amended agreement, sealed when its turn to be sent comes (pdf_of stores it once).
    recipients = client_recipients([new.client_id]).get(new.client_id) or []
    if recipients:
        outbox.enqueue(
            [
                outbox.row(
                    key=f"agreement-copy:{new.id}:client",
                    template="agreement_copy",
                    recipients=recipients,
                    language=new.client.language,
                    client_id=new.client_id,
                    now=now,
                    context={"agreement_id": new.id, "party": "client"},
                )
            ]
        )
    audit.record(
        at=now,
        actor=None,
        object_type="agreement",
        object_id=agreement.id,
        client_id=agreement.client_id,
        action="superseded",
        before={"state": "signed"},
        after={"state": "superseded", "by": new.id, "amendment_notice": notice.id, "ended_at": at.isoformat()},
    )
    audit.record(
        at=now,
        actor=None,
        object_type="agreement",
        object_id=new.id,
        client_id=new.client_id,
        action="amended",
        after={
            "state": "signed",
            "terms": version.label,
            "replaces": agreement.id,
            "notice": notice.id,
            "concluded_by": how,
            "effective_at": at.isoformat(),
        },
    )
    return new


def terminate(agreement: Agreement, *, actor: User, now: datetime) -> Agreement:
    """End a signed agreement."""
    _move(agreement, AgreementState.TERMINATED, {"ended_at": now, "updated_at": now})
    audit.record(
        at=now,
        actor=actor,
        object_type="agreement",
        object_id=agreement.id,
        client_id=agreement.client_id,
        action="terminated",
        before={"state": "signed"},
        after={"state": "terminated"},
    )
    return agreement


def client_data_types(client_id: int) -> list[str] | None:
    """Return the data types of the client's agreement in force (None when it has none)."""
    types = db.session.scalar(
        select(Agreement.data_types)
        .where(Agreement.client_id == client_id, Agreement.state == AgreementState.SIGNED.value)
        .order_by(Agreement.id.desc())
    )
    return list(types) if types is not None else None
