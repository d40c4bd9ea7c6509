"""The fixed vocabularies an agreement chooses from, with their labels (Dutch, translated when shown).

Sub-processors name the same data categories, so the two can be matched per client.
"""

from flask_babel import lazy_gettext as _l

#: Types of personal data (Annex II), by code.
DATA_CATEGORIES = {
    "identification": _l("Identificatiegegevens (naam, klantnummer)"),
    "contact": _l("Contactgegevens (adres, telefoon, e-mail)"),
    "customer_history": _l("Klantgeschiedenis en contactmomenten"),
    "order": _l("Bestel- en contractgegevens"),
    "financial": _l("Financiële gegevens (rekeningnummer, facturen)"),
    "call_recordings": _l("Gespreksopnames en chatberichten"),
    "preferences": _l("Voorkeuren en interesses"),
    "national_id": _l("Rijksregisternummer of identiteitsbewijs"),
    "online": _l("Online identificatoren (IP-adres, cookies)"),
    "special": _l("Bijzondere categorieën (art. 9 AVG)"),
}

#: Categories of data subjects (Annex II), by code.
SUBJECT_CATEGORIES = {
    "customers": _l("Klanten van de verwerkingsverantwoordelijke"),
    "prospects": _l("Prospecten"),
    "callers": _l("Bellers en andere personen die contact opnemen"),
    "employees": _l("Medewerkers van de verwerkingsverantwoordelijke"),
    "members": _l("Leden"),
    "suppliers": _l("Contactpersonen bij leveranciers en partners"),
}

LANGUAGES = {"nl": _l("Nederlands"), "fr": _l("Frans"), "en": _l("Engels")}


def labels(codes, vocabulary) -> list[str]:
    """Return the labels of `codes` in vocabulary order (unknown codes as they are)."""
    known = [str(vocabulary[c]) for c in vocabulary if c in codes]
    return known + [c for c in codes if c not in vocabulary]


#: ISO 3166-1 alpha-2 country codes.
COUNTRIES = frozenset(
    """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR
MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split()
)

#: The European Economic Area: the EU member states, Iceland, Liechtenstein and Norway.
EEA = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO".split())

#: Safeguards for a transfer outside the EEA (GDPR chapter V).
TRANSFER_MECHANISMS = {
    "adequacy": _l("Adequaatheidsbesluit"),
    "scc": _l("Modelcontractbepalingen (SCC)"),
    "bcr": _l("Bindende bedrijfsvoorschriften (BCR)"),
    "other": _l("Andere waarborg"),
}

SUBPROCESSOR_KINDS = {
    "active_systematic": _l("Actief en systematisch"),
    "incidental": _l("Incidenteel (bv. technisch onderhoud)"),
}
