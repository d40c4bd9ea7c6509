"""The processor profile and its services."""

import re
from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _

from .. import audit
from ..errors import Invalid
from ..extensions import db
from ..rules import cap_error, enterprise_number_error, name_error, normalize_enterprise_number, window_error
from .models import ProcessorProfile, Service

PROFILE_FIELDS = (
    "name",
    "enterprise_number",
    "address",
    "dpo_email",
    "governing_law",
    "competent_court",
    "default_window_days",
    "default_window_unit",
    "cap_total_cents",
    "cap_other_cents",
    "contact_name",
    "contact_role",
    "breach_notice_hours",
)
#: What the fields added later default to when a caller leaves them out.
PROFILE_DEFAULTS = {"contact_name": "", "contact_role": "", "breach_notice_hours": 48}


def get_profile() -> ProcessorProfile | None:
    """Return the one processor profile, or None before set-up."""
    return db.session.scalar(db.select(ProcessorProfile).order_by(ProcessorProfile.id).limit(1))


def required_profile() -> ProcessorProfile:
    """Return the processor profile, which the app needs once set up (`seed-demo`, or the profile page)."""
    profile = get_profile()
    if profile is None:
        raise LookupError("the processor's profile is not set up yet (Profile page, or flask dpa seed-demo)")
    return profile


def _check(values: dict) -> None:
    name = values["name"] if isinstance(values["name"], str) else ""
    if not name.strip():
        raise Invalid(_("Vul de naam van de verwerker in."), "name")
    error = name_error(name)
    if error:
        raise Invalid(_(error), "name")
    for field in ("contact_name", "contact_role"):
        values[field] = (values[field] or "").strip() if isinstance(values[field] or "", str) else ""
        error = name_error(values[field])
        if error:
            raise Invalid(_(error), field)
    hours = values["breach_notice_hours"]
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 72:
        raise Invalid(
            _(
                "Een datalek wordt binnen 1 tot 72 uur gemeld (de verwerkingsverantwoordelijke zelf heeft "
                "72 uur voor de toezichthouder)."
            ),
            "breach_notice_hours",
        )
    error = enterprise_number_error(values["enterprise_number"])
    if error:
        raise Invalid(_(error), "enterprise_number")
    error = window_error(values["default_window_days"], values["default_window_unit"])
    if error:
        raise Invalid(_(error), "default_window_days")
    for key, field in (("cap_total_cents", "cap_total"), ("cap_other_cents", "cap_other")):
        error = cap_error(values[key])
        if error:
            raise Invalid(_(error), field)


def save_profile(values: dict, *, actor, now: datetime) -> ProcessorProfile:
    """Create or update the profile from `values` (keys of PROFILE_FIELDS)."""
    values = {k: values[k] if k in values else PROFILE_DEFAULTS[k] for k in PROFILE_FIELDS}
    _check(values)
    values["enterprise_number"] = normalize_enterprise_number(values["enterprise_number"])
    profile = get_profile()
    before = {k: getattr(profile, k) for k in PROFILE_FIELDS} if profile else None
    if profile is None:
        profile = ProcessorProfile()
        db.session.add(profile)
    for key, value in values.items():
        setattr(profile, key, value)
    db.session.flush()
    audit.record(
        at=now,
        actor=actor,
        object_type="processor",
        object_id=profile.id,
        action="updated" if before else "created",
        before=before,
        after=values,
    )
    return profile


def list_services() -> Sequence[Service]:
    return db.session.scalars(db.select(Service).order_by(Service.name)).all()


def _service_translations(name_fr: str, name_en: str) -> dict | None:
    names = {}
    for language, value in (("fr", name_fr), ("en", name_en)):
        value = (value or "").strip() if isinstance(value, str) else ""
        error = name_error(value)
        if error or len(value) > 120:
            raise Invalid(_(error) if error else _("De naam is te lang (hoogstens 120 tekens)."), f"name_{language}")
        if value:
            names[language] = {"name": value}
    return names or None


def add_service(code: str, name: str, *, actor, now: datetime, name_fr: str = "", name_en: str = "") -> Service:
    """Add a service (with its French and English names, optional)."""
    code = (code or "").strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_-]{1,39}", code):
        raise Invalid(_("Een code bestaat uit 2 tot 40 kleine letters, cijfers, - of _."), "code")
    if not (name or "").strip():
        raise Invalid(_("Geef de dienst een naam."), "name")
    error = name_error(name)
    if error or len(name) > 120:
        raise Invalid(_(error) if error else _("De naam is te lang (hoogstens 120 tekens)."), "name")
    if db.session.scalar(db.select(Service).where(Service.code == code)):
        raise Invalid(_("Deze code bestaat al."), "code")
    service = Service(code=code, name=name.strip(), translations=_service_translations(name_fr, name_en))
    db.session.add(service)
    db.session.flush()
    audit.record(
        at=now,
        actor=actor,
        object_type="service",
        object_id=service.id,
        action="created",
        after={"code": code, "name": service.name, "translations": service.translations},
    )
    return service


def name_service(service: Service, *, name_fr: str, name_en: str, actor, now: datetime) -> Service:
    """Set the French and English names of a service (empty: the Dutch name, marked)."""
    before = service.translations
    service.translations = _service_translations(name_fr, name_en)
    audit.record(
        at=now,
        actor=actor,
        object_type="service",
        object_id=service.id,
        action="translated",
        before={"translations": before},
        after={"translations": service.translations},
    )
    return service
