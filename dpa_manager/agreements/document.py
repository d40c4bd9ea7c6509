"""Build the agreement as plain data: the one source for the PDF and the browser view.

Pure: takes the agreement's values and returns dicts and lists that can be stored as JSON.
"""
from __future__ import annotations

from datetime import date

from ..catalogue import DATA_CATEGORIES, SUBJECT_CATEGORIES, TRANSFER_MECHANISMS, labels
from ..rules import END_CHOICES, describe_window, duration_text, format_eur, format_enterprise_number
from ..terms.text import blocks, fill

DOCUMENT_TITLE = "Verwerkersovereenkomst"
TRANSFER_LABELS = {None: "Niet nodig (enkel binnen de EER)"} | TRANSFER_MECHANISMS


def reference(agreement_id: int) -> str:
    """Return the agreement's reference as printed, e.g. VO-00042."""
    return f"VO-{agreement_id:05d}"


def one_line(address: str) -> str:
    """Return a multi-line address on one line, its lines joined by commas."""
    return ", ".join(line.strip() for line in address.splitlines() if line.strip())


def placeholder_values(agreement, client, processor, terms_version) -> dict[str, str]:
    """Return the value of every terms placeholder for this agreement."""
    return {
        "processor_name": processor.name,
        "processor_enterprise_number": format_enterprise_number(processor.enterprise_number),
        "processor_address": one_line(processor.address),
        "processor_dpo_email": processor.dpo_email,
        "governing_law": processor.governing_law,
        "competent_court": processor.competent_court,
        "client_name": client.name,
        "client_enterprise_number": format_enterprise_number(client.enterprise_number),
        "client_address": one_line(client.address),
        "subject_matter": agreement.subject_matter.strip(),
        "duration": duration_text(agreement.starts_on, agreement.ends_on),
        "nature_purpose": agreement.nature_purpose.strip(),
        "data_types": "; ".join(labels(agreement.data_types, DATA_CATEGORIES)).lower(),
        "data_subjects": "; ".join(labels(agreement.data_subjects, SUBJECT_CATEGORIES)).lower(),
        "services": ", ".join(s.name for s in agreement.services) or "de overeengekomen diensten",
        "objection_window": describe_window(agreement.window_days, agreement.window_unit),
        "liability_cap_total": format_eur(agreement.cap_total_cents),
        "liability_cap_other": format_eur(agreement.cap_other_cents),
        "end_of_processing_choice": END_CHOICES.get(agreement.end_choice, ""),
        "terms_effective_on": terms_version.effective_on.strftime("%d/%m/%Y"),
        "terms_label": terms_version.label,
    }


def _party(name, enterprise_number, address, email_label, email):
    return [
        ["Naam", name],
        ["Ondernemingsnummer", format_enterprise_number(enterprise_number)],
        ["Adres", address],
        [email_label, email],
    ]


def _annex_subprocessors(subprocessors: list[dict], as_of: date) -> list[dict]:
    if not subprocessors:
        return [{"kind": "p", "text": f"Op {as_of.strftime('%d/%m/%Y')} gelden voor deze klant geen subverwerkers."}]
    rows = [
        [
            sp["name"],
            sp["purpose"],
            ", ".join(sp.get("countries") or []),
            TRANSFER_LABELS.get(sp.get("transfer_mechanism"), sp.get("transfer_mechanism") or ""),
            "incidenteel" if sp.get("kind") == "incidental" else "actief en systematisch",
        ]
        for sp in subprocessors
    ]
    return [
        {"kind": "p", "text": f"Subverwerkers die op {as_of.strftime('%d/%m/%Y')} voor deze klant gelden:"},
        {"kind": "table", "header": ["Subverwerker", "Dienst", "Locaties", "Doorgifte", "Soort"], "rows": rows,
         "widths": [0.22, 0.24, 0.12, 0.26, 0.16]},
    ]


