"""The evidence file ("bewijsdossier") of one notice: what was sent, when it arrived, what the
client did or did not do, when and by which rule the window closed, the outcome, and the audit
events with their hashes. What a processor shows a supervisory authority or a court."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..formatting import format_datetime_seconds
from ..mail.bounces import bounces_of
from ..mail.models import OutboxAcceptance, OutboxMessage
from ..mail.outbox import recipient_answers
from ..rules import ANSWER_CHANNELS, NoticeState, describe_window
from ..seal import Attachment
from .subjects import notice_templates, subject_of

RULE_TEXT = (
    "De termijn is berekend volgens het Belgisch recht (art. 52–53 Gerechtelijk Wetboek, art. 1.7 Burgerlijk "
    "Wetboek): de dag van de kennisgeving telt niet mee; een termijn in kalenderdagen omvat zaterdagen, zondagen "
    "en feestdagen, maar eindigt hij op een zaterdag, zondag of wettelijke feestdag, dan loopt hij tot het einde "
    "van de volgende werkdag; een termijn in werkdagen telt enkel maandag tot vrijdag die geen wettelijke "
    "feestdag zijn. De termijn sluit om 00:00 (Europe/Brussels) na de laatste dag; een bezwaar telt als het "
    "vóór dat ogenblik ontvangen is."
)


def _at(value: datetime | None) -> str:
    return format_datetime_seconds(value) if value else "—"


def later_than_stated(notice) -> str | None:
    """Say in one sentence why the window applied closes later than the client was told, or None if it does not."""
    if notice.closes_at is None or notice.stated_closes_at is None or notice.closes_at <= notice.stated_closes_at:
        return None
    return (
        f"Het bericht vermeldde als sluiting {_at(notice.stated_closes_at)}, maar het werd pas op "
        f"{_at(notice.notified_at)} aanvaard, en vanaf dat ogenblik gerekend sluit de termijn later; de latere "
        f"sluiting geldt, zodat de klant nooit minder tijd krijgt dan vermeld of dan de wet geeft."
    )


def received(message) -> list[str]:
    """Say, per recipient of a notice e-mail, whether and when the mail server accepted it (Dutch, for the file)."""
    answers = recipient_answers([message.id]).get(message.id, {})
    lines = []
    for address in message.recipients:
        answer = answers.get(address)
        if answer is None:
            lines.append(f"{address}: nog niet aanvaard")
        elif answer.state == "accepted":
            lines.append(f"{address}: aanvaard op {_at(answer.accepted_at)}")
        elif answer.state == "bounced":
            lines.append(
                f"{address}: aanvaard op {_at(answer.accepted_at)}, maar daarna teruggekomen: de mailserver van de "
                f"ontvanger meldde dat het adres niet bereikt werd ({answer.reply}); telt niet als bezorgd"
            )
        elif answer.state == "deferred":
            lines.append(
                f"{address}: voorlopig geweigerd, wordt opnieuw geprobeerd (antwoord van de mailserver: {answer.reply})"
            )
        elif (answer.reply or "")[:1] == "5":
            lines.append(f"{address}: definitief geweigerd (antwoord van de mailserver: {answer.reply})")
        else:
            lines.append(f"{address}: opgegeven na de laatste poging (laatste antwoord: {answer.reply})")
    return lines


DELIVERED_RULE = (
    "De melding geldt als bezorgd op het vroegste ogenblik waarop de mailserver het bericht aanvaardde "
    "voor minstens één adres van de klant; de andere adressen worden verder geprobeerd en hierboven "
    "vermeld. Een adres waarvoor daarna een bericht van niet-bezorging (bounce) binnenkwam, telt niet als "
    "bezorgd: bereikte geen enkele kopie de klant, dan wachtte de melding opnieuw op levering."
)


def _bounce_line(bounce) -> str:
    reported = (
        "; ".join(f"{r['address']}: {r['action']} {r['status']}".strip() for r in bounce.recipients)
        or "geen leveringsrapport"
    )
    return (
        f"{_at(bounce.received_at)} via {bounce.via.upper()} ({bounce.kind}): {reported}. "
        f"{(bounce.effect or 'Genoteerd').rstrip('.')}. "
        f"Bijgevoegd als bounce-{bounce.id}.eml (SHA-256 {bounce.sha256})."
    )


def build(notice, *, now: datetime) -> dict:
    """Return the evidence file of a notice as data for the PDF."""
    client = notice.client
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.notice_id == notice.id).order_by(OutboxMessage.id)
    ).all()
    told = [m for m in mails if m.template in notice_templates()]
    # the copy that told the client: the one whose acceptance the notice counts from (after a bounce, a later one)
    first = next((m for m in told if notice.delivered_at and m.sent_at == notice.delivered_at), None) or next(
        iter(told), None
    )
    returned = bounces_of([m.id for m in mails])
    acceptances = (
        db.session.scalars(
            select(OutboxAcceptance)
            .where(OutboxAcceptance.outbox_id == first.id)
            .order_by(OutboxAcceptance.accepted_at, OutboxAcceptance.id)
        ).all()
        if first
        else []
    )
    subject = subject_of(notice)
    about = subject.evidence(notice)
    taken = next((a for a in acceptances if a.raw_message is not None), None)
    eml_name = f"melding-{notice.id}.eml"
    window = (
        describe_window(notice.window_days, notice.window_unit)
        if notice.needs_approval
        else "geen (enkel ter informatie)"
    )
    channel = ANSWER_CHANNELS.get(notice.answer_channel or "app", "")  # the Dutch words: the file is in Dutch
    recorded = (
        f", ontvangen {channel} en geregistreerd op {_at(notice.answer_recorded_at)} door een manager"
        if notice.answer_recorded_at
        else ""
    )
    if notice.state == NoticeState.OBJECTED or notice.objection_reason:
        answer = f"Bezwaar ontvangen op {_at(notice.decided_at)}{recorded}: {notice.objection_reason}"
    elif notice.state == NoticeState.APPROVED:
        answer = f"Uitdrukkelijk goedgekeurd op {_at(notice.decided_at)}{recorded}"
    elif notice.state == NoticeState.DEEMED_APPROVED:
        answer = f"Geen bezwaar ontvangen vóór het sluiten van de termijn ({_at(notice.closes_at)})"
    else:
        answer = "Nog geen antwoord"
    events = audit.history("notice", notice.id)
    return {
        "title": f"Bewijsdossier melding {notice.id}",
        "client": client.name,
        "reference": f"VO-{notice.agreement_id:05d}",
        "made_at": _at(now),
        "facts": [
            ["Klant", f"{client.name} ({client.enterprise_number_display})"],
            ["Overeenkomst", f"VO-{notice.agreement_id:05d}"],
            *about,
            ["Bezwaartermijn", window],
            ["Melding aangemaakt", _at(notice.created_at)],
            ["Aanvaard door de mailserver", _at(notice.delivered_at)],
            ["Message-ID", first.message_id if first else "—"],
            *(
                [
                    ["Bericht zoals de mailserver het aanvaardde", _as_taken(taken, eml_name)],
                    ["Antwoord van de mailserver op DATA", taken.data_reply or "—"],
                    ["Klok van de aanvaarding", taken.clock or "—"],
                ]
                if taken is not None
                else []
            ),
            ["Ontvangers", "\n".join(received(first)) if first else "—"],
            *(
                [["Aanvaardingen", "\n".join(f"{_at(a.accepted_at)}: {', '.join(a.recipients)}" for a in acceptances)]]
                if len(acceptances) > 1
                else []
            ),
            *([["Berichten van niet-bezorging", "\n".join(_bounce_line(b) for b in returned)]] if returned else []),
            ["Eerst geopend in het portaal", _at(notice.first_opened_at)],
            ["Verwittigd (begin van de termijn)", _at(notice.notified_at)],
            ["Sluiting vermeld aan de klant", _at(notice.stated_closes_at)],
            ["Einde termijn (toegepast)", _at(notice.closes_at)],
            *([["Waarom later dan vermeld", later_than_stated(notice)]] if later_than_stated(notice) else []),
            ["Antwoord van de klant", answer],
            [
                "Uitkomst",
                NoticeState(notice.state).label
                + (f"; afgehandeld: {notice.resolution} ({_at(notice.resolved_at)})" if notice.resolution else ""),
            ],
            ["Ingegaan voor de klant", _at(notice.applied_at)],
        ],
        "rule": RULE_TEXT + " " + DELIVERED_RULE,
        "article": subject.window_article(notice),
        "message": {"subject": first.subject if first else None, "text": first.body_text if first else None},
        "proofs": [[p.filename, f"{p.size} bytes", _at(p.created_at), p.sha256] for p in notice.proofs],
        "mails": [[m.template, m.state, _at(m.sent_at), m.message_id] for m in mails],
        "events": [[str(e.seq), _at(e.at), e.actor_label, e.action, e.hash] for e in events],
        "attachments": (
            [Attachment(eml_name, taken.raw_message, "message/rfc822", "De melding zoals de mailserver ze aanvaardde")]
            if taken is not None and taken.raw_message is not None
            else []
        )
        + [
            Attachment(f"bewijs-{p.id}-{p.filename}", p.data, p.content_type, f"Bewijs van het antwoord, {p.filename}")
            for p in notice.proofs
        ]
        + [
            Attachment(f"bounce-{b.id}.eml", b.raw, "message/rfc822", "Bericht van niet-bezorging zoals ontvangen")
            for b in returned
        ],
    }


def _as_taken(acceptance, name: str) -> str:
    data = acceptance.raw_message
    return f"bijgevoegd als {name} ({len(data)} bytes, SHA-256 {hashlib.sha256(data).hexdigest()})"
