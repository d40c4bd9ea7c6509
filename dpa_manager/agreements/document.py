"""Build the agreement as plain data: the one source for the PDF and the browser view.

Pure apart from the language: takes the agreement's values and returns dicts and lists that can be
stored as JSON, written in the client's language (Dutch, French or English; the Dutch text prevails).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..catalogue import DATA_CATEGORIES, SUBJECT_CATEGORIES, TRANSFER_MECHANISMS, labels
from ..formatting import format_amount, window_text
from ..i18n import force_locale, normalise
from ..localized import text_in
from ..rules import format_enterprise_number
from ..terms.text import blocks, fill

DOCUMENT_TITLE = _l("Verwerkersovereenkomst")
#: What the processor undertakes at the end, as the terms' sentence continues it ({end_of_processing_choice}).
END_CHOICE_TEXT = {"return": _l("de persoonsgegevens terug te bezorgen"), "delete": _l("de persoonsgegevens te wissen")}
#: The same choice as a sentence of its own (Annex II).
END_CHOICE_SENTENCE = {
    "return": _l("De verwerker bezorgt de persoonsgegevens terug aan de verwerkingsverantwoordelijke."),
    "delete": _l("De verwerker wist de persoonsgegevens."),
}
#: The particulars a manager may give in French and English besides the Dutch original.
TRANSLATED_PARTICULARS = (
    "subject_matter",
    "nature_purpose",
    "data_types_detail",
    "data_subjects_detail",
    "toms",
    "retention",
)
#: What the document says of the retention when the agreement states none.
DEFAULT_RETENTION = _l(
    "zolang de diensten het vereisen; bij het einde van de verwerking teruggegeven of gewist, "
    "naar keuze van de verwerkingsverantwoordelijke"
)
#: The profile's usual free-text values, listed so that the catalogues translate them (see placeholder_values).
USUAL_PROFILE_TEXTS = (
    _l("het Belgisch recht"),
    _l("de rechtbanken van het rechtsgebied van de maatschappelijke zetel van de verwerker"),
)
#: How a document names its language (the PDF's language tag).
LANGUAGE_TAGS = {"nl": "nl-BE", "fr": "fr-BE", "en": "en"}


def document_language(document: dict) -> str:
    """Return the language code ("nl", "fr", "en") a built document is written in."""
    return normalise(document.get("language"))


def _transfer_label(mechanism) -> str:
    if mechanism is None:
        return _("Niet nodig (enkel binnen de EER)")
    return str(TRANSFER_MECHANISMS.get(mechanism, mechanism))


def _duration_text(starts_on: date | None, ends_on: date | None) -> str:
    start = starts_on.strftime("%d/%m/%Y") if starts_on else "…"
    if ends_on is None:
        return _("vanaf %(start)s, voor de duur van de dienstverleningsovereenkomst", start=start)
    return _("van %(start)s tot en met %(end)s", start=start, end=ends_on.strftime("%d/%m/%Y"))


def reference(agreement_id: int) -> str:
    """Return the agreement's reference as printed, e.g. VO-00042."""
    return f"VO-{agreement_id:05d}"


def one_line(address: str) -> str:
    """Return a multi-line address on one line, its lines joined by commas."""
    return ", ".join(line.strip() for line in address.splitlines() if line.strip())


