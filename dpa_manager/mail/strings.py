"""The words of the e-mails: Dutch source texts, translated by the French and English catalogues.

The client's language chooses (see compose, which renders under i18n.force_locale); `t.key` returns the
text in the language in force, still with its {placeholders} for str.format.
"""

from datetime import datetime

from flask_babel import gettext

from ..clock import as_brussels
from ..formatting import format_long_date
from .ics import last_day


def N_(text: str) -> str:
    """Mark a text for the catalogues; it is translated where it is used."""
    return text


#: Every e-mail text, in Dutch.
TEXTS = {
    "colon": N_(":"),
    "closing": N_("tot en met {last_day} (de termijn sluit op {moment}, Brusselse tijd)"),
    "kind_add": N_("{processor} wil een nieuwe subverwerker inschakelen"),
    "kind_replace": N_("{processor} wil een subverwerker vervangen"),
    "kind_remove": N_("{processor} stopt met een subverwerker"),
    "kind_incidental": N_("{processor} meldt een incidentele subverwerker"),
    "subject_notice": N_("Nieuwe subverwerker {sp}: bezwaar mogelijk tot en met {last_day}"),
    "subject_notice_info": N_("Melding subverwerker {sp}"),
    "subject_reminder": N_("Herinnering: bezwaartermijn voor subverwerker {sp} loopt af"),
    "subject_outcome": N_("Subverwerker {sp}: {outcome}"),
    "intro": N_(
        "In het kader van de verwerkersovereenkomst met {client} ({reference}) melden wij u de volgende wijziging."
    ),
    "new_sp": N_("Nieuwe subverwerker"),
    "replaced_sp": N_("Vervangt"),
    "removed_sp": N_("Subverwerker die verdwijnt"),
    "purpose": N_("Dienst"),
    "locations": N_("Verwerkingslocaties"),
    "transfer": N_("Doorgifte buiten de EER"),
    "your_data": N_("Van uw gegevens ontvangt deze subverwerker"),
    "none_of_your_data": N_("geen van de soorten gegevens uit uw overeenkomst"),
    "reason": N_("Reden"),
    "effective": N_("Geplande ingangsdatum"),
    "window": N_(
        "U kunt bezwaar maken binnen {window}, {closing}. Krijgen wij binnen die termijn geen bezwaar, dan geldt de "
        "wijziging als goedgekeurd."
    ),
    "how_to_object": N_(
        "Bezwaar maken kan in het portaal (via de link hieronder) of door op deze e-mail te antwoorden; uw antwoord "
        "gaat naar {dpo}. Een bezwaar telt als wij het ontvangen vóór de termijn sluit."
    ),
    "no_window": N_("Deze wijziging vraagt geen goedkeuring; wij brengen u op de hoogte."),
    "link": N_("Bekijk de melding en maak eventueel bezwaar"),
    "link_info": N_("Bekijk de melding"),
    "direct_link": N_(
        "Of open de melding zonder aan te melden (de link werkt één keer, 30 dagen lang; daarna leidt hij naar de "
        "aanmelding)"
    ),
    "ics": N_("In de bijlage vindt u de sluitingsdatum als agenda-item."),
    "reminder_intro": N_("Wij hebben nog geen antwoord ontvangen op onze melding over subverwerker {sp}."),
    "reminder_window": N_(
        "De bezwaartermijn loopt {closing}. Zonder bezwaar geldt de wijziging daarna als goedgekeurd."
    ),
    "outcome_deemed_approved": N_("goedgekeurd door stilzwijgen"),
    "outcome_deemed_approved_text": N_(
        "De bezwaartermijn is afgelopen op {closed} zonder dat wij een bezwaar ontvingen. De wijziging geldt daarom "
        "als goedgekeurd en gaat in op of na {effective}."
    ),
    "outcome_objection_received": N_("bezwaar ontvangen"),
    "outcome_objection_received_text": N_(
        "Wij hebben uw bezwaar ontvangen op {at}. Uw accountmanager neemt contact met u op; de wijziging gaat voor u "
        "niet in zolang het bezwaar loopt."
    ),
    "outcome_objection_reason": N_("Uw motivering"),
    "outcome_approved": N_("goedgekeurd"),
    "outcome_approved_text": N_("U hebt de wijziging goedgekeurd op {at}. Ze gaat in op of na {effective}."),
    "outcome_resolved": N_("bezwaar afgehandeld"),
    "outcome_resolved_text": N_("Uw bezwaar is afgehandeld: {resolution}."),
    "outcome_reversed": N_("bezwaar ontvangen, goedkeuring door stilzwijgen herroepen"),
    "outcome_reversed_text": N_(
        "Wij ontvingen uw bezwaar op {at}, vóór de termijn sloot op {closed}, maar registreerden het pas later. Ons "
        "bericht dat de wijziging door stilzwijgen was goedgekeurd, klopte daarom niet en is herroepen: de wijziging "
        "geldt niet voor u zolang het bezwaar loopt. Uw accountmanager neemt contact met u op."
    ),
    "outcome_amendment_reversed": N_("bezwaar ontvangen, aanvaarding door stilzwijgen herroepen"),
    "outcome_amendment_reversed_text": N_(
        "Wij ontvingen uw bezwaar op {at}, vóór de termijn sloot op {closed}, maar registreerden het pas later. Ons "
        "bericht dat de wijziging door stilzwijgen was aanvaard, klopte daarom niet en is herroepen: uw overeenkomst "
        "blijft op de huidige versie, en de overeenkomst op versie {label} is vervallen. Uw accountmanager neemt "
        "contact met u op."
    ),
    "outcome_cancelled": N_("wijziging ingetrokken"),
    "outcome_cancelled_text": N_(
        "De aangekondigde wijziging is ingetrokken; er verandert niets aan uw lijst van subverwerkers."
    ),
    "signature": N_("Met vriendelijke groet,"),
    "footer": N_("Vragen over gegevensbescherming: {dpo}"),
    "ics_summary": N_("Einde bezwaartermijn subverwerker {sp}"),
    "ics_filename": N_("bezwaartermijn.ics"),
    "ics_description": N_("Bezwaar maken kan {closing}."),
    "subject_copy_signed": N_("Uw ondertekende verwerkersovereenkomst {reference} met {processor}"),
    "subject_copy_amended": N_("Uw gewijzigde verwerkersovereenkomst {reference} met {processor} (versie {label})"),
    "subject_copy_processor": N_("Ondertekende verwerkersovereenkomst {reference} met {client}"),
    "copy_signed": N_(
        "In de bijlage vindt u verwerkersovereenkomst {reference} tussen {client} en {processor}, door beide "
        "partijen ondertekend."
    ),
    "copy_amended": N_(
        "In de bijlage vindt u verwerkersovereenkomst {reference} tussen {client} en {processor}, zoals versie "
        "{label} van de voorwaarden ze gewijzigd heeft. Hoe die wijziging tot stand kwam, staat in de wijzigingsakte "
        "op de laatste pagina."
    ),
    "copy_sealed": N_(
        "{processor} heeft het document verzegeld met zijn elektronisch zegel en een tijdstempel. Bewaar dit "
        "bestand: een PDF-lezer die handtekeningen controleert, toont, ook zonder tussenkomst van {processor}, "
        "wanneer het verzegeld werd en dat het sindsdien niet gewijzigd is."
    ),
    "copy_filename": N_("verwerkersovereenkomst-{reference}.pdf"),
    "subject_to_sign": N_("Verwerkersovereenkomst {reference} van {processor} ter ondertekening"),
    "to_sign_intro": N_(
        "{processor} heeft verwerkersovereenkomst {reference} met {client} klaargezet. U kunt ze lezen en voor "
        "{client} ondertekenen in het portaal."
    ),
    "to_sign_action": N_("Lees en onderteken de overeenkomst"),
    "to_sign_login": N_(
        "De link opent de overeenkomst na aanmelding met uw e-mailadres {email}, zo vaak als nodig, tot {processor} "
        "de overeenkomst eventueel terugneemt om ze te wijzigen. Hebt u nog geen wachtwoord, kies er dan een via de "
        "uitnodiging die u kreeg of via ‘Wachtwoord vergeten’ op de aanmeldpagina."
    ),
    "subject_register_confirm": N_("Bevestig uw inschrijving op de subverwerkers van {processor}"),
    "register_confirm_intro": N_(
        "Iemand vroeg met dit e-mailadres een bericht bij elke aangekondigde wijziging in de subverwerkers van "
        "{processor}. Was u dat, bevestig het dan via de link hieronder (7 dagen geldig). Anders hoeft u niets te "
        "doen: zonder bevestiging krijgt u geen berichten over wijzigingen."
    ),
    "register_confirm_action": N_("Inschrijving bevestigen"),
    "subject_register_change": N_("{processor}: {kind} — {sp}"),
    "register_change_intro": N_("{processor} kondigt een wijziging in zijn subverwerkers aan."),
    "register_change_note": N_(
        "Dit bericht is ter informatie. Klanten van {processor} voor wie de wijziging geldt, krijgen daarnaast een "
        "eigen melding, met hun bezwaartermijn."
    ),
    "register_link": N_("Het volledige register"),
    "register_leave": N_("Geen berichten meer? Schrijf u met één klik uit"),
    "subject_invite": N_("Uitnodiging voor het portaal van {processor}"),
    "invite_intro": N_(
        "{processor} nodigt u uit om als gebruiker van {client} de verwerkersovereenkomsten en de subverwerkers te "
        "volgen."
    ),
    "invite_action": N_("Kies uw wachtwoord via deze link (7 dagen geldig, één keer te gebruiken)"),
    "invite_login": N_("Daarna meldt u zich aan met uw e-mailadres {email}."),
    "subject_reset": N_("Een nieuw wachtwoord voor {processor}"),
    "subject_account_notice": N_("Uw account bij {processor}: {what}"),
    "notice_password_changed": N_("Uw wachtwoord is gewijzigd"),
    "notice_password_reset": N_("Uw wachtwoord is opnieuw ingesteld via een link per e-mail"),
    "notice_second_factor_added": N_("Er is een tweede factor ingesteld"),
    "notice_second_factor_removed": N_("Er is een tweede factor verwijderd"),
    "notice_second_factor_reset": N_("Een manager heeft uw tweede factor gewist"),
    "notice_disabled": N_("Uw account is uitgeschakeld"),
    "account_notice_when": N_("Dit gebeurde op {moment} (Brusselse tijd) met uw account {email}."),
    "account_notice_not_you": N_(
        "Was u dit niet, of verwachtte u dit niet? Neem dan meteen contact op met {dpo}: iemand anders kan uw "
        "wachtwoord kennen."
    ),
    "reset_intro": N_("Iemand vroeg een nieuw wachtwoord voor uw account {email} bij {processor}."),
    "reset_action": N_("Kies een nieuw wachtwoord via deze link (1 uur geldig, één keer te gebruiken)"),
    "reset_ignore": N_(
        "Vroeg u dit niet? Dan hoeft u niets te doen: uw wachtwoord blijft wat het was, en de link vervalt vanzelf."
    ),
    "kind_amendment": N_("{processor} wijzigt zijn voorwaarden gegevensbescherming"),
    "subject_amendment": N_(
        "Wijziging van de verwerkersovereenkomst (versie {label}): bezwaar mogelijk tot en met {last_day}"
    ),
    "amendment_intro": N_(
        "In het kader van de verwerkersovereenkomst met {client} ({reference}) melden wij u dat wij onze voorwaarden "
        "gegevensbescherming wijzigen: versie {old} wordt vervangen door versie {new}."
    ),
    "amendment_from": N_("Huidige versie"),
    "amendment_to": N_("Nieuwe versie"),
    "amendment_effective": N_("In werking op"),
    "amendment_summary": N_("Toelichting"),
    "amendment_window": N_(
        "U kunt bezwaar maken binnen {window}, {closing}. Krijgen wij binnen die termijn geen bezwaar, dan geldt de "
        "wijziging als aanvaard: uw overeenkomst gaat over naar de nieuwe versie vanaf {effective} (of vanaf de "
        "aanvaarding, als die later valt), met een wijzigingsakte die vastlegt hoe u aanvaardde."
    ),
    "amendment_changes": N_("Wat verandert, artikel per artikel"),
    "amendment_counts": N_("{changed} gewijzigd, {added} nieuw, {removed} geschrapt."),
    "amendment_legend_text": N_("Toegevoegde woorden staan tussen [+ en +], geschrapte woorden tussen [- en -]."),
    "amendment_legend_html": N_("Toegevoegde woorden zijn groen onderstreept, geschrapte woorden rood doorgehaald."),
    "amendment_translation": N_(
        "De vergelijking geeft de Nederlandse tekst, die voorrang heeft; de volledige nieuwe versie in uw taal vindt "
        "u in het portaal."
    ),
    "article": N_("Artikel {number}"),
    "former_article": N_("Vroeger artikel {number}"),
    "status_added": N_("nieuw"),
    "status_removed": N_("geschrapt"),
    "status_changed": N_("gewijzigd"),
    "amendment_subject_name": N_("Voorwaarden versie {label}"),
    "reminder_intro_amendment": N_(
        "Wij hebben nog geen antwoord ontvangen op onze melding over de wijziging van de voorwaarden naar versie "
        "{label}."
    ),
    "reminder_window_amendment": N_(
        "De bezwaartermijn loopt {closing}. Zonder bezwaar geldt de wijziging daarna als aanvaard."
    ),
    "subject_reminder_amendment": N_(
        "Herinnering: bezwaartermijn voor de wijziging van de voorwaarden (versie {label}) loopt af"
    ),
    "subject_outcome_amendment": N_("Voorwaarden versie {label}: {outcome}"),
    "outcome_amendment_deemed_approved": N_("aanvaard door stilzwijgen"),
    "outcome_amendment_approved": N_("aanvaard"),
    "outcome_amendment_deemed_approved_text": N_(
        "De bezwaartermijn is afgelopen op {closed} zonder dat wij een bezwaar ontvingen. De wijziging geldt daarom "
        "als aanvaard: uw overeenkomst gaat over naar versie {label} vanaf {effective} (of vanaf nu, als die datum "
        "voorbij is). Dat is geen handtekening: in het portaal vindt u de gewijzigde overeenkomst met de "
        "wijzigingsakte die uw stilzwijgende aanvaarding vastlegt; de vorige overeenkomst blijft er bewaard."
    ),
    "outcome_amendment_approved_text": N_(
        "U hebt de wijziging aanvaard op {at}. Uw overeenkomst gaat over naar versie {label} vanaf {effective} (of "
        "vanaf uw aanvaarding, als die later valt). In het portaal vindt u de gewijzigde overeenkomst met de "
        "wijzigingsakte die uw aanvaarding vastlegt; de vorige overeenkomst blijft er bewaard."
    ),
    "outcome_amendment_objection_received_text": N_(
        "Wij hebben uw bezwaar ontvangen op {at}. Uw accountmanager neemt contact met u op; uw overeenkomst blijft "
        "op de huidige versie zolang het bezwaar loopt."
    ),
    "ics_summary_amendment": N_("Einde bezwaartermijn wijziging voorwaarden {label}"),
}

