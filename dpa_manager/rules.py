"""Pure rules: identifiers, windows, the Art. 28(3) checklist and state transitions.

Nothing here touches Flask, the database or the clock.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date

# --- Belgian enterprise numbers -------------------------------------------------------

_NON_DIGITS = re.compile(r"[\s.\-/]")


def normalize_enterprise_number(raw: str) -> str:
    """Return the ten digits of an enterprise number as typed (dots, spaces and a BE prefix allowed)."""
    value = _NON_DIGITS.sub("", (raw or "").strip().upper())
    if value.startswith("BE"):
        value = value[2:]
    return value


def enterprise_number_error(raw: str) -> str | None:
    """Return why `raw` is not a valid Belgian enterprise number, or None when it is."""
    digits = normalize_enterprise_number(raw)
    if not digits:
        return "Vul een ondernemingsnummer in."
    if not digits.isdigit() or len(digits) != 10:
        return "Een ondernemingsnummer telt 10 cijfers, bv. 0427.073.974."
    if digits[0] not in "01":
        return "Een ondernemingsnummer begint met 0 of 1."
    if 97 - int(digits[:8]) % 97 != int(digits[8:]):
        return "Dit ondernemingsnummer klopt niet (controlegetal mod 97)."
    return None


def format_enterprise_number(digits: str) -> str:
    """Return the ten digits as 0427.073.974."""
    if len(digits) != 10:
        return digits
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


# --- Objection windows and amounts -----------------------------------------------------

WINDOW_UNITS = {"calendar": ("kalenderdag", "kalenderdagen"), "working": ("werkdag", "werkdagen")}
MIN_WINDOW_DAYS = 1
MAX_WINDOW_DAYS = 90


def window_error(days: int | None, unit: str | None) -> str | None:
    """Return why an objection window is not acceptable, or None."""
    if unit not in WINDOW_UNITS:
        return "Kies kalenderdagen of werkdagen."
    if days is None or not MIN_WINDOW_DAYS <= days <= MAX_WINDOW_DAYS:
        return f"De bezwaartermijn telt minstens {MIN_WINDOW_DAYS} en hoogstens {MAX_WINDOW_DAYS} dagen."
    return None


def cap_error(cents: int | None) -> str | None:
    """Return why a liability cap (in cents) is not acceptable, or None."""
    if cents is None or cents < 0:
        return "Een plafond is nul of meer."
    return None


def describe_window(days: int, unit: str) -> str:
    """Return '7 kalenderdagen' or '1 werkdag'."""
    singular, plural = WINDOW_UNITS[unit]
    return f"{days} {singular if days == 1 else plural}"


def format_eur(cents: int) -> str:
    """Return an amount in cents the Belgian way: '€ 2.500' or '€ 2.500,50'."""
    euros, rest = divmod(abs(cents), 100)
    text = f"{euros:,}".replace(",", ".")
    if rest:
        text += f",{rest:02d}"
    return f"€ {'-' if cents < 0 else ''}{text}"


# --- Agreement states ------------------------------------------------------------------


class AgreementState(str, enum.Enum):
    DRAFT = "draft"
    SENT = "sent"
    SIGNED = "signed"
    SUPERSEDED = "superseded"
    TERMINATED = "terminated"

    @property
    def label(self) -> str:
        return AGREEMENT_STATE_LABELS[self]


AGREEMENT_STATE_LABELS = {
    AgreementState.DRAFT: "Concept",
    AgreementState.SENT: "Ter ondertekening",
    AgreementState.SIGNED: "Ondertekend",
    AgreementState.SUPERSEDED: "Vervangen",
    AgreementState.TERMINATED: "Beëindigd",
}

#: Every allowed move of an agreement, and nothing else.
AGREEMENT_TRANSITIONS = {
    AgreementState.DRAFT: {AgreementState.SENT},
    AgreementState.SENT: {AgreementState.DRAFT, AgreementState.SIGNED},
    AgreementState.SIGNED: {AgreementState.SUPERSEDED, AgreementState.TERMINATED},
    AgreementState.SUPERSEDED: set(),
    AgreementState.TERMINATED: set(),
}


class TransitionError(ValueError):
    """A state change that the rules do not allow."""


def check_transition(current: AgreementState, target: AgreementState) -> None:
    """Raise TransitionError unless an agreement may move from `current` to `target`."""
    if target not in AGREEMENT_TRANSITIONS[AgreementState(current)]:
        raise TransitionError(
            f"Een overeenkomst met status '{AgreementState(current).label}' kan niet naar "
            f"'{AgreementState(target).label}'."
        )


# --- The Art. 28(3) checklist ----------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    #: Where the element lives: "particulars" (filled in per agreement), "terms" (an article) or both.
    source: str


CHECKLIST = (
    ChecklistItem("subject_duration", "Onderwerp en duur van de verwerking", "particulars"),
    ChecklistItem("nature_purpose", "Aard en doel van de verwerking", "particulars"),
    ChecklistItem("data_types", "Soorten persoonsgegevens", "particulars"),
    ChecklistItem("data_subjects", "Categorieën van betrokkenen", "particulars"),
    ChecklistItem("controller_duties", "Rechten en plichten van de verwerkingsverantwoordelijke", "terms"),
    ChecklistItem("instructions", "Verwerking enkel op gedocumenteerde instructies (ook doorgiften)", "terms"),
    ChecklistItem("confidentiality", "Geheimhoudingsplicht van wie de gegevens verwerkt", "terms"),
    ChecklistItem("security", "Beveiligingsmaatregelen (art. 32) en bijlage III", "both"),
    ChecklistItem("subprocessors", "Voorwaarden voor subverwerkers, melding en bezwaartermijn", "both"),
    ChecklistItem("data_subject_requests", "Bijstand bij verzoeken van betrokkenen", "terms"),
    ChecklistItem("assistance", "Bijstand bij art. 32–36 (beveiliging, datalekken, GEB)", "terms"),
    ChecklistItem("end_of_processing", "Teruggave of wissing aan het einde", "both"),
    ChecklistItem("audits", "Informatie om naleving aan te tonen, audits en inspecties", "terms"),
    ChecklistItem("unlawful_instruction", "Melding van een instructie die de wet schendt", "terms"),
    ChecklistItem("subprocessor_obligations", "Dezelfde plichten voor subverwerkers, volle aansprakelijkheid", "terms"),
)
CHECKLIST_KEYS = frozenset(item.key for item in CHECKLIST)
END_CHOICES = {
    "return": "de persoonsgegevens terug te bezorgen",
    "delete": "de persoonsgegevens te vernietigen",
}


def _filled(value) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)


def _particulars_ok(key: str, agreement) -> bool:
    """Tell whether the agreement's own particulars supply checklist element `key`."""
    if key == "subject_duration":
        return _filled(agreement.subject_matter) and agreement.starts_on is not None and (
            agreement.ends_on is None or agreement.ends_on >= agreement.starts_on
        )
    if key == "nature_purpose":
        return _filled(agreement.nature_purpose)
    if key == "data_types":
        return _filled(agreement.data_types)
    if key == "data_subjects":
        return _filled(agreement.data_subjects)
    if key == "security":
        return _filled(agreement.toms)
    if key == "subprocessors":
        return window_error(agreement.window_days, agreement.window_unit) is None
    if key == "end_of_processing":
        return agreement.end_choice in END_CHOICES
    return True