def placeholder_values(
    agreement, client, processor, terms_version, language: str = "nl", in_dutch: list | None = None
) -> dict[str, str]:
    """Return the value of every terms placeholder for this agreement, in the language in force.

    Free texts are given in `language` where the agreement has a version in it; otherwise in Dutch, with a
    visible marker, and their names are added to `in_dutch`.
    """
    translations = getattr(agreement, "translations", None)

    def own(field: str, label) -> str:
        return localized(translations, field, language, getattr(agreement, field, "") or "", label, in_dutch)

    retention = (
        own("retention", _l("Bewaring"))
        if (getattr(agreement, "retention", "") or "").strip()
        else str(DEFAULT_RETENTION)
    )
    return {
        "processor_name": processor.name,
        "processor_enterprise_number": format_enterprise_number(processor.enterprise_number),
        "processor_address": one_line(processor.address),
        "processor_dpo_email": processor.dpo_email,
        # Free text of the profile; the usual values ("het Belgisch recht") have a translation.
        "governing_law": _(processor.governing_law) if processor.governing_law else "",
        "competent_court": _(processor.competent_court) if processor.competent_court else "",
        "client_name": client.name,
        "client_enterprise_number": format_enterprise_number(client.enterprise_number),
        "client_address": one_line(client.address),
        "subject_matter": own("subject_matter", _l("Onderwerp")).strip(),
        "duration": _duration_text(agreement.starts_on, agreement.ends_on),
        "nature_purpose": own("nature_purpose", _l("Aard en doel")).strip(),
        "retention": retention.strip(),
        "breach_notice_hours": str(getattr(processor, "breach_notice_hours", None) or 48),
        "data_types": "; ".join(labels(agreement.data_types, DATA_CATEGORIES)).lower(),
        "data_subjects": "; ".join(labels(agreement.data_subjects, SUBJECT_CATEGORIES)).lower(),
        "services": ", ".join(
            localized(getattr(s, "translations", None), "name", language, s.name, _l("Dienst"), in_dutch)
            for s in agreement.services
        )
        or _("de overeengekomen diensten"),
        "objection_window": window_text(agreement.window_days, agreement.window_unit),
        "liability_cap_total": format_amount(agreement.cap_total_cents),
        "liability_cap_other": format_amount(agreement.cap_other_cents),
        "end_of_processing_choice": str(END_CHOICE_TEXT.get(agreement.end_choice, "")),
        "terms_effective_on": terms_version.effective_on.strftime("%d/%m/%Y"),
        "terms_label": terms_version.label,
    }


def localized(translations, field: str, language: str, dutch: str, label, in_dutch: list | None) -> str:
    """Return a free text in `language`, or the Dutch one marked as such (noting `label` in `in_dutch`)."""
    text, stayed_dutch = text_in(translations, field, language, dutch)
    if stayed_dutch:
        if in_dutch is not None and str(label) not in in_dutch:
            in_dutch.append(str(label))
        return f"{text} {_('[in het Nederlands]')}"
    return text


def _party(name, enterprise_number, address, contact_person, email_label, email):
    rows = [
        [_("Naam"), name],
        [_("Ondernemingsnummer"), format_enterprise_number(enterprise_number)],
        [_("Adres"), address],
    ]
    if contact_person:
        rows.append([_("Contactpersoon"), contact_person])
    rows.append([email_label, email])
    return rows


def _person(name: str, role: str) -> str:
    name, role = (name or "").strip(), (role or "").strip()
    return f"{name} ({role})" if name and role else name


def _annex_subprocessors(
    subprocessors: list[dict], as_of: date, data_types, language: str, in_dutch: list
) -> list[dict]:
    """Annex IV: each sub-processor with its address, contact, service, locations, safeguard and this client's data."""
    day = as_of.strftime("%d/%m/%Y")
    if not subprocessors:
        return [{"kind": "p", "text": _("Op %(day)s gelden voor deze klant geen subverwerkers.", day=day)}]
    content = [{"kind": "p", "text": _("Subverwerkers die op %(day)s voor deze klant gelden:", day=day)}]
    for sp in subprocessors:
        label = _("Subverwerker %(name)s", name=sp["name"])
        purpose = localized(sp.get("translations"), "purpose", language, sp["purpose"], label, in_dutch)
        safeguard = _transfer_label(sp.get("transfer_mechanism"))
        if sp.get("transfer_text"):
            safeguard += " — " + localized(
                sp.get("translations"), "transfer_text", language, sp["transfer_text"], label, in_dutch
            )
        received = [
            str(DATA_CATEGORIES[c])
            for c in DATA_CATEGORIES
            if c in (sp.get("data_categories") or []) and c in (data_types or [])
        ]
        content += [
            {"kind": "h", "text": sp["name"]},
            {
                "kind": "table",
                "rows": [
                    [_("Adres"), sp.get("address") or "—"],
                    [_("Contact"), sp.get("contact") or "—"],
                    [_("Dienst"), purpose],
                    [_("Verwerkingslocaties"), ", ".join(sp.get("countries") or [])],
                    [_("Doorgifte buiten de EER"), safeguard],
                    [
                        _("Gegevens van deze klant die hij ontvangt"),
                        "; ".join(received)
                        if received
                        else _("geen van de soorten persoonsgegevens uit deze overeenkomst"),
                    ],
                    [_("Soort"), _("incidenteel") if sp.get("kind") == "incidental" else _("actief en systematisch")],
                ],
            },
        ]
    return content


