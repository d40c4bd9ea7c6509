"""Pure rules: identifiers, windows, the Art. 28(3) checklist and state transitions.

Nothing here touches Flask, the database or the clock.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# --- Belgian enterprise numbers -------------------------------------------------------

_NON_DIGITS = re.compile(r"[\s.\-/]")


def N_(text: str) -> str:
    """Mark a Dutch text for the catalogues; callers translate it when they show it (rules stay free of Flask)."""
    return text


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
        return N_("Vul een ondernemingsnummer in.")
    if not (digits.isascii() and digits.isdigit()) or len(digits) != 10:
        return N_("Een ondernemingsnummer telt 10 cijfers, bv. 0427.073.974.")
    if digits[0] not in "01":
        return N_("Een ondernemingsnummer begint met 0 of 1.")
    if 97 - int(digits[:8]) % 97 != int(digits[8:]):
        return N_("Dit ondernemingsnummer klopt niet (controlegetal mod 97).")
    return None


def format_enterprise_number(digits: str) -> str:
    """Return the ten digits as 0427.073.974."""
    if len(digits) != 10:
        return digits
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


# --- Names -----------------------------------------------------------------------------------------

#: Characters that reorder the text around them (bidirectional embeddings, overrides and isolates):
#: in a name they can make "Klant.exe" read as something else.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Characters that end a line where a name must stay one line (in an e-mail header above all).
LINE_BREAKS = frozenset("\u0085\u2028\u2029")


#: The longest name, in characters (the columns hold 200).
NAME_MAX = 200


def name_error(value: str) -> str | None:
    """Return why `value` cannot be a name (of a client, sub-processor, processor, person or service), or None.

    A name is one line of visible text: no control characters (CR, LF, TAB, NUL, ...), no line or paragraph
    separators and no bidirectional overrides, at most NAME_MAX characters.
    """
    import unicodedata

    if any(unicodedata.category(ch) == "Cc" or ch in LINE_BREAKS for ch in value):
        return N_("Een naam staat op één regel, zonder regeleinden, tabs of andere stuurtekens.")
    if any(ch in BIDI_CONTROLS for ch in value):
        return N_("Een naam mag geen tekens bevatten die de leesrichting omkeren.")
    if len(value) > NAME_MAX:
        return N_("De naam is te lang (hoogstens 200 tekens).")
    return None


# --- How an e-mail addresses its reader ---------------------------------------------------

#: The ways a person can choose to be addressed: with the full name, formally with their surname, or by their first
#: name. The texts are msgids; an e-mail renders them in its language ("Chère Madame Janssens", "Dear Els").
SALUTATIONS = {
    "full_name": N_("Geachte %(name)s,"),
    "ms": N_("Geachte mevrouw %(name)s,"),
    "mr": N_("Geachte heer %(name)s,"),
    "first_name": N_("Beste %(name)s,"),
}
#: For a reader whose name is not known (a subscriber, several managers).
NO_NAME_SALUTATION = N_("Geachte heer, mevrouw,")


def salutation_error(style: str, name: str) -> str | None:
    """Return why a chosen salutation cannot be used, or None: a known style, and for all but the full name, the
    name it goes with (a surname for "ms" and "mr", a first name for "first_name"), one line of text."""
    if style not in SALUTATIONS:
        return N_("Kies een aanspreking.")
    if style != "full_name" and not name.strip():
        return N_("Vul de naam in die bij de aanspreking hoort (bv. Janssens, of Els).")
    if len(name) > 100:
        return N_("Hoogstens 100 tekens.")
    return name_error(name)


def salutation(style: str | None, name: str | None, full_name: str | None) -> tuple[str, dict]:
    """Return the salutation of an e-mail (a msgid and its values): the chosen style with its name; the full name
    when the style needs a name that is missing; no name at all when none is known."""
    name, full_name = " ".join((name or "").split()), " ".join((full_name or "").split())
    if style in SALUTATIONS and style != "full_name" and name:
        return SALUTATIONS[style], {"name": name}
    if full_name:
        return SALUTATIONS["full_name"], {"name": full_name}
    return NO_NAME_SALUTATION, {}


# --- Objection windows and amounts -----------------------------------------------------

WINDOW_UNITS = {"calendar": ("kalenderdag", "kalenderdagen"), "working": ("werkdag", "werkdagen")}
MIN_WINDOW_DAYS = 1
MAX_WINDOW_DAYS = 90
#: The numbers are MIN_WINDOW_DAYS and MAX_WINDOW_DAYS (a test keeps them equal).
WINDOW_RANGE = N_("De bezwaartermijn telt minstens 1 en hoogstens 90 dagen.")


#: The shortest objection window that leaves a client time to object in practice, per unit.
SHORTEST_WINDOW = {"calendar": 7, "working": 3}


def period_error(days: int | None, unit: str | None) -> str | None:
    """Return why a period cannot be counted (unknown unit, or outside 1 to 90 days), or None."""
    if unit not in WINDOW_UNITS:
        return N_("Kies kalenderdagen of werkdagen.")
    if days is None or not MIN_WINDOW_DAYS <= days <= MAX_WINDOW_DAYS:
        return WINDOW_RANGE
    return None


def window_error(days: int | None, unit: str | None) -> str | None:
    """Return why an objection window is not acceptable, or None.

    Besides a countable period, it must be at least 7 calendar days or 3 working days: an objection has
    to be possible in practice (a client reads its mail, asks its own DPO, answers).
    """
    error = period_error(days, unit)
    if error:
        return error
    if days is None or unit is None:  # refused by period_error already; said again for the type checker
        return WINDOW_RANGE
    if days < SHORTEST_WINDOW[unit]:
        return N_(
            "Een bezwaartermijn korter dan 7 kalenderdagen of 3 werkdagen laat de klant in de praktijk geen "
            "tijd om bezwaar te maken."
        )
    return None


def cap_error(cents: int | None) -> str | None:
    """Return why a liability cap (in cents) is not acceptable, or None."""
    if cents is None or cents < 0:
        return N_("Een plafond is nul of meer.")
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


class AgreementState(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    SIGNED = "signed"
    SUPERSEDED = "superseded"
    TERMINATED = "terminated"
    #: Came about by a deemed acceptance that an objection received in time, recorded later, undid.
    ANNULLED = "annulled"

    @property
    def label(self) -> str:
        return AGREEMENT_STATE_LABELS[self]


AGREEMENT_STATE_LABELS = {
    AgreementState.DRAFT: N_("Concept"),
    AgreementState.SENT: N_("Ter ondertekening"),
    AgreementState.SIGNED: N_("Ondertekend"),
    AgreementState.SUPERSEDED: N_("Vervangen"),
    AgreementState.TERMINATED: N_("Beëindigd"),
    AgreementState.ANNULLED: N_("Vervallen"),
}

#: Every allowed move of an agreement, and nothing else.
AGREEMENT_TRANSITIONS = {
    AgreementState.DRAFT: {AgreementState.SENT},
    AgreementState.SENT: {AgreementState.DRAFT, AgreementState.SIGNED},
    AgreementState.SIGNED: {AgreementState.SUPERSEDED, AgreementState.TERMINATED, AgreementState.ANNULLED},
    # Back in force only when the deemed acceptance that superseded it is undone (amendments.services.revert_accepted).
    AgreementState.SUPERSEDED: {AgreementState.SIGNED},
    AgreementState.TERMINATED: set(),
    AgreementState.ANNULLED: set(),
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
    ChecklistItem("subject_duration", N_("Onderwerp en duur van de verwerking"), "particulars"),
    ChecklistItem("nature_purpose", N_("Aard en doel van de verwerking"), "particulars"),
    ChecklistItem("data_types", N_("Soorten persoonsgegevens"), "particulars"),
    ChecklistItem("data_subjects", N_("Categorieën van betrokkenen"), "particulars"),
    ChecklistItem("controller_duties", N_("Rechten en plichten van de verwerkingsverantwoordelijke"), "terms"),
    ChecklistItem("instructions", N_("Verwerking enkel op gedocumenteerde instructies (ook doorgiften)"), "terms"),
    ChecklistItem("confidentiality", N_("Geheimhoudingsplicht van wie de gegevens verwerkt"), "terms"),
    ChecklistItem("security", N_("Beveiligingsmaatregelen (art. 32) en bijlage III"), "both"),
    ChecklistItem("subprocessors", N_("Voorwaarden voor subverwerkers, melding en bezwaartermijn"), "both"),
    ChecklistItem("data_subject_requests", N_("Bijstand bij verzoeken van betrokkenen"), "terms"),
    ChecklistItem("assistance", N_("Bijstand bij art. 32–36 (beveiliging, datalekken, GEB)"), "terms"),
    ChecklistItem("end_of_processing", N_("Teruggave of wissing aan het einde"), "both"),
    ChecklistItem("audits", N_("Informatie om naleving aan te tonen, audits en inspecties"), "terms"),
    ChecklistItem("unlawful_instruction", N_("Melding van een instructie die de wet schendt"), "terms"),
    ChecklistItem(
        "subprocessor_obligations", N_("Dezelfde plichten voor subverwerkers, volle aansprakelijkheid"), "terms"
    ),
)
CHECKLIST_KEYS = frozenset(item.key for item in CHECKLIST)
#: What an article may say it covers besides the checklist: the clause that lets the terms be amended by
#: notice and silence. Without it an agreement cannot be amended by silence, only signed anew.
AMENDMENT_CLAUSE = "amendments"
COVER_KEYS = CHECKLIST_KEYS | {AMENDMENT_CLAUSE}
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
        return (
            _filled(agreement.subject_matter)
            and agreement.starts_on is not None
            and (agreement.ends_on is None or agreement.ends_on >= agreement.starts_on)
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


def duration_text(starts_on: date | None, ends_on: date | None) -> str:
    """Return the duration in words, as the agreement states it."""
    start = starts_on.strftime("%d/%m/%Y") if starts_on else "…"
    if ends_on is None:
        return f"vanaf {start}, voor de duur van de dienstverleningsovereenkomst"
    return f"van {start} tot en met {ends_on.strftime('%d/%m/%Y')}"


# --- Counting a period under Belgian law -------------------------------------------------

BRUSSELS = ZoneInfo("Europe/Brussels")
#: Days before the window closes that an unanswered notice is reminded.
REMINDER_DAYS_BEFORE = 2


@lru_cache(maxsize=64)
def _belgian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("BE", years=year))


def is_working_day(day: date) -> bool:
    """Tell whether `day` is Monday to Friday and not a Belgian public holiday."""
    return day.weekday() < 5 and day not in _belgian_holidays(day.year)


def last_day_of_period(start_day: date, days: int, unit: str) -> date:
    """Return the last day of a period of `days` that starts with the event on `start_day`.

    The day of the event is not counted. In calendar days the period includes weekends and
    holidays, but a last day that is not a working day moves to the next working day. In
    working days only working days are counted, so the last day is always one.
    """
    if period_error(days, unit) is not None:
        raise ValueError(f"invalid period: {days} {unit}")
    day = start_day
    if unit == "calendar":
        day = start_day + timedelta(days=days)
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def objection_closes_at(notified_at: datetime, days: int, unit: str) -> datetime:
    """Return the instant (aware, UTC) at which an objection window closes.

    The window starts when the client was notified; it closes at 00:00 Europe/Brussels
    after the last day of the period. An objection counts when received strictly before.
    """
    if notified_at.tzinfo is None:
        raise ValueError("notified_at must be an aware datetime")
    start_day = notified_at.astimezone(BRUSSELS).date()
    after_last = last_day_of_period(start_day, days, unit) + timedelta(days=1)
    return datetime.combine(after_last, time(0), tzinfo=BRUSSELS).astimezone(UTC)


def applied_closes_at(notified_at: datetime, days: int, unit: str, stated: datetime | None) -> datetime:
    """Return the closing moment that applies: the rule's from `notified_at`, never earlier than what was stated.

    `stated` is the latest closing moment the client was told (in the notice e-mail, or on the portal page);
    a client is never held to a shorter window than the one it read, and never to a shorter one than the law's.
    """
    by_rule = objection_closes_at(notified_at, days, unit)
    return max(by_rule, stated) if stated is not None else by_rule


def objection_in_time(received_at: datetime, closes_at: datetime) -> bool:
    """Tell whether an objection received at `received_at` counts."""
    return received_at < closes_at


def reminder_at(notified_at: datetime, closes_at: datetime) -> datetime | None:
    """Return when to remind an unanswered notice (two days before closing), or None if too late."""
    local_close = closes_at.astimezone(BRUSSELS)
    local_day = local_close.date() - timedelta(days=REMINDER_DAYS_BEFORE)
    at = datetime.combine(local_day, time(0), tzinfo=BRUSSELS).astimezone(UTC)
    return at if at > notified_at else None


# --- Notices -------------------------------------------------------------------------------


class NoticeState(enum.StrEnum):
    AWAITING_DELIVERY = "awaiting_delivery"
    OPEN = "open"
    INFORMED = "informed"
    OBJECTED = "objected"
    APPROVED = "approved"
    DEEMED_APPROVED = "deemed_approved"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return NOTICE_STATE_LABELS[self]


NOTICE_STATE_LABELS = {
    NoticeState.AWAITING_DELIVERY: N_("Wacht op levering"),
    NoticeState.OPEN: N_("Bezwaartermijn loopt"),
    NoticeState.INFORMED: N_("Ter informatie"),
    NoticeState.OBJECTED: N_("Bezwaar"),
    NoticeState.APPROVED: N_("Goedgekeurd"),
    NoticeState.DEEMED_APPROVED: N_("Goedgekeurd door stilzwijgen"),
    NoticeState.WITHDRAWN: N_("Ingetrokken"),
}

#: Every allowed move of a notice. An informational notice goes to INFORMED when delivered;
#: one with a window goes to OPEN, and only an open notice can be deemed approved. A deemed approval
#: gives way to an objection or approval that was received before the window closed and recorded after
#: (see answer_error): silence was never the client's answer. A notice whose e-mail bounced goes back to
#: AWAITING_DELIVERY when no copy reached the client, or its window is counted again from the copy that did
#: (see after_bounce): a deemed approval gives way then too.
NOTICE_TRANSITIONS = {
    NoticeState.AWAITING_DELIVERY: {NoticeState.OPEN, NoticeState.INFORMED, NoticeState.WITHDRAWN},
    NoticeState.OPEN: {
        NoticeState.OBJECTED,
        NoticeState.APPROVED,
        NoticeState.DEEMED_APPROVED,
        NoticeState.WITHDRAWN,
        NoticeState.AWAITING_DELIVERY,
    },
    NoticeState.OBJECTED: {NoticeState.APPROVED, NoticeState.WITHDRAWN},
    NoticeState.INFORMED: {NoticeState.AWAITING_DELIVERY},
    NoticeState.APPROVED: set(),
    NoticeState.DEEMED_APPROVED: {
        NoticeState.OBJECTED,
        NoticeState.APPROVED,
        NoticeState.AWAITING_DELIVERY,
        NoticeState.OPEN,
    },
    NoticeState.WITHDRAWN: set(),
}
#: States in which the change takes effect for the client on its effective date.
NOTICE_STATES_THAT_APPLY = frozenset({NoticeState.APPROVED, NoticeState.DEEMED_APPROVED, NoticeState.INFORMED})
#: States in which the notice still waits for something.
NOTICE_STATES_PENDING = frozenset({NoticeState.AWAITING_DELIVERY, NoticeState.OPEN, NoticeState.OBJECTED})


def check_notice_transition(current: str, target: str) -> None:
    """Raise TransitionError unless a notice may move from `current` to `target`."""
    if NoticeState(target) not in NOTICE_TRANSITIONS[NoticeState(current)]:
        raise TransitionError(
            f"Een melding met status '{NoticeState(current).label}' kan niet naar '{NoticeState(target).label}'."
        )


# --- Bounces: a copy of a notice e-mail that did not reach its address ----------------------------------


@dataclass(frozen=True)
class Copy:
    """One copy of a notice e-mail that the processor's mail server accepted for one address of the client."""

    accepted_at: datetime
    #: The closing moment the copy stated (None: it stated none).
    stated_closes_at: datetime | None
    #: A delivery status notification said it never reached the address (a permanent failure).
    bounced: bool