def checklist(agreement, covered: set[str]) -> list[tuple[ChecklistItem, bool]]:
    """Return each Art. 28(3) element with whether the agreement covers it.

    `agreement` has the particulars as attributes; `covered` holds the checklist keys
    that the articles of its terms version cover.
    """
    result = []
    for item in CHECKLIST:
        ok = True
        if item.source in ("particulars", "both"):
            ok = _particulars_ok(item.key, agreement)
        if item.source in ("terms", "both"):
            ok = ok and item.key in covered
        result.append((item, ok))
    return result


def missing_elements(agreement, covered: set[str]) -> list[ChecklistItem]:
    """Return the checklist elements the agreement does not cover."""
    return [item for item, ok in checklist(agreement, covered) if not ok]


def describe_missing(missing: list[ChecklistItem]) -> str:
    """Return one sentence that names what is missing."""
    return "De overeenkomst is onvolledig; ontbreekt: " + "; ".join(i.label.lower() for i in missing) + "."


def duration_text(starts_on: date | None, ends_on: date | None) -> str:
    """Return the duration in words, as the agreement states it."""
    start = starts_on.strftime("%d/%m/%Y") if starts_on else "…"
    if ends_on is None:
        return f"vanaf {start}, voor de duur van de dienstverleningsovereenkomst"
    return f"van {start} tot en met {ends_on.strftime('%d/%m/%Y')}"