def build_document(
    agreement, client, processor, terms_version, subprocessors: list[dict], as_of: date, language: str = "nl"
) -> dict:
    """Return the whole agreement as JSON-ready data, dated `as_of`, written in `language`."""
    language = normalise(language)
    with force_locale(language):
        return _build(agreement, client, processor, terms_version, subprocessors, as_of, language)


def _build(agreement, client, processor, terms_version, subprocessors, as_of, language) -> dict:
    in_dutch: list[str] = []
    values = placeholder_values(agreement, client, processor, terms_version, language, in_dutch)
    articles, untranslated = [], []
    for article in terms_version.articles:
        title, body, translated = article.text_in(language)
        if language != "nl" and not translated:
            untranslated.append(article.number)
        articles.append(
            {
                "number": article.number,
                "title": fill(title, values),
                "blocks": [
                    [kind, fill(x, values) if kind == "p" else [fill(i, values) for i in x]] for kind, x in blocks(body)
                ],
            }
        )
    detail = localized(
        agreement.translations,
        "data_types_detail",
        language,
        agreement.data_types_detail.strip(),
        _l("Soorten persoonsgegevens"),
        in_dutch,
    ).strip()
    subjects_detail = localized(
        agreement.translations,
        "data_subjects_detail",
        language,
        agreement.data_subjects_detail.strip(),
        _l("Categorieën van betrokkenen"),
        in_dutch,
    ).strip()
    particulars = [
        [_("Onderwerp"), values["subject_matter"]],
        [_("Duur"), values["duration"]],
        [_("Aard en doel"), values["nature_purpose"]],
        [_("Diensten"), values["services"]],
        [
            _("Soorten persoonsgegevens"),
            "; ".join(labels(agreement.data_types, DATA_CATEGORIES)) + (f". {detail}" if detail else ""),
        ],
        [
            _("Bijzondere categorieën (art. 9 AVG)"),
            _("Ja; toegang enkel voor wie ze voor zijn taak nodig heeft, met de bijkomende maatregelen van Bijlage III")
            if agreement.special_categories
            else _("Nee"),
        ],
        [
            _("Categorieën van betrokkenen"),
            "; ".join(labels(agreement.data_subjects, SUBJECT_CATEGORIES))
            + (f". {subjects_detail}" if subjects_detail else ""),
        ],
        [_("Bewaring"), values["retention"]],
        [
            _("Verwerking door subverwerkers"),
            _(
                "voorwerp, aard en duur per subverwerker: zie Bijlage IV; zolang de diensten van deze overeenkomst "
                "lopen"
            ),
        ],
        [
            _("Bezwaartermijn subverwerkers"),
            _("%(window)s; stilzwijgen geldt als goedkeuring", window=values["objection_window"]),
        ],
        [_("Einde van de verwerking"), str(END_CHOICE_SENTENCE.get(agreement.end_choice, ""))],
        [
            _("Aansprakelijkheid"),
            _(
                "%(total)s in totaal; %(other)s voor andere schade",
                total=values["liability_cap_total"],
                other=values["liability_cap_other"],
            ),
        ],
    ]
    toms_text, toms_dutch = text_in(agreement.translations, "toms", language, agreement.toms)
    if toms_dutch:
        in_dutch.append(str(_("Bijlage III (maatregelen)")))
    toms = [line.strip(" -•\t") for line in toms_text.splitlines() if line.strip(" -•\t")]
    document = {
        "title": str(DOCUMENT_TITLE),
        "reference": reference(agreement.id),
        "date": as_of.isoformat(),
        "language": LANGUAGE_TAGS[language],
        "terms": {
            "label": terms_version.label,
            "title": terms_version.title_in(language),
            "effective_on": terms_version.effective_on.isoformat(),
        },
        "processor": {
            "name": processor.name,
            "enterprise_number": format_enterprise_number(processor.enterprise_number),
        },
        "client": {"name": client.name, "enterprise_number": format_enterprise_number(client.enterprise_number)},
        "articles": articles,
        "annexes": [
            {
                "number": "I",
                "title": _("Lijst van partijen"),
                "content": [
                    {"kind": "h", "text": _("Verwerkingsverantwoordelijke")},
                    {
                        "kind": "table",
                        "party": "client",
                        "rows": _party(
                            client.name,
                            client.enterprise_number,
                            values["client_address"],
                            _person(getattr(client, "contact_name", ""), getattr(client, "contact_role", "")),
                            _("E-mail"),
                            client.contact_email,
                        ),
                    },
                    {"kind": "h", "text": _("Verwerker")},
                    {
                        "kind": "table",
                        "party": "processor",
                        "rows": _party(
                            processor.name,
                            processor.enterprise_number,
                            values["processor_address"],
                            _person(getattr(processor, "contact_name", ""), getattr(processor, "contact_role", "")),
                            _("Functionaris voor gegevensbescherming"),
                            processor.dpo_email,
                        ),
                    },
                ],
            },
            {
                "number": "II",
                "title": _("Beschrijving van de verwerking"),
                "content": [
                    {"kind": "table", "rows": particulars},
                ],
            },
            {
                "number": "III",
                "title": _("Technische en organisatorische maatregelen"),
                "content": [
                    {"kind": "p", "text": _("De verwerker neemt minstens de volgende maatregelen (art. 32 AVG):")},
                    {"kind": "ul", "items": toms + ([str(_("[in het Nederlands]"))] if toms_dutch else [])},
                ],
            },
            {
                "number": "IV",
                "title": _("Lijst van subverwerkers"),
                "content": _annex_subprocessors(subprocessors, as_of, agreement.data_types, language, in_dutch),
            },
        ],
    }
    if language != "nl":
        document["translation_notice"] = _(
            "Dit is een vertaling. De oorspronkelijke tekst van deze overeenkomst is de Nederlandse; "
            "bij verschil tussen beide heeft de Nederlandse tekst voorrang."
        )
        if untranslated:
            document["translation_notice"] += " " + _(
                "De artikelen %(numbers)s bestaan nog niet in vertaling en staan hier in het Nederlands.",
                numbers=", ".join(map(str, untranslated)),
            )
        if in_dutch:
            document["translation_notice"] += " " + _(
                "Deze gegevens bestaan enkel in het Nederlands en staan zo in de tekst, gemarkeerd: %(items)s.",
                items="; ".join(in_dutch),
            )
    return document