#: How an objection was resolved, as the client reads it (rules.RESOLUTIONS), for a sub-processor change.
RESOLUTION_WORDS = {
    "change_withdrawn": N_("de wijziging is voor u ingetrokken; deze subverwerker wordt niet voor u ingezet"),
    "objection_withdrawn": N_("u hebt uw bezwaar ingetrokken; de wijziging gaat voor u in"),
    "service_ended": N_("de betrokken dienstverlening is beëindigd; de wijziging geldt niet voor u"),
}
#: The same for an amendment of the terms.
AMENDMENT_RESOLUTION_WORDS = {
    "change_withdrawn": N_("de wijziging is voor u ingetrokken; uw overeenkomst blijft op de huidige versie"),
    "objection_withdrawn": N_("u hebt uw bezwaar ingetrokken; uw overeenkomst gaat over naar de nieuwe versie"),
    "service_ended": N_("de betrokken dienstverlening is beëindigd; de wijziging geldt niet voor u"),
}


class Texts:
    """The e-mail texts in the language in force: `t.closing`, `t["kind_add"]`."""

    def __getitem__(self, key: str) -> str:
        return gettext(TEXTS[key])

    def __getattr__(self, key: str) -> str:
        if key.startswith("__"):
            raise AttributeError(key)
        return self[key]


t = Texts()


def long_date(day) -> str:
    """Return 'maandag 9 november 2026' in the language in force."""
    return format_long_date(day, weekday=True)


def closing_text(closes_at: datetime) -> str:
    """Say when a window closes: the last day, and the exact moment in Brussels."""
    return t.closing.format(
        last_day=long_date(last_day(closes_at)), moment=as_brussels(closes_at).strftime("%d/%m/%Y %H:%M")
    )
