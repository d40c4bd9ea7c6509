"""The fixed vocabularies an agreement chooses from, with their Dutch labels.

Sub-processors name the same data categories, so the two can be matched per client.
"""

#: Types of personal data (Annex II), by code.
DATA_CATEGORIES = {
    "identification": "Identificatiegegevens (naam, klantnummer)",
    "contact": "Contactgegevens (adres, telefoon, e-mail)",
    "customer_history": "Klantgeschiedenis en contactmomenten",
    "order": "Bestel- en contractgegevens",
    "financial": "Financiële gegevens (rekeningnummer, facturen)",
    "call_recordings": "Gespreksopnames en chatberichten",
    "preferences": "Voorkeuren en interesses",
    "national_id": "Rijksregisternummer of identiteitsbewijs",
    "online": "Online identificatoren (IP-adres, cookies)",
    "special": "Bijzondere categorieën (art. 9 AVG)",
}

#: Categories of data subjects (Annex II), by code.
SUBJECT_CATEGORIES = {
    "customers": "Klanten van de verwerkingsverantwoordelijke",
    "prospects": "Prospecten",
    "callers": "Bellers en andere personen die contact opnemen",
    "employees": "Medewerkers van de verwerkingsverantwoordelijke",
    "members": "Leden",
    "suppliers": "Contactpersonen bij leveranciers en partners",
}

LANGUAGES = {"nl": "Nederlands", "fr": "Frans", "en": "Engels"}


def labels(codes, vocabulary) -> list[str]:
    """Return the labels of `codes` in vocabulary order (unknown codes as they are)."""
    known = [vocabulary[c] for c in vocabulary if c in codes]
    return known + [c for c in codes if c not in vocabulary]


#: ISO 3166-1 alpha-2 country codes.
COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR
MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())

#: The European Economic Area: the EU member states, Iceland, Liechtenstein and Norway.
EEA = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO".split())

#: Safeguards for a transfer outside the EEA (GDPR chapter V).
TRANSFER_MECHANISMS = {
    "adequacy": "Adequaatheidsbesluit",
    "scc": "Modelcontractbepalingen (SCC)",
    "bcr": "Bindende bedrijfsvoorschriften (BCR)",
    "other": "Andere waarborg",
}

SUBPROCESSOR_KINDS = {
    "active_systematic": "Actief en systematisch",
    "incidental": "Incidenteel (bv. technisch onderhoud)",
}
