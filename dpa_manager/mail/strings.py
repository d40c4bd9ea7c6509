"""The words of the e-mails in Dutch, French and English; the client's language chooses."""
from datetime import date, datetime, timedelta

from ..clock import as_brussels

MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def last_day(closes_at: datetime) -> date:
    """Return the last day of a window that closes at `closes_at` (00:00 Brussels the day after)."""
    return (as_brussels(closes_at) - timedelta(days=1)).date()


def long_date(day, language: str) -> str:
    """Return 'maandag 9 november 2026' in the language."""
    weekday, month = WEEKDAYS[language][day.weekday()], MONTHS[language][day.month - 1]
    return f"{weekday} {day.day} {month} {day.year}"


def closing_text(closes_at: datetime, language: str) -> str:
    """Say when a window closes: the last day, and the exact moment in Brussels."""
    return STRINGS[language]["closing"].format(last_day=long_date(last_day(closes_at), language),
                                               moment=as_brussels(closes_at).strftime("%d/%m/%Y %H:%M"))


STRINGS = {
    "nl": {
        "colon": ":",
        "closing": "tot en met {last_day} (de termijn sluit op {moment}, Brusselse tijd)",
        "greeting": "Geachte,",
        "kind_add": "{processor} wil een nieuwe subverwerker inschakelen",
        "kind_replace": "{processor} wil een subverwerker vervangen",
        "kind_remove": "{processor} stopt met een subverwerker",
        "kind_incidental": "{processor} meldt een incidentele subverwerker",
        "subject_notice": "Nieuwe subverwerker {sp}: bezwaar mogelijk tot en met {last_day}",
        "subject_notice_info": "Melding subverwerker {sp}",
        "subject_reminder": "Herinnering: bezwaartermijn voor subverwerker {sp} loopt af",
        "subject_outcome": "Subverwerker {sp}: {outcome}",
        "intro": "In het kader van de verwerkersovereenkomst met {client} ({reference}) melden wij u de volgende wijziging.",
        "new_sp": "Nieuwe subverwerker",
        "replaced_sp": "Vervangt",
        "removed_sp": "Subverwerker die verdwijnt",
        "purpose": "Dienst",
        "locations": "Verwerkingslocaties",
        "transfer": "Doorgifte buiten de EER",
        "your_data": "Van uw gegevens ontvangt deze subverwerker",
        "none_of_your_data": "geen van de soorten gegevens uit uw overeenkomst",
        "reason": "Reden",
        "effective": "Geplande ingangsdatum",
        "window": "U kunt bezwaar maken binnen {window}, {closing}. Krijgen wij binnen die termijn geen bezwaar, dan geldt de wijziging als goedgekeurd.",
        "no_window": "Deze wijziging vraagt geen goedkeuring; wij brengen u op de hoogte.",
        "link": "Bekijk de melding en maak eventueel bezwaar",
        "direct_link": "Of open de melding rechtstreeks (de link is 30 dagen geldig)",
        "ics": "In de bijlage vindt u de sluitingsdatum als agenda-item.",
        "reminder_intro": "Wij hebben nog geen antwoord ontvangen op onze melding over subverwerker {sp}.",
        "reminder_window": "De bezwaartermijn loopt {closing}. Zonder bezwaar geldt de wijziging daarna als goedgekeurd.",
        "outcome_deemed_approved": "goedgekeurd door stilzwijgen",
        "outcome_deemed_approved_text": "De bezwaartermijn is afgelopen op {closed} zonder dat wij een bezwaar ontvingen. De wijziging geldt daarom als goedgekeurd en gaat in op of na {effective}.",
        "outcome_objection_received": "bezwaar ontvangen",
        "outcome_objection_received_text": "Wij hebben uw bezwaar ontvangen op {at}. Uw accountmanager neemt contact met u op; de wijziging gaat voor u niet in zolang het bezwaar loopt.",
        "outcome_objection_reason": "Uw motivering",
        "outcome_approved": "goedgekeurd",
        "outcome_approved_text": "U hebt de wijziging goedgekeurd op {at}. Ze gaat in op of na {effective}.",
        "outcome_resolved": "bezwaar afgehandeld",
        "outcome_resolved_text": "Uw bezwaar is afgehandeld: {resolution}.",
        "outcome_cancelled": "wijziging ingetrokken",
        "outcome_cancelled_text": "De aangekondigde wijziging is ingetrokken; er verandert niets aan uw lijst van subverwerkers.",
        "signature": "Met vriendelijke groet,",
        "footer": "Vragen over gegevensbescherming: {dpo}",
        "ics_summary": "Einde bezwaartermijn subverwerker {sp}",
        "subject_invite": "Uitnodiging voor de portaal van {processor}",
        "invite_intro": "{processor} nodigt u uit om als gebruiker van {client} de verwerkersovereenkomsten en de subverwerkers te volgen.",
        "invite_action": "Kies uw wachtwoord via deze link (7 dagen geldig, één keer te gebruiken)",
        "invite_login": "Daarna meldt u zich aan met uw e-mailadres {email}.",
    },
    "fr": {
        "colon": " :",
        "closing": "jusqu'au {last_day} inclus (le délai expire le {moment}, heure de Bruxelles)",
        "greeting": "Madame, Monsieur,",
        "kind_add": "{processor} souhaite faire appel à un nouveau sous-traitant ultérieur",
        "kind_replace": "{processor} souhaite remplacer un sous-traitant ultérieur",
        "kind_remove": "{processor} cesse de faire appel à un sous-traitant ultérieur",
        "kind_incidental": "{processor} vous informe d'un sous-traitant ultérieur occasionnel",
        "subject_notice": "Sous-traitant ultérieur {sp} : opposition possible jusqu'au {last_day} inclus",
        "subject_notice_info": "Information sous-traitant ultérieur {sp}",
        "subject_reminder": "Rappel : le délai d'opposition pour le sous-traitant ultérieur {sp} expire bientôt",
        "subject_outcome": "Sous-traitant ultérieur {sp} : {outcome}",
        "intro": "Dans le cadre du contrat de sous-traitance avec {client} ({reference}), nous vous informons de la modification suivante.",
        "new_sp": "Nouveau sous-traitant ultérieur",
        "replaced_sp": "Remplace",
        "removed_sp": "Sous-traitant ultérieur qui disparaît",
        "purpose": "Service",
        "locations": "Lieux de traitement",
        "transfer": "Transfert hors EEE",
        "your_data": "De vos données, ce sous-traitant ultérieur reçoit",
        "none_of_your_data": "aucune des catégories de données de votre contrat",
        "reason": "Motif",
        "effective": "Date d'effet prévue",
        "window": "Vous pouvez vous y opposer dans un délai de {window}, {closing}. Sans opposition reçue dans ce délai, la modification est réputée approuvée.",
        "no_window": "Cette modification ne requiert pas d'approbation ; nous vous en informons.",
        "link": "Consultez la notification et formulez une opposition éventuelle",
        "direct_link": "Ou ouvrez la notification directement (lien valable 30 jours)",
        "ics": "Vous trouverez en annexe la date d'expiration sous forme d'événement d'agenda.",
        "reminder_intro": "Nous n'avons pas encore reçu de réponse à notre notification concernant le sous-traitant ultérieur {sp}.",
        "reminder_window": "Le délai d'opposition court {closing}. Sans opposition, la modification sera ensuite réputée approuvée.",
        "outcome_deemed_approved": "approuvé tacitement",
        "outcome_deemed_approved_text": "Le délai d'opposition a expiré le {closed} sans que nous ayons reçu d'opposition. La modification est donc réputée approuvée et prend effet à partir du {effective}.",
        "outcome_objection_received": "opposition reçue",
        "outcome_objection_received_text": "Nous avons bien reçu votre opposition le {at}. Votre gestionnaire de compte vous contactera ; la modification ne s'applique pas à vous tant que l'opposition est en cours.",
        "outcome_objection_reason": "Votre motivation",
        "outcome_approved": "approuvé",
        "outcome_approved_text": "Vous avez approuvé la modification le {at}. Elle prend effet à partir du {effective}.",
        "outcome_resolved": "opposition traitée",
        "outcome_resolved_text": "Votre opposition a été traitée : {resolution}.",
        "outcome_cancelled": "modification retirée",
        "outcome_cancelled_text": "La modification annoncée a été retirée ; votre liste de sous-traitants ultérieurs ne change pas.",
        "signature": "Veuillez agréer nos salutations distinguées,",
        "footer": "Questions relatives à la protection des données : {dpo}",
        "ics_summary": "Fin du délai d'opposition – sous-traitant ultérieur {sp}",
        "subject_invite": "Invitation au portail de {processor}",
        "invite_intro": "{processor} vous invite à suivre, en tant qu'utilisateur de {client}, les contrats de sous-traitance et les sous-traitants ultérieurs.",
        "invite_action": "Choisissez votre mot de passe via ce lien (valable 7 jours, utilisable une seule fois)",
        "invite_login": "Vous vous connecterez ensuite avec votre adresse e-mail {email}.",
    },
    "en": {
        "colon": ":",
        "closing": "up to and including {last_day} (the window closes at {moment}, Brussels time)",
        "greeting": "Dear Sir or Madam,",
        "kind_add": "{processor} intends to engage a new sub-processor",
        "kind_replace": "{processor} intends to replace a sub-processor",
        "kind_remove": "{processor} stops using a sub-processor",
        "kind_incidental": "{processor} informs you of an incidental sub-processor",
        "subject_notice": "Sub-processor {sp}: you may object up to and including {last_day}",
        "subject_notice_info": "Sub-processor notice: {sp}",
        "subject_reminder": "Reminder: the objection window for sub-processor {sp} is closing",
        "subject_outcome": "Sub-processor {sp}: {outcome}",
        "intro": "Under the data processing agreement with {client} ({reference}) we notify you of the following change.",
        "new_sp": "New sub-processor",
        "replaced_sp": "Replaces",
        "removed_sp": "Sub-processor leaving",
        "purpose": "Service",
        "locations": "Processing locations",
        "transfer": "Transfer outside the EEA",
        "your_data": "Of your data, this sub-processor receives",
        "none_of_your_data": "none of the data types in your agreement",
        "reason": "Reason",
        "effective": "Planned effective date",
        "window": "You may object within {window}, {closing}. If we receive no objection within that period, the change is deemed approved.",
        "no_window": "This change needs no approval; we are letting you know.",
        "link": "Read the notice and object if you wish",
        "direct_link": "Or open the notice directly (the link is valid for 30 days)",
        "ics": "The closing date is attached as a calendar entry.",
        "reminder_intro": "We have not yet received your answer to our notice about sub-processor {sp}.",
        "reminder_window": "The objection window runs {closing}. Without an objection the change is then deemed approved.",
        "outcome_deemed_approved": "deemed approved",
        "outcome_deemed_approved_text": "The objection window closed on {closed} without an objection from you. The change is therefore deemed approved and takes effect on or after {effective}.",
        "outcome_objection_received": "objection received",
        "outcome_objection_received_text": "We received your objection on {at}. Your account manager will contact you; the change does not apply to you while the objection is pending.",
        "outcome_objection_reason": "Your reasons",
        "outcome_approved": "approved",
        "outcome_approved_text": "You approved the change on {at}. It takes effect on or after {effective}.",
        "outcome_resolved": "objection resolved",
        "outcome_resolved_text": "Your objection has been resolved: {resolution}.",
        "outcome_cancelled": "change withdrawn",
        "outcome_cancelled_text": "The announced change has been withdrawn; your list of sub-processors stays as it is.",
        "signature": "Kind regards,",
        "footer": "Questions about data protection: {dpo}",
        "ics_summary": "Objection window closes: sub-processor {sp}",
        "subject_invite": "Invitation to the {processor} portal",
        "invite_intro": "{processor} invites you, as a user for {client}, to follow the data processing agreements and sub-processors.",
        "invite_action": "Choose your password with this link (valid for 7 days, works once)",
        "invite_login": "Then log in with your e-mail address {email}.",
    },
}

