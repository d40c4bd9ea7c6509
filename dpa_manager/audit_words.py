"""What an audit event records, in words for a person: "Status: open; Einde termijn: 30/11/2026 23:59".

The event itself keeps its codes and ISO times (they are hashed into the chain and must not change); the
audit page and histories show them through here. A form's own fields are named by the form's labels; the
other keys an event may hold are named below (a test checks that every key written anywhere has words).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from .agreements.forms import AgreementForm
from .catalogue import DATA_CATEGORIES, LANGUAGES, SUBPROCESSOR_KINDS
from .clients.forms import ClientForm
from .formatting import format_date, format_datetime
from .i18n import current as current_language
from .labels import (
    CHANGE_KINDS,
    CHANGE_STATES,
    CHANNELS,
    DOCUMENT_STATES,
    NOTICE_STATES,
    OUTBOX_STATES,
    SUBPROCESSOR_STATUSES,
    TRANSFERS,
)
from .processor.forms import ProfileForm
from .subprocessors.forms import SubProcessorForm

#: The keys events hold beside a form's fields.
KEYS = {
    "addresses": _l("Adressen"),
    "agreement": _l("Overeenkomst"),
    "already_accepted": _l("Al aanvaard"),
    "amendment": _l("Nieuwe voorwaarden"),
    "amendment_notice": _l("Melding"),
    "articles": _l("Artikels"),
    "body_sha256": _l("SHA-256 van de tekst"),
    "bounce": _l("Bericht van niet-bezorging"),
    "bounced": _l("Niet bezorgd aan"),
    "by": _l("Vervangen door"),
    "cap_other_cents": _l("Plafond, andere schade"),
    "cap_total_cents": _l("Plafond, totaal"),
    "certificate": _l("Certificaat van de handtekening"),
    "client_admin": _l("Beheert de gebruikers"),
    "channel": _l("Kanaal"),
    "event_hash": _l("Hash van de verankerde gebeurtenis"),
    "client_id": _l("Klant"),
    "closes_at": _l("Einde termijn"),
    "code": _l("Code"),
    "concluded_by": _l("Gesloten door"),
    "effective_at": _l("Van kracht sinds"),
    "effective_on": _l("Geplande ingang"),
    "email": _l("E-mailadres"),
    "ended_assignments": _l("Beëindigd voor klanten"),
    "ended_at": _l("Beëindigd op"),
    "for_client": _l("Voor klant"),
    "gets_notices": _l("Krijgt de meldingen"),
    "imported_from": _l("Geïmporteerd uit"),
    "special_categories": _l("Bijzondere categorieën (art. 9 AVG)"),
    "kind": _l("Soort"),
    "label": _l("Naam"),
    "may_sign": _l("Mag ondertekenen"),
    "last_error": _l("Laatste fout"),
    "name": _l("Naam"),
    "notice": _l("Melding"),
    "notices": _l("Meldingen"),
    "not_acted_on": _l("Gemeld maar niet toegepast voor"),
    "notified_at": _l("Verwittigd op"),
    "on": _l("Op"),
    "proofs": _l("Bewijsstukken"),
    "reason": _l("Reden"),
    "received_at": _l("Ontvangen op"),
    "recipients": _l("Ontvangers"),
    "signed_on": _l("Ondertekend buiten de app op"),
    "signed_pdf": _l("Ondertekende PDF"),
    "refused": _l("Geweigerd"),
    "replaces": _l("Vervangt"),
    "replaces_id": _l("Vervangt"),
    "resolution": _l("Afhandeling"),
    "restored_subprocessor": _l("Opnieuw in gebruik"),
    "role": _l("Rol"),
    "services": _l("Diensten"),
    "session": _l("Sessie"),
    "sessions": _l("Afgemelde sessies"),
    "sha256": _l("SHA-256"),
    "signed_pdf_sha256": _l("SHA-256 van de PDF die de klant ondertekende"),
    "signed_sha256": _l("SHA-256 van de ondertekende PDF"),
    "stamped_at": _l("Tijdstempel"),
    "state": _l("Status"),
    "stated_closes_at": _l("Sluiting vermeld in de e-mail"),
    "status": _l("Status"),
    "token_sha256": _l("SHA-256 van het tijdstempel"),
    "subprocessor_id": _l("Subverwerker"),
    "takes_effect": _l("Gaat in op"),
    "terms": _l("Voorwaarden"),
    "token_id": _l("Token"),
    "token_start": _l("Token begint met"),
    "tokens": _l("Ingetrokken tokens"),
    "translations": _l("Vertalingen"),
    "was_applied": _l("Was ingegaan op"),
    "why": _l("Waarom"),
    "window": _l("Termijn"),
    "withdrawn_notices": _l("Ingetrokken meldingen"),
}
#: The reasons the code writes into events (in English, as recorded), as a person reads them.
REASONS = {
    "bounce": _l("een bericht van niet-bezorging (bounce)"),
    "an earlier acceptance of the notice e-mail was recorded": _l(
        "een eerdere aanvaarding van de e-mail werd geregistreerd"
    ),
    "no agreement in force on an older version": _l("geen lopende overeenkomst op een oudere versie"),
    "objection received in time": _l("bezwaar tijdig ontvangen"),
    "stated in the notice e-mail": _l("vermeld in de e-mail van de melding"),
}
OTHER_VALUES = {
    "resolution": {
        "cancelled": _l("ingetrokken"),
        "change_withdrawn": _l("wijziging voor deze klant ingetrokken"),
        "objection_withdrawn": _l("bezwaar ingetrokken"),
        "service_ended": _l("dienstverlening beëindigd"),
    },
    "concluded_by": {
        "acceptance": _l("aanvaarding van nieuwe voorwaarden"),
        "signatures": _l("handtekeningen"),
        "silence": _l("stilzwijgende aanvaarding van nieuwe voorwaarden"),
        "outside": _l("handtekeningen buiten de app"),
    },
    "role": {"manager": _l("accountmanager"), "client": _l("gebruiker van de klant")},
}
STATES = {
    "notice": NOTICE_STATES,
    "change": CHANGE_STATES,
    "agreement": DOCUMENT_STATES,
    "terms": DOCUMENT_STATES,
    "subprocessor": SUBPROCESSOR_STATUSES,
    "outbox": OUTBOX_STATES,
}
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
_DAY = re.compile(r"\d{4}-\d\d-\d\d$")


def form_labels() -> dict[str, object]:
    """The labels of the fields of the forms whose values events record (clients, sub-processors, agreements,
    the processor's profile)."""
    labels: dict[str, object] = {}
    for form in (ClientForm, SubProcessorForm, AgreementForm, ProfileForm):
        for name in dir(form):
            field = getattr(form, name)
            if hasattr(field, "field_class"):
                labels.setdefault(name, field.args[0] if field.args else field.kwargs.get("label", name))
    return labels


_labels: dict[str, object] | None = None


def key_words(key: str) -> str:
    global _labels
    if _labels is None:
        _labels = form_labels()
    return str(KEYS.get(key) or _labels.get(key) or key.replace("_", " "))


def value_words(object_type: str, key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("ja") if value else gettext("nee")
    if key in ("state", "status") and isinstance(value, str):
        return str(STATES.get(object_type, {}).get(value, value))
    if key == "why" and value in REASONS:
        return str(REASONS[value])
    if key in OTHER_VALUES and value in OTHER_VALUES[key]:
        return str(OTHER_VALUES[key][value])
    if key == "channel":
        return str(CHANNELS.get(value, value))
    if key == "language":
        return str(LANGUAGES.get(value, value))
    if key == "kind":
        return str((CHANGE_KINDS if object_type == "change" else SUBPROCESSOR_KINDS).get(value, value))
    if key == "transfer_mechanism":
        return str(TRANSFERS.get(value, value))
    if key in ("data_categories",) and isinstance(value, list):
        return ", ".join(str(DATA_CATEGORIES.get(v, v)) for v in value)
    if isinstance(value, str) and _INSTANT.match(value):
        try:
            return format_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str) and _DAY.match(value):
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return ", ".join(sorted(str(k) for k in value)) or "—"
    if isinstance(value, list):
        return ", ".join(value_words(object_type, "", v) for v in value) or "—"
    return str(value)


def event_details(event) -> str:
    """Return what the event recorded after it happened, in words: "Label: value; …" (empty when nothing)."""
    after = event.after if isinstance(event.after, dict) else {}
    # French sets a narrow no-break space before the colon and the semicolon
    space = "\u202f" if current_language() == "fr" else ""
    return f"{space}; ".join(f"{key_words(k)}{space}: {value_words(event.object_type, k, v)}" for k, v in after.items())