def told_by(copies: list[Copy], first_opened_at: datetime | None) -> tuple[datetime | None, datetime | None]:
    """Return when the client was told and the latest closing moment it was told, counting only what reached it.

    Told: the earliest copy that did not bounce, or the first opening of the notice in the portal, whichever came
    first (None: neither). Stated: the latest closing moment a copy that did not bounce stated (None: none did).
    """
    reached = [copy for copy in copies if not copy.bounced]
    moments = [copy.accepted_at for copy in reached] + ([first_opened_at] if first_opened_at else [])
    stated = [copy.stated_closes_at for copy in reached if copy.stated_closes_at is not None]
    return (min(moments) if moments else None), (max(stated) if stated else None)


def after_bounce(
    *,
    state: str,
    needs_approval: bool,
    notified_at: datetime | None,
    decided_at: datetime | None,
    days: int,
    unit: str,
    told: datetime | None,
    stated: datetime | None,
) -> tuple[NoticeState, dict] | None:
    """Return the notice's state and values once a copy of its e-mail bounced, or None when nothing changes.

    `told` and `stated` are what told_by() finds once the bounce is counted. A notice the client answered (or that
    was withdrawn, or still waits) is not touched. When nothing reached the client, the notice waits for delivery
    again: its window and any deemed approval are undone, and the next copy that reaches it starts a new one.
    When a later copy (or the portal) did reach it, the window counts from then: an open window moves, and a deemed
    approval whose window now closes after it was recorded was premature and gives way to the open window.
    """
    current = NoticeState(state)
    if current not in (NoticeState.OPEN, NoticeState.DEEMED_APPROVED, NoticeState.INFORMED) or notified_at is None:
        return None
    if told is None:
        return NoticeState.AWAITING_DELIVERY, {
            "notified_at": None,
            "closes_at": None,
            "stated_closes_at": None,
            "remind_at": None,
            "decided_at": None,
        }
    if told <= notified_at:
        return None
    if not needs_approval:
        return NoticeState.INFORMED, {"notified_at": told}
    closes_at = applied_closes_at(told, days, unit, stated)
    values = {"notified_at": told, "closes_at": closes_at, "stated_closes_at": stated or closes_at}
    if current == NoticeState.DEEMED_APPROVED and decided_at is not None and closes_at <= decided_at:
        return NoticeState.DEEMED_APPROVED, values
    return NoticeState.OPEN, values | {"remind_at": reminder_at(told, closes_at), "decided_at": None}


