"""Build the agreement as plain data: the one source for the PDF and the browser view.

Pure apart from the language: takes the agreement's values and returns dicts and lists that can be
stored as JSON, written in the client's language (Dutch, French or English; the Dutch text prevails).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _, lazy_gettext as _l

from ..catalogue import DATA_CATEGORIES, SUBJECT_CATEGORIES, TRANSFER_MECHANISMS, labels
from ..formatting import format_amount, window_text
from ..i18n import force_locale, normalise
from ..rules import format_enterprise_number
from ..terms.text import blocks, fill

DOCUMENT_TITLE = _l("Verwerkersovereenkomst")
#: What the processor undertakes at the end, as the terms' sentence continues it ({end_of_processing_choice}).
END_CHOICE_TEXT = {"return": _l("de persoonsgegevens terug te bezorgen"),
                   "delete": _l("de persoonsgegevens te vernietigen")}
#: The same choice as a sentence of its own (Annex II).
END_CHOICE_SENTENCE = {"return": _l("De verwerker bezorgt de persoonsgegevens terug aan de verwerkingsverantwoordelijke."),
                       "delete": _l("De verwerker vernietigt de persoonsgegevens.")}
#: The profile's usual free-text values, listed so that the catalogues translate them (see placeholder_values).
USUAL_PROFILE_TEXTS = (_l("het Belgisch recht"),
                       _l("de rechtbanken van het rechtsgebied van de maatschappelijke zetel van de verwerker"))
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


def placeholder_values(agreement, client, processor, terms_version) -> dict[str, str]:
    """Return the value of every terms placeholder for this agreement, in the language in force."""
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
        "subject_matter": agreement.subject_matter.strip(),
        "duration": _duration_text(agreement.starts_on, agreement.ends_on),
        "nature_purpose": agreement.nature_purpose.strip(),
        "data_types": "; ".join(labels(agreement.data_types, DATA_CATEGORIES)).lower(),
        "data_subjects": "; ".join(labels(agreement.data_subjects, SUBJECT_CATEGORIES)).lower(),
        "services": ", ".join(s.name for s in agreement.services) or _("de overeengekomen diensten"),
        "objection_window": window_text(agreement.window_days, agreement.window_unit),
        "liability_cap_total": format_amount(agreement.cap_total_cents),
        "liability_cap_other": format_amount(agreement.cap_other_cents),
        "end_of_processing_choice": str(END_CHOICE_TEXT.get(agreement.end_choice, "")),
        "terms_effective_on": terms_version.effective_on.strftime("%d/%m/%Y"),
        "terms_label": terms_version.label,
    }


def _party(name, enterprise_number, address, email_label, email):
    return [
        [_("Naam"), name],
        [_("Ondernemingsnummer"), format_enterprise_number(enterprise_number)],
        [_("Adres"), address],
        [email_label, email],
    ]


def _annex_subprocessors(subprocessors: list[dict], as_of: date) -> list[dict]:
    day = as_of.strftime("%d/%m/%Y")
    if not subprocessors:
        return [{"kind": "p", "text": _("Op %(day)s gelden voor deze klant geen subverwerkers.", day=day)}]
    rows = [
        [
            sp["name"],
            sp["purpose"],
            ", ".join(sp.get("countries") or []),
            _transfer_label(sp.get("transfer_mechanism")),
            _("incidenteel") if sp.get("kind") == "incidental" else _("actief en systematisch"),
        ]
        for sp in subprocessors
    ]
    return [
        {"kind": "p", "text": _("Subverwerkers die op %(day)s voor deze klant gelden:", day=day)},
        {"kind": "table", "header": [_("Subverwerker"), _("Dienst"), _("Locaties"), _("Doorgifte"), _("Soort")],
         "rows": rows, "widths": [0.22, 0.24, 0.12, 0.26, 0.16]},
    ]


def build_document(agreement, client, processor, terms_version, subprocessors: list[dict], as_of: date,
                   language: str = "nl") -> dict:
    """Return the whole agreement as JSON-ready data, dated `as_of`, written in `language`."""
    language = normalise(language)
    with force_locale(language):
        return _build(agreement, client, processor, terms_version, subprocessors, as_of, language)


def _build(agreement, client, processor, terms_version, subprocessors, as_of, language) -> dict:
    values = placeholder_values(agreement, client, processor, terms_version)
    articles, untranslated = [], []
    for article in terms_version.articles:
        title, body, translated = article.text_in(language)
        if language != "nl" and not translated:
            untranslated.append(article.number)
        articles.append({
            "number": article.number,
            "title": fill(title, values),
            "blocks": [[kind, fill(x, values) if kind == "p" else [fill(i, values) for i in x]]
                       for kind, x in blocks(body)],
        })
    detail = agreement.data_types_detail.strip()
    subjects_detail = agreement.data_subjects_detail.strip()
    particulars = [
        [_("Onderwerp"), values["subject_matter"]],
        [_("Duur"), values["duration"]],
        [_("Aard en doel"), values["nature_purpose"]],
        [_("Diensten"), values["services"]],
        [_("Soorten persoonsgegevens"), "; ".join(labels(agreement.data_types, DATA_CATEGORIES))
         + (f". {detail}" if detail else "")],
        [_("Bijzondere categorieën (art. 9 AVG)"), _("Ja") if agreement.special_categories else _("Nee")],
        [_("Categorieën van betrokkenen"), "; ".join(labels(agreement.data_subjects, SUBJECT_CATEGORIES))
         + (f". {subjects_detail}" if subjects_detail else "")],
        [_("Bezwaartermijn subverwerkers"),
         _("%(window)s; stilzwijgen geldt als goedkeuring", window=values["objection_window"])],
        [_("Einde van de verwerking"), str(END_CHOICE_SENTENCE.get(agreement.end_choice, ""))],
        [_("Aansprakelijkheid"), _("%(total)s in totaal; %(other)s voor andere schade",
                                   total=values["liability_cap_total"], other=values["liability_cap_other"])],
    ]
    toms = [line.strip(" -•\t") for line in agreement.toms.splitlines() if line.strip(" -•\t")]
    document = {
        "title": str(DOCUMENT_TITLE),
        "reference": reference(agreement.id),
        "date": as_of.isoformat(),
        "language": LANGUAGE_TAGS[language],
        "terms": {"label": terms_version.label, "title": terms_version.title_in(language),
                  "effective_on": terms_version.effective_on.isoformat()},
        "processor": {"name": processor.name,
                      "enterprise_number": format_enterprise_number(processor.enterprise_number)},
        "client": {"name": client.name, "enterprise_number": format_enterprise_number(client.enterprise_number)},
        "articles": articles,
        "annexes": [
            {"number": "I", "title": _("Lijst van partijen"), "content": [
                {"kind": "h", "text": _("Verwerkingsverantwoordelijke")},
                {"kind": "table", "rows": _party(client.name, client.enterprise_number, values["client_address"],
                                                 _("Contact"), client.contact_email)},
                {"kind": "h", "text": _("Verwerker")},
                {"kind": "table", "rows": _party(processor.name, processor.enterprise_number,
                                                 values["processor_address"],
                                                 _("Functionaris voor gegevensbescherming"), processor.dpo_email)},
            ]},
            {"number": "II", "title": _("Beschrijving van de verwerking"), "content": [
                {"kind": "table", "rows": particulars},
            ]},
            {"number": "III", "title": _("Technische en organisatorische maatregelen"), "content": [
                {"kind": "p", "text": _("De verwerker neemt minstens de volgende maatregelen (art. 32 AVG):")},
                {"kind": "ul", "items": toms},
            ]},
            {"number": "IV", "title": _("Lijst van subverwerkers"),
             "content": _annex_subprocessors(subprocessors, as_of)},
        ],
    }
    if language != "nl":
        document["translation_notice"] = _(
            "Dit is een vertaling. De oorspronkelijke tekst van deze overeenkomst is de Nederlandse; "
            "bij verschil tussen beide heeft de Nederlandse tekst voorrang.")
        if untranslated:
            document["translation_notice"] += " " + _(
                "De artikelen %(numbers)s bestaan nog niet in vertaling en staan hier in het Nederlands.",
                numbers=", ".join(map(str, untranslated)))
    return document


def signature_block(agreement, format_time, amendment: dict | None = None) -> dict:
    """Return the signature page data of a signed agreement; `format_time` shows an instant in Brussels.

    `amendment` (see agreements.services.amendment_facts) says how an amended agreement was accepted.
    """
    block = {
        "body_sha256": agreement.body_sha256,
        "signatures": [
            {"party": "client", "name": agreement.client_signer_name,
             "role": agreement.client_signer_role, "at": format_time(agreement.client_signed_at)},
            {"party": "processor", "name": agreement.processor_signer_name,
             "role": agreement.processor_signer_role, "at": format_time(agreement.processor_signed_at)},
        ],
    }
    if amendment:
        block["amendment"] = {
            "from_label": amendment["from_label"], "to_label": amendment["to_label"],
            "replaces": reference(amendment["replaces"]), "notice": amendment.get("notice"),
            "notified_at": format_time(amendment.get("notified_at")), "closes_at": format_time(amendment.get("closes_at")),
            "by": amendment.get("by"), "accepted_at": format_time(amendment["accepted_at"]),
        }
    return block