WINDOW_WORDS = {
    "nl": {"calendar": ("kalenderdag", "kalenderdagen"), "working": ("werkdag", "werkdagen")},
    "fr": {"calendar": ("jour calendrier", "jours calendrier"), "working": ("jour ouvrable", "jours ouvrables")},
    "en": {"calendar": ("calendar day", "calendar days"), "working": ("working day", "working days")},
}

RESOLUTION_WORDS = {
    "nl": {"change_withdrawn": "de wijziging is voor u ingetrokken; deze subverwerker wordt niet voor u ingezet",
           "objection_withdrawn": "u hebt uw bezwaar ingetrokken; de wijziging gaat voor u in",
           "service_ended": "de betrokken dienstverlening is beëindigd; de wijziging geldt niet voor u"},
    "fr": {"change_withdrawn": "la modification est retirée pour vous ; ce sous-traitant ultérieur ne sera pas utilisé pour vous",
           "objection_withdrawn": "vous avez retiré votre opposition ; la modification s'applique à vous",
           "service_ended": "le service concerné a pris fin ; la modification ne s'applique pas à vous"},
    "en": {"change_withdrawn": "the change has been withdrawn for you; this sub-processor will not be used for you",
           "objection_withdrawn": "you withdrew your objection; the change applies to you",
           "service_ended": "the service concerned has ended; the change does not apply to you"},
}