# --- The register and the outbox ------------------------------------------------------------------


class SubProcessorStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return SUBPROCESSOR_STATUS_LABELS[self]


SUBPROCESSOR_STATUS_LABELS = {
    SubProcessorStatus.PROPOSED: N_("Voorgesteld"),
    SubProcessorStatus.ACTIVE: N_("In gebruik"),
    SubProcessorStatus.RETIRED: N_("Niet meer in gebruik"),
}
#: A proposed entry comes into use by an announced change; one in use is retired by a removal or replacement, and
#: is back in use when the replacement is undone for a client whose objection came in time.
SUBPROCESSOR_TRANSITIONS = {
    SubProcessorStatus.PROPOSED: {SubProcessorStatus.ACTIVE},
    SubProcessorStatus.ACTIVE: {SubProcessorStatus.RETIRED},
    SubProcessorStatus.RETIRED: {SubProcessorStatus.ACTIVE},
}


class ChangeState(enum.StrEnum):
    DRAFT = "draft"
    ANNOUNCED = "announced"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return CHANGE_STATE_LABELS[self]


CHANGE_STATE_LABELS = {
    ChangeState.DRAFT: N_("Concept"),
    ChangeState.ANNOUNCED: N_("Aangekondigd"),
    ChangeState.CANCELLED: N_("Ingetrokken"),
}
#: A change is announced once; it can be cancelled before it took effect anywhere (the service checks that).
CHANGE_TRANSITIONS = {
    ChangeState.DRAFT: {ChangeState.ANNOUNCED, ChangeState.CANCELLED},
    ChangeState.ANNOUNCED: {ChangeState.CANCELLED},
    ChangeState.CANCELLED: set(),
}


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    #: No longer true when its turn came (a reminder of a notice that was answered meanwhile).
    CANCELLED = "cancelled"