def build_document(agreement, client, processor, terms_version, subprocessors: list[dict], as_of: date) -> dict:
    """Return the whole agreement as JSON-ready data, dated `as_of`."""
    values = placeholder_values(agreement, client, processor, terms_version)
    articles = [
        {
            "number": article.number,
            "title": fill(article.title, values),
            "blocks": [[kind, fill(x, values) if kind == "p" else [fill(i, values) for i in x]]
                       for kind, x in blocks(article.body)],
        }
        for article in terms_version.articles
    ]
    particulars = [
        ["Onderwerp", values["subject_matter"]],
        ["Duur", values["duration"]],
        ["Aard en doel", values["nature_purpose"]],
        ["Diensten", values["services"]],
        ["Soorten persoonsgegevens", "; ".join(labels(agreement.data_types, DATA_CATEGORIES))
         + (f". {agreement.data_types_detail.strip()}" if agreement.data_types_detail.strip() else "")],
        ["Bijzondere categorieën (art. 9 AVG)", "Ja" if agreement.special_categories else "Nee"],
        ["Categorieën van betrokkenen", "; ".join(labels(agreement.data_subjects, SUBJECT_CATEGORIES))
         + (f". {agreement.data_subjects_detail.strip()}" if agreement.data_subjects_detail.strip() else "")],
        ["Bezwaartermijn subverwerkers", values["objection_window"] + "; stilzwijgen geldt als goedkeuring"],
        ["Einde van de verwerking", "De verwerker zal " + values["end_of_processing_choice"]],
        ["Aansprakelijkheid", f"{values['liability_cap_total']} in totaal; {values['liability_cap_other']} voor andere schade"],
    ]
    toms = [line.strip(" -•\t") for line in agreement.toms.splitlines() if line.strip(" -•\t")]
    return {
        "title": DOCUMENT_TITLE,
        "reference": reference(agreement.id),
        "date": as_of.isoformat(),
        "language": "nl-BE",
        "terms": {"label": terms_version.label, "title": terms_version.title,
                  "effective_on": terms_version.effective_on.isoformat()},
        "processor": {"name": processor.name,
                      "enterprise_number": format_enterprise_number(processor.enterprise_number)},
        "client": {"name": client.name, "enterprise_number": format_enterprise_number(client.enterprise_number)},
        "articles": articles,
        "annexes": [
            {"number": "I", "title": "Lijst van partijen", "content": [
                {"kind": "h", "text": "Verwerkingsverantwoordelijke"},
                {"kind": "table", "rows": _party(client.name, client.enterprise_number, values["client_address"],
                                                 "Contact", client.contact_email)},
                {"kind": "h", "text": "Verwerker"},
                {"kind": "table", "rows": _party(processor.name, processor.enterprise_number,
                                                 values["processor_address"], "Functionaris voor gegevensbescherming",
                                                 processor.dpo_email)},
            ]},
            {"number": "II", "title": "Beschrijving van de verwerking", "content": [
                {"kind": "table", "rows": particulars},
            ]},
            {"number": "III", "title": "Technische en organisatorische maatregelen", "content": [
                {"kind": "p", "text": "De verwerker neemt minstens de volgende maatregelen (art. 32 AVG):"},
                {"kind": "ul", "items": toms},
            ]},
            {"number": "IV", "title": "Lijst van subverwerkers", "content": _annex_subprocessors(subprocessors, as_of)},
        ],
    }


def signature_block(agreement, format_time) -> dict:
    """Return the signature page data of a signed agreement; `format_time` shows an instant in Brussels."""
    return {
        "body_sha256": agreement.body_sha256,
        "signatures": [
            {"party": "Voor de verwerkingsverantwoordelijke", "name": agreement.client_signer_name,
             "role": agreement.client_signer_role, "at": format_time(agreement.client_signed_at)},
            {"party": "Voor de verwerker", "name": agreement.processor_signer_name,
             "role": agreement.processor_signer_role, "at": format_time(agreement.processor_signed_at)},
        ],
    }