def window_words(days: int, unit: str, language: str) -> str:
    singular, plural = WINDOW_WORDS[language][unit]
    return f"{days} {singular if days == 1 else plural}"

#: The data categories in French and English (Dutch: catalogue.DATA_CATEGORIES).
CATEGORY_WORDS = {
    "fr": {"identification": "Données d'identification (nom, numéro de client)",
           "contact": "Coordonnées (adresse, téléphone, e-mail)",
           "customer_history": "Historique client et contacts",
           "order": "Données de commande et de contrat",
           "financial": "Données financières (numéro de compte, factures)",
           "call_recordings": "Enregistrements d'appels et messages de chat",
           "preferences": "Préférences et centres d'intérêt",
           "national_id": "Numéro de registre national ou pièce d'identité",
           "online": "Identifiants en ligne (adresse IP, cookies)",
           "special": "Catégories particulières (art. 9 RGPD)"},
    "en": {"identification": "Identification data (name, customer number)",
           "contact": "Contact details (address, phone, e-mail)",
           "customer_history": "Customer history and contacts",
           "order": "Order and contract data",
           "financial": "Financial data (account number, invoices)",
           "call_recordings": "Call recordings and chat messages",
           "preferences": "Preferences and interests",
           "national_id": "National register number or identity document",
           "online": "Online identifiers (IP address, cookies)",
           "special": "Special categories (Art. 9 GDPR)"},
}

#: Transfer safeguards in French and English (Dutch: catalogue.TRANSFER_MECHANISMS).
TRANSFER_WORDS = {
    "fr": {"adequacy": "Décision d'adéquation", "scc": "Clauses contractuelles types (CCT)",
           "bcr": "Règles d'entreprise contraignantes (BCR)", "other": "Autre garantie"},
    "en": {"adequacy": "Adequacy decision", "scc": "Standard contractual clauses (SCC)",
           "bcr": "Binding corporate rules (BCR)", "other": "Other safeguard"},
}