#: A sender claims a pending message (or one whose claim lapsed) and leaves it sent, pending (to try again), dead
#: or cancelled; a manager re-queues a dead one, or a sent one with an address refused for good.
OUTBOX_TRANSITIONS = {
    OutboxState.PENDING: {OutboxState.SENDING},
    OutboxState.SENDING: {
        OutboxState.SENDING,
        OutboxState.SENT,
        OutboxState.PENDING,
        OutboxState.DEAD,
        OutboxState.CANCELLED,
    },
    OutboxState.SENT: {OutboxState.PENDING},
    OutboxState.DEAD: {OutboxState.PENDING},
    OutboxState.CANCELLED: set(),
}


def sources(transitions: dict, target: str) -> list:
    """Return the states from which `target` may be reached (what a guarded UPDATE to `target` requires)."""
    return sorted(state for state, targets in transitions.items() if target in targets)


def may_move(transitions: dict, current: str, target: str) -> bool:
    """Tell whether a register entry, change or outbox message may move from `current` to `target`."""
    states = type(next(iter(transitions)))
    return states(target) in transitions[states(current)]


def notice_needs_approval(change_kind: str, subprocessor_kind: str) -> bool:
    """Tell whether a change gives the client a window to object (else the notice only informs)."""
    return change_kind in ("add", "replace") and subprocessor_kind == "active_systematic"


