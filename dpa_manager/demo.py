"""Demo data for `make run`, and synthetic clients for load tests."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert

from .accounts.models import User
from .accounts.services import create_user, find_user
from .agreements import services as agreements
from .agreements.models import Agreement, agreement_services
from .clients.models import Client
from .clients.services import create_client
from .extensions import db
from .processor.models import Service
from .processor.services import add_service, get_profile, save_profile
from .rules import AgreementState, SubProcessorStatus
from .subprocessors import services as register
from .subprocessors.models import Assignment, SubProcessor
from .terms.services import load_default_terms

MANAGER = ("manager@contactexpert.be", "demo-manager-2026", "An Peeters")
PROFILE = {
    "name": "ContactExpert NV",
    "enterprise_number": "0427073974",
    "address": "Kunstlaan 1\n1000 Brussel",
    "dpo_email": "dpo@contactexpert.be",
    "governing_law": "het Belgisch recht",
    "competent_court": "de rechtbanken van het rechtsgebied van de maatschappelijke zetel van de verwerker",
    "default_window_days": 7,
    "default_window_unit": "calendar",
    "cap_total_cents": 250_000,
    "cap_other_cents": 100_000,
    "contact_name": "An Peeters",
    "contact_role": "Accountmanager",
    "breach_notice_hours": 48,
}
SERVICES = [
    ("klantendienst", "Klantendienst"),
    ("telemarketing", "Telemarketing"),
    ("backoffice", "Backoffice en orderverwerking"),
]
#: The services' names in French and English.
SERVICE_NAMES = {
    "klantendienst": ("Service clientèle", "Customer service"),
    "telemarketing": ("Télémarketing", "Telemarketing"),
    "backoffice": ("Back-office et traitement des commandes", "Back office and order processing"),
}
TOMS = "\n".join(
    [
        "Toegang tot persoonsgegevens enkel voor aangewezen medewerkers, met persoonlijke accounts en MFA",
        "Versleuteling van gegevens tijdens transport (TLS 1.2 of hoger) en in rust",
        "Dagelijkse back-ups, versleuteld en op een tweede locatie binnen de EER bewaard",
        "Logging van toegang tot klantdossiers, 12 maanden bewaard",
        "Jaarlijkse opleiding gegevensbescherming en geheimhoudingsverklaring voor alle medewerkers",
        "Procedure voor datalekken met melding aan de klant zonder onredelijke vertraging",
    ]
)


def with_check_digits(first8: int) -> str:
    """Return a valid enterprise number made of `first8` and its mod-97 check digits."""
    return f"{first8:08d}{97 - first8 % 97:02d}"


#: (client values, agreement particulars, login of the client user, should it be signed)
CLIENTS = [
    (
        {
            "name": "Brouwerij De Klok BV",
            "enterprise_number": with_check_digits(4_123_456),
            "address": "Marktplein 12\n9000 Gent",
            "language": "nl",
            "contact_email": "privacy@deklok.example",
        },
        {
            "subject_matter": "Klantendienst voor consumenten van bieren en merchandising",
            "nature_purpose": "Telefonische en schriftelijke klantendienst: vragen beantwoorden, klachten opvolgen "
            "en bestellingen registreren.",
            "data_types": ["identification", "contact", "customer_history", "order", "call_recordings"],
            "data_subjects": ["customers", "callers"],
            "window_days": 7,
            "window_unit": "calendar",
        },
        ["klantendienst"],
        ("els@deklok.example", "demo-deklok-2026", "Els Janssens"),
        True,
    ),
    (
        {
            "name": "Assurances Lumière SA",
            "enterprise_number": with_check_digits(8_765_432),
            "address": "Rue de la Loi 42\n1040 Etterbeek",
            "language": "fr",
            "contact_email": "dpo@lumiere.example",
        },
        {
            "subject_matter": "Klantendienst en telemarketing voor verzekeringsklanten",
            "nature_purpose": "Inkomende oproepen over polissen en schadegevallen, en uitgaande campagnes naar "
            "bestaande klanten.",
            "data_types": ["identification", "contact", "customer_history", "financial", "call_recordings"],
            "data_subjects": ["customers", "prospects"],
            "window_days": 3,
            "window_unit": "working",
            "translations": {
                "fr": {
                    "subject_matter": "Service clientèle et télémarketing pour des clients d'assurances",
                    "nature_purpose": "Appels entrants sur les polices et les sinistres, et campagnes "
                    "sortantes vers les clients existants.",
                }
            },
        },
        ["klantendienst", "telemarketing"],
        ("marc@lumiere.example", "demo-lumiere-2026", "Marc Dubois"),
        True,
    ),
    (
        {
            "name": "Fietsen Vandamme BV",
            "enterprise_number": with_check_digits(6_543_210),
            "address": "Stationsstraat 5\n8500 Kortrijk",
            "language": "nl",
            "contact_email": "info@vandamme.example",
        },
        {
            "subject_matter": "Orderverwerking en klantendienst voor de webwinkel",
            "nature_purpose": "Bestellingen verwerken, leveringen opvolgen en vragen van klanten beantwoorden.",
            "data_types": ["identification", "contact", "order"],
            "data_subjects": ["customers"],
            "window_days": 7,
            "window_unit": "calendar",
        },
        ["backoffice"],
        ("lies@vandamme.example", "demo-vandamme-2026", "Lies Vandamme"),
        False,
    ),
]


#: The register of the demo: three in use, one proposed and ready to be announced.
SUBPROCESSORS: list[tuple[str, list[str], dict[str, Any]]] = [
    (
        SubProcessorStatus.ACTIVE,
        ["klantendienst", "telemarketing"],
        {
            "name": "CloudTel Belgium NV",
            "registration_number": "0811.222.333",
            "purpose": "Telefonieplatform en opname van gesprekken",
            "countries": ["BE"],
            "transfer_mechanism": None,
            "data_categories": ["identification", "contact", "call_recordings"],
            "kind": "active_systematic",
            "website": "https://cloudtel.example",
            "address": "Havenlaan 86\n1000 Brussel",
            "contact": "privacy@cloudtel.example",
            "purpose_fr": "Plateforme téléphonique et enregistrement des appels",
            "purpose_en": "Telephony platform and call recording",
        },
    ),
    (
        SubProcessorStatus.ACTIVE,
        [],
        {
            "name": "Datacenter Noord BV",
            "registration_number": "NL 12345678",
            "purpose": "Hosting van de klantendienstsoftware",
            "countries": ["NL", "BE"],
            "transfer_mechanism": None,
            "data_categories": ["identification", "contact", "customer_history", "order"],
            "kind": "active_systematic",
            "website": "https://dcnoord.example",
            "address": "Datalaan 3\n9723 Groningen, Nederland",
            "contact": "security@dcnoord.example",
            "purpose_fr": "Hébergement du logiciel du service clientèle",
            "purpose_en": "Hosting of the customer service software",
        },
    ),
    (
        SubProcessorStatus.ACTIVE,
        [],
        {
            "name": "TechFix BV",
            "registration_number": "0799.888.777",
            "purpose": "Technisch onderhoud ter plaatse, op afroep",
            "countries": ["BE"],
            "transfer_mechanism": None,
            "data_categories": ["identification"],
            "kind": "incidental",
            "website": "",
            "address": "Industrieweg 7\n2800 Mechelen",
            "contact": "Jan Peeters, serviceverantwoordelijke",
            "purpose_fr": "Maintenance technique sur place, sur appel",
            "purpose_en": "On-site technical maintenance, on call",
        },
    ),
    (
        SubProcessorStatus.PROPOSED,
        ["klantendienst"],
        {
            "name": "VoiceCloud Inc.",
            "registration_number": "US-DE 7412589",
            "purpose": "Automatische transcriptie van gesprekken",
            "countries": ["IE", "US"],
            "transfer_mechanism": "scc",
            "data_categories": ["contact", "call_recordings"],
            "kind": "active_systematic",
            "website": "https://voicecloud.example",
            "address": "1 Harbor Street, Wilmington, DE 19801, United States",
            "contact": "privacy@voicecloud.example",
            "purpose_fr": "Transcription automatique des appels",
            "purpose_en": "Automatic transcription of calls",
        },
    ),
]


def _seed_register(now: datetime) -> None:
    known = set(db.session.scalars(db.select(SubProcessor.name)))
    for status, services, values in SUBPROCESSORS:
        if values["name"] in known:
            continue
        sp = register.create_subprocessor(values, services, actor=None, now=now)
        if status == SubProcessorStatus.ACTIVE:
            sp.status, sp.activated_on = SubProcessorStatus.ACTIVE, now.date() - timedelta(days=400)


def _service_ids(codes) -> list[int]:
    return list(db.session.scalars(db.select(Service.id).where(Service.code.in_(codes))))


def seed_demo(*, now: datetime) -> list[tuple[str, str, str]]:
    """Load the demo processor, terms, clients, agreements and users unless present; return the logins."""
    load_default_terms(now=now)
    if get_profile() is None:
        save_profile(PROFILE, actor=None, now=now)
    known = {s.code for s in db.session.scalars(db.select(Service))}
    for code, name in SERVICES:
        if code not in known:
            name_fr, name_en = SERVICE_NAMES[code]
            add_service(code, name, name_fr=name_fr, name_en=name_en, actor=None, now=now)
    _seed_register(now)
    manager = find_user(MANAGER[0]) or create_user(
        email=MANAGER[0], password=MANAGER[1], role="manager", client_id=None, full_name=MANAGER[2], now=now
    )
    # The demo login is published in the README: it is exempt from MFA_REQUIRED_FOR_MANAGERS, so that `make run`
    # opens straight onto the manager's pages. No other account is.
    manager.mfa_exempt = True
    logins = [(MANAGER[0], MANAGER[1], "manager van de verwerker")]
    today = now.date()
    for values, particulars, services, (email, password, name), signed in CLIENTS:
        client = db.session.scalar(db.select(Client).where(Client.enterprise_number == values["enterprise_number"]))
        if client is None:
            client = create_client(values, actor=manager, now=now)
        user = find_user(email) or create_user(
            email=email, password=password, role="client", client_id=client.id, full_name=name, actor=manager, now=now
        )
        logins.append((email, password, f"klantgebruiker van {client.name}"))
        if client.agreements:
            continue
        draft = (
            agreements.draft_defaults(today)
            | particulars
            | {
                "starts_on": today - timedelta(days=30),
                "ends_on": None,
                "data_types_detail": "",
                "data_subjects_detail": "",
                "special_categories": False,
                "toms": TOMS,
            }
        )
        agreement = agreements.create_draft(client, draft, _service_ids(services), actor=manager, now=now)
        if signed:
            agreements.send(agreement, actor=manager, now=now)
            agreements.client_sign(agreement, user=user, full_name=name, role="Zaakvoerder", authorised=True, now=now)
            agreements.countersign(agreement, user=manager, full_name=MANAGER[2], role="Accountmanager", now=now)
    return logins


SYNTHETIC_PREFIX = 19_000_000
SYNTHETIC_PASSWORD = "synthetic-load-2026"

#: Synthetic clients are named as companies are, a trade, a family name and a legal form, with their number:
#: 6,815 combinations, so that as in real data most three-letter pieces of a name are shared by few clients.
_TRADES = (
    "Bakkerij", "Brouwerij", "Garage", "Apotheek", "Drukkerij", "Transport", "Bouwbedrijf", "Schrijnwerkerij",
    "Tandartspraktijk", "Reisbureau", "Advocatenkantoor", "Boekhouding", "Verzekeringen", "Kapsalon",
    "Dierenartspraktijk", "Loodgieterij", "Elektriciteit", "Immo", "Slagerij", "Bloemisterij", "Fietsenwinkel",
    "Opticien", "Architectenbureau", "Schoonmaak", "Catering", "Logistiek", "Energie", "Telecom", "Zorgcentrum",
)  # fmt: skip
_FAMILIES = (
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smet",
    "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Hermans", "Vermeulen", "Aerts", "Michiels", "Pauwels",
    "Van Damme", "De Backer", "Leroy", "Renard", "Lemaire", "Verstraete", "Stevens", "Smets", "Van den Broeck",
    "Cools", "Segers", "Lenaerts", "Mathieu", "Laurent", "Gerard", "Dumont", "Denis", "Moens", "Bogaert",
    "Hendrickx", "Coppens", "De Clercq", "Vandenberghe", "Leclercq", "Dierickx", "Baert", "Lievens",
)  # fmt: skip
_FORMS = ("BV", "NV", "CommV", "VZW", "CV")


def synthetic_name(index: int) -> str:
    """The name of the synthetic client with this number (from 1)."""
    trade = _TRADES[index % len(_TRADES)]
    family = _FAMILIES[(index // len(_TRADES)) % len(_FAMILIES)]
    form = _FORMS[(index // (len(_TRADES) * len(_FAMILIES))) % len(_FORMS)]
    return f"{trade} {family} {form} {index:06d}"


def seed_synthetic(count: int, *, now: datetime) -> tuple[int, int]:
    """Add `count` synthetic clients, each with a signed agreement and one client user, in bulk."""
    seed_demo(now=now)
    start = (
        db.session.scalar(db.select(func.count()).select_from(Client).where(Client.enterprise_number.like("19%"))) or 0
    )
    manager = find_user(MANAGER[0])
    assert manager is not None  # seed_demo made it
    service_id = _service_ids(["klantendienst"])[0]
    defaults = agreements.draft_defaults(now.date())
    password_hash = _hash_once()
    applying = [sp.id for sp in register.active_for_services([service_id])]
    first_id = last_id = 0
    for offset in range(0, count, 2000):
        batch = range(start + offset, start + min(offset + 2000, count))
        client_rows = [
            {
                "name": synthetic_name(i + 1),
                "enterprise_number": with_check_digits(SYNTHETIC_PREFIX + i),
                "address": f"Teststraat {i + 1}\n1000 Brussel",
                "language": "nl",
                "contact_email": f"contact{i + 1}@synthetic.example",
                "created_at": now,
                "feed_token": secrets.token_urlsafe(24),
            }
            for i in batch
        ]
        ids = list(db.session.scalars(insert(Client).returning(Client.id, sort_by_parameter_order=True), client_rows))
        first_id = first_id or ids[0]
        last_id = ids[-1]
        db.session.execute(
            insert(User),
            [
                {
                    "email": row["contact_email"],
                    "full_name": f"Contact {row['name']}",
                    "password_hash": password_hash,
                    "role": "client",
                    "client_id": cid,
                    "active": True,
                    "created_at": now,
                }
                for row, cid in zip(client_rows, ids, strict=True)
            ],
        )
        agreement_ids = list(
            db.session.scalars(
                insert(Agreement).returning(Agreement.id, sort_by_parameter_order=True),
                [
                    {
                        "client_id": cid,
                        "terms_version_id": defaults["terms_version_id"],
                        "state": AgreementState.SIGNED.value,
                        "subject_matter": "Klantendienst",
                        "starts_on": now.date(),
                        "ends_on": None,
                        "nature_purpose": "Telefonische klantendienst in opdracht van de klant.",
                        "data_types": ["identification", "contact", "customer_history"],
                        "data_types_detail": "",
                        "data_subjects": ["customers"],
                        "data_subjects_detail": "",
                        "special_categories": False,
                        "end_choice": "delete",
                        "window_days": defaults["window_days"],
                        "window_unit": defaults["window_unit"],
                        "cap_total_cents": defaults["cap_total_cents"],
                        "cap_other_cents": defaults["cap_other_cents"],
                        "toms": TOMS,
                        "created_at": now,
                        "updated_at": now,
                        "sent_at": now,
                        "client_signer_name": f"Contact {row['name']}",
                        "client_signer_role": "Zaakvoerder",
                        "client_signed_at": now,
                        "processor_signer_id": manager.id,
                        "processor_signer_name": MANAGER[2],
                        "processor_signer_role": "Accountmanager",
                        "processor_signed_at": now,
                        "effective_at": now,
                    }
                    for row, cid in zip(client_rows, ids, strict=True)
                ],
            )
        )
        db.session.execute(
            insert(agreement_services), [{"agreement_id": aid, "service_id": service_id} for aid in agreement_ids]
        )
        if applying:
            db.session.execute(
                insert(Assignment),
                [
                    {"client_id": cid, "subprocessor_id": sp_id, "from_on": now.date(), "until_on": None}
                    for cid in ids
                    for sp_id in applying
                ],
            )
    return first_id, last_id


def _hash_once() -> str:
    user = User()
    user.set_password(SYNTHETIC_PASSWORD)
    return user.password_hash