def signature_block(agreement, format_time) -> dict:
    """Return the signature page data of an agreement signed by both parties; `format_time` shows an instant."""
    return {"kind": "signatures", "signatures": _signatures(agreement, format_time)}


def _signatures(agreement, format_time) -> list[dict]:
    """The two signatures. The client's signer types the capacity in the client's language; the processor's
    capacity comes with its French and English versions, where given, for the PDF to choose from."""
    roles = {
        language: texts["processor_signer_role"]
        for language, texts in (agreement.translations or {}).items()
        if isinstance(texts, dict) and texts.get("processor_signer_role")
    }
    return [
        {
            "party": "client",
            "name": agreement.client_signer_name,
            "role": agreement.client_signer_role,
            "at": format_time(agreement.client_signed_at),
            "from": agreement.client_signed_from,
        },
        {
            "party": "processor",
            "name": agreement.processor_signer_name,
            "role": agreement.processor_signer_role,
            "at": format_time(agreement.processor_signed_at),
            "from": agreement.processor_signed_from,
            "role_translations": roles,
            "role_in_dutch": True,
        },
    ]


def amendment_record(agreement, format_time, facts: dict) -> dict:
    """Return the amendment record that closes an agreement accepted by a user of the client or by silence.

    It is not a signature page: it names the version accepted, the notice and its delivery, the window, the
    acceptance (or the silence), the article that allows acceptance by silence, and the signatures of the
    agreement the parties signed, named as such. `facts` comes from agreements.services.amendment_facts.
    """
    original = facts["original"]
    window = [facts["window_days"], facts["window_unit"]] if facts.get("window_days") else None
    return {
        "kind": "amendment",
        "concluded_by": facts["concluded_by"],
        "from_label": facts["from_label"],
        "to_label": facts["to_label"],
        "replaces": reference(facts["replaces"]),
        "notice": facts.get("notice"),
        "delivered_at": format_time(facts.get("delivered_at")),
        "notified_at": format_time(facts.get("notified_at")),
        "closes_at": format_time(facts.get("closes_at")),
        "window": window,
        "by": facts.get("by"),
        "accepted_at": format_time(facts["accepted_at"]),
        "channel": facts.get("answer_channel"),
        "recorded_at": format_time(facts.get("answer_recorded_at")),
        "objected": bool(facts.get("objected")),
        "objected_at": format_time(facts.get("decided_at")),
        "effective_at": format_time(facts.get("effective_at")),
        "article": facts.get("article"),
        "original": {
            "reference": reference(original.id),
            "label": original.terms_version.label,
            "signatures": _signatures(original, format_time),
        },
    }