#: The data category code of special categories of personal data (GDPR Art. 9).
SPECIAL_CATEGORY = "special"


def incidental_error(kind: str, countries, data_categories, eea) -> tuple[str, dict] | None:
    """Return why an entry may not be incidental (message and its values), or None.

    An incidental entry skips the objection window, so it may be incidental only while all its
    locations are in the EEA (`eea`) and it receives no special-category data; anything else needs
    the normal window.
    """
    if kind != "incidental":
        return None
    outside = sorted(set(countries) - set(eea))
    if outside:
        return (
            N_(
                "Een subverwerker met een locatie buiten de EER (%(codes)s) kan niet incidenteel zijn: hij "
                "heeft de gewone bezwaartermijn nodig. Kies actief en systematisch."
            ),
            {"codes": ", ".join(outside)},
        )
    if SPECIAL_CATEGORY in data_categories:
        return (
            N_(
                "Een subverwerker die bijzondere categorieën van persoonsgegevens ontvangt, kan niet incidenteel "
                "zijn: hij heeft de gewone bezwaartermijn nodig. Kies actief en systematisch."
            ),
            {},
        )
    return None


#: How an objection is resolved, and the state the notice goes to.
RESOLUTIONS = {
    "change_withdrawn": (NoticeState.WITHDRAWN, "De wijziging is voor deze klant ingetrokken"),
    "objection_withdrawn": (NoticeState.APPROVED, "De klant heeft het bezwaar ingetrokken"),
    "service_ended": (NoticeState.WITHDRAWN, "De betrokken dienstverlening is beëindigd"),
}


