"""The words for states and kinds that pages show in every row, translated one at a time when shown.

As lazy texts in Python rather than dict literals in the macros, so that a row costs one translation,
not one per possible state (a page of 200 rows would otherwise translate thousands of texts).
"""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from .catalogue import DATA_CATEGORIES
from .rules import (
    AGREEMENT_STATE_LABELS,
    ANSWER_CHANNELS,
    CHANGE_STATE_LABELS,
    NOTICE_STATE_LABELS,
    SUBPROCESSOR_STATUS_LABELS,
)

#: How e-mails address a person (rules.SALUTATIONS), as the forms offer it.
SALUTATION_STYLES = {
    "full_name": _l("Met de volledige naam: Geachte Els Janssens"),
    "ms": _l("Mevrouw en de achternaam: Geachte mevrouw Janssens"),
    "mr": _l("De heer en de achternaam: Geachte heer Janssens"),
    "first_name": _l("Met de voornaam: Beste Els"),
}
#: How a signer had signed in, as a signature page says it (web.signed_from records the code).
SIGN_IN_METHODS = {"password": _l("e-mailadres en wachtwoord")}
#: The Dutch words are in rules.NOTICE_STATE_LABELS (marked for the catalogues there).
NOTICE_STATES = {state.value: _l(label) for state, label in NOTICE_STATE_LABELS.items()}
CHANGE_KINDS = {"add": _l("Toevoeging"), "replace": _l("Vervanging"), "remove": _l("Stopzetting")}
#: The kinds of change as the manager's form offers them.
CHANGE_VERBS = {
    "add": _l("Een subverwerker toevoegen"),
    "replace": _l("Een subverwerker vervangen"),
    "remove": _l("Een subverwerker stopzetten"),
}
#: The kinds of change as the feeds and the public register title them.
CHANGE_TITLES = {
    "add": _l("Nieuwe subverwerker"),
    "replace": _l("Vervanging van een subverwerker"),
    "remove": _l("Stopzetting van een subverwerker"),
}
#: An agreement's state, and a version of the terms' (draft or published), as their badges say.
DOCUMENT_STATES = {state.value: _l(label) for state, label in AGREEMENT_STATE_LABELS.items()} | {
    "published": _l("Gepubliceerd")
}
#: The Dutch words are in rules.CHANGE_STATE_LABELS and SUBPROCESSOR_STATUS_LABELS.
CHANGE_STATES = {state.value: _l(label) for state, label in CHANGE_STATE_LABELS.items()}
SUBPROCESSOR_STATUSES = {status.value: _l(label) for status, label in SUBPROCESSOR_STATUS_LABELS.items()}
TRANSFERS = {
    "adequacy": _l("Adequaatheidsbesluit"),
    "scc": _l("SCC"),
    "bcr": _l("BCR"),
    "other": _l("Andere waarborg"),
    None: _l("EER"),
}
#: An outbox message's state, as the outbox lists it.
OUTBOX_STATES = {
    "pending": _l("te versturen"),
    "sending": _l("bezig"),
    "sent": _l("verstuurd"),
    "dead": _l("opgegeven"),
    "cancelled": _l("niet meer verstuurd"),
}
#: What an outbox message is, as the outbox lists it (its template), followed by the notice it is about.
MESSAGE_KINDS = {
    "notice": _l("Melding"),
    "amendment": _l("Nieuwe voorwaarden"),
    "reminder": _l("Herinnering"),
    "outcome": _l("Uitkomst"),
    "alert": _l("Waarschuwing aan de accountmanagers"),
    "invite": _l("Uitnodiging"),
    "password_reset": _l("Link voor een nieuw wachtwoord"),
    "account_notice": _l("Bericht over een account"),
    "agreement_copy": _l("Verzegelde kopie van de overeenkomst"),
    "bounce_alert": _l("Waarschuwing: melding niet bezorgd"),
}
#: What a bounce reports (mail.models.MailBounce.kind).
BOUNCE_KINDS = {
    "failed": _l("niet bezorgd"),
    "delayed": _l("vertraagd"),
    "delivered": _l("bezorgd gemeld"),
    "unreadable": _l("geen leveringsrapport"),
}
#: The Dutch words are in rules.ANSWER_CHANNELS.
CHANNELS = {channel: _l(label) for channel, label in ANSWER_CHANNELS.items()}
#: What an audit event records, as the history lists and the audit trail show it (never the internal code).
ACTIONS = {
    "acceptance_recorded": _l("Aanvaarding geregistreerd"),
    "addresses_dropped": _l("Geweigerde adressen geschrapt (niet meer van de klant)"),
    "amended": _l("Gewijzigd door aanvaarding van nieuwe voorwaarden"),
    "anchored": _l("Audittrail verankerd met een tijdstempel"),
    "amendment_announced": _l("Nieuwe voorwaarden aangekondigd"),
    "announced": _l("Aangekondigd"),
    "annulled": _l("Vervallen"),
    "applied": _l("Ingegaan"),
    "approved": _l("Goedgekeurd"),
    "back_in_use": _l("Opnieuw in gebruik"),
    "bounce_received": _l("Bericht van niet-bezorging ontvangen"),
    "cancelled": _l("Ingetrokken (een wijziging)"),
    "client_signed": _l("Ondertekend door de klant"),
    "confirmed": _l("Bevestigd"),
    "created": _l("Aangemaakt"),
    "deemed_approval_reversed": _l("Stilzwijgende goedkeuring herroepen"),
    "deemed_approved": _l("Stilzwijgend goedgekeurd"),
    "disabled": _l("Uitgeschakeld"),
    "delivered": _l("Aanvaard door de mailserver"),
    "delivery_failed": _l("Bounce: verwittiging opnieuw bepaald"),
    "draft_saved": _l("Concept bewaard"),
    "enabled": _l("Weer ingeschakeld"),
    "feed_token_rotated": _l("Feedlink vernieuwd"),
    "imported": _l("Geïmporteerd"),
    "invited": _l("Uitgenodigd"),
    "logged": _l("Tussenkomst geregistreerd"),
    "logged_out_everywhere": _l("Overal afgemeld"),
    "login": _l("Aangemeld"),
    "login_failed": _l("Aanmelding mislukt"),
    "not_applied": _l("Niet toegepast"),
    "notified_earlier": _l("Eerdere aanvaarding door de mailserver geregistreerd"),
    "objected": _l("Bezwaar gemaakt"),
    "objection_recorded": _l("Bezwaar geregistreerd"),
    "opened": _l("Geopend in het portaal"),
    "password_changed": _l("Wachtwoord gewijzigd"),
    "password_reset": _l("Nieuw wachtwoord ingesteld via e-mail"),
    "password_reset_requested": _l("Link voor een nieuw wachtwoord gevraagd"),
    "password_set": _l("Wachtwoord ingesteld"),
    "published": _l("Gepubliceerd"),
    "recalled": _l("Teruggenomen"),
    "reinstated": _l("Opnieuw van kracht"),
    "recovery_codes_made": _l("Nieuwe herstelcodes gemaakt"),
    "reinvited": _l("Opnieuw uitgenodigd"),
    "requeued": _l("Opnieuw in de wachtrij"),
    "resent": _l("Opnieuw verstuurd"),
    "resolved": _l("Bezwaar afgehandeld"),
    "rights_changed": _l("Rechten gewijzigd"),
    "salutation_set": _l("Aanspreking gekozen"),
    "retired": _l("Niet meer in gebruik"),
    "second_factor_added": _l("Tweede factor ingesteld"),
    "second_factor_failed": _l("Tweede stap van de aanmelding mislukt"),
    "second_factor_passed": _l("Aangemeld met een tweede factor"),
    "second_factor_removed": _l("Tweede factor verwijderd"),
    "second_factor_reset": _l("Tweede factor gewist door een manager"),
    "sent": _l("Verstuurd"),
    "session_ended": _l("Sessie afgemeld"),
    "signed": _l("Ondertekend"),
    "superseded": _l("Vervangen"),
    "terminated": _l("Beëindigd"),
    "token_created": _l("API-token aangemaakt"),
    "token_revoked": _l("API-token ingetrokken"),
    "translated": _l("Vertaald"),
    "unapplied": _l("Ongedaan gemaakt"),
    "unsubscribed": _l("Uitgeschreven"),
    "updated": _l("Gewijzigd"),
    "window_extended": _l("Termijn verlengd"),
    "withdrawn": _l("Ingetrokken (een melding)"),
}
#: What an audit event is about.
OBJECT_TYPES = {
    "agreement": _l("Overeenkomst"),
    "audit": _l("Audittrail"),
    "change": _l("Wijziging van het register"),
    "client": _l("Klant"),
    "intervention": _l("Tussenkomst"),
    "notice": _l("Melding"),
    "outbox": _l("E-mail"),
    "processor": _l("Profiel van de verwerker"),
    "register_subscriber": _l("Abonnee op het register"),
    "service": _l("Dienst"),
    "subprocessor": _l("Subverwerker"),
    "terms": _l("Voorwaarden"),
    "user": _l("Gebruiker"),
}
#: Where an object's own words differ from the general ones.
OBJECT_ACTIONS = {
    ("agreement", "sent"): _l("Verstuurd ter ondertekening"),
    ("agreement", "signed"): _l("Tegengetekend"),
    ("agreement", "imported"): _l("Geïmporteerd, buiten de app ondertekend"),
    ("change", "cancelled"): _l("Ingetrokken"),
    ("notice", "withdrawn"): _l("Ingetrokken"),
}


