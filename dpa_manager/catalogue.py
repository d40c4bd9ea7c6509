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