def time_left(now: datetime, closes_at: datetime) -> tuple[int, int, int] | None:
    """Return the (days, hours, minutes) left before closing, or None once closed."""
    if now >= closes_at:
        return None
    seconds = int((closes_at - now).total_seconds())
    return seconds // 86400, (seconds % 86400) // 3600, (seconds % 3600) // 60


#: How a client's objection or approval reached the processor.
ANSWER_CHANNELS = {
    "app": N_("in de app"),
    "email": N_("per e-mail"),
    "letter": N_("per brief"),
    "phone": N_("telefonisch"),
    "other": N_("op een andere manier"),
}
#: The channels of an answer that a manager records for the client.
RECORDED_CHANNELS = ("email", "letter", "phone", "other")


def answer_error(
    received_at: datetime, *, now: datetime, announced_at: datetime, closes_at: datetime | None
) -> str | None:
    """Return why an answer received at `received_at` cannot count, or None when it counts.

    It counts when it was received strictly before the window closed, whenever it is recorded; it
    cannot have been received in the future or before the notice existed.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be an aware datetime")
    if received_at > now:
        return N_("Het ogenblik van ontvangst ligt in de toekomst.")
    if received_at < announced_at:
        return N_("Het ogenblik van ontvangst ligt vóór de melding.")
    if closes_at is not None and not objection_in_time(received_at, closes_at):
        return N_("Ontvangen na het sluiten van de termijn: het antwoord telt niet meer.")
    return None