def object_words(object_type: str) -> str:
    return str(OBJECT_TYPES.get(object_type) or object_type)


def category_names(codes) -> str:
    """Return the names of data categories, for a person (never the codes)."""
    return ", ".join(str(DATA_CATEGORIES.get(code, code)) for code in codes or ())


def message_words(message) -> str:
    """Name an outbox message for a person: its kind and, for a notice's e-mails, the notice's number."""
    kind = str(MESSAGE_KINDS.get(message.template) or gettext("E-mail"))
    return f"{kind} {message.notice_id}" if message.notice_id else f"{kind} ({message.id})"


def action_words(object_type: str, action: str) -> str:
    """Return the words for an audit event's action (the code itself only for one no version knew)."""
    return str(OBJECT_ACTIONS.get((object_type, action)) or ACTIONS.get(action) or action)


def register(app) -> None:
    app.jinja_env.globals["LABELS"] = {
        "notice_states": NOTICE_STATES,
        "change_kinds": CHANGE_KINDS,
        "change_states": CHANGE_STATES,
        "document_states": DOCUMENT_STATES,
        "transfers": TRANSFERS,
        "channels": CHANNELS,
        "outbox_states": OUTBOX_STATES,
    }
    app.jinja_env.globals.update(
        action_words=action_words, object_words=object_words, category_names=category_names, message_words=message_words
    )
