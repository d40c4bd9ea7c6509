from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..catalogue import DATA_CATEGORIES, SUBPROCESSOR_KINDS, TRANSFER_MECHANISMS
from ..web import BaseForm, MultiCheckboxField, choices
from .services import CHANGE_KINDS


class SubProcessorForm(BaseForm):
    name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul de naam in.")), Length(max=200)])
    registration_number = StringField(_l("Registratie- of ondernemingsnummer"), validators=[Length(max=60)])
    purpose = TextAreaField(
        _l("Dienst die hij levert"), validators=[DataRequired(_l("Beschrijf de dienst.")), Length(max=2000)]
    )
    countries = StringField(
        _l("Verwerkingslocaties"),
        validators=[DataRequired(_l("Geef minstens één land."))],
        description=_l("ISO-landcodes, gescheiden door komma's, bv. BE, NL, US"),
    )
    transfer_mechanism = SelectField(
        _l("Doorgifte buiten de EER"),
        choices=choices([("", _l("Niet nodig (enkel binnen de EER)"))] + list(TRANSFER_MECHANISMS.items())),
    )
    transfer_text = StringField(_l("Andere waarborg, toelichting"), validators=[Length(max=1000)])
    data_categories = MultiCheckboxField(
        _l("Soorten persoonsgegevens die hij ontvangt"), choices=choices(DATA_CATEGORIES.items())
    )
    kind = RadioField(_l("Soort"), choices=choices(SUBPROCESSOR_KINDS.items()), default="active_systematic")
    website = StringField(_l("Website"), validators=[Length(max=300)])
    address = TextAreaField(
        _l("Adres (bijlage IV)"), validators=[DataRequired(_l("Vul het adres in.")), Length(max=500)]
    )
    contact = StringField(
        _l("Contact (persoon of e-mailadres)"), validators=[DataRequired(_l("Vul een contact in.")), Length(max=300)]
    )
    services = MultiCheckboxField(
        _l("Gebruikt voor de diensten"), coerce=int, description=_l("Niets aangevinkt: voor alle diensten")
    )
    purpose_fr = TextAreaField(_l("Dienst die hij levert (Frans)"), validators=[Length(max=2000)])
    purpose_en = TextAreaField(_l("Dienst die hij levert (Engels)"), validators=[Length(max=2000)])
    transfer_text_fr = StringField(_l("Andere waarborg, toelichting (Frans)"), validators=[Length(max=1000)])
    transfer_text_en = StringField(_l("Andere waarborg, toelichting (Engels)"), validators=[Length(max=1000)])

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "registration_number": self.registration_number.data,
            "purpose": self.purpose.data,
            "countries": self.countries.data,
            "transfer_mechanism": self.transfer_mechanism.data or None,
            "transfer_text": self.transfer_text.data,
            "data_categories": self.data_categories.data or [],
            "kind": self.kind.data,
            "website": self.website.data,
            "address": self.address.data,
            "contact": self.contact.data,
            "purpose_fr": self.purpose_fr.data,
            "purpose_en": self.purpose_en.data,
            "transfer_text_fr": self.transfer_text_fr.data,
            "transfer_text_en": self.transfer_text_en.data,
        }


class ChangeForm(BaseForm):
    kind = RadioField(_l("Wijziging"), choices=choices(CHANGE_KINDS.items()), default="add")
    subprocessor_id = SelectField(_l("Subverwerker"), coerce=int, description=_l("Bij vervangen: de nieuwe"))
    replaces_id = SelectField(_l("Vervangt"), coerce=int, validators=[Optional()])
    effective_on = DateField(_l("Geplande ingangsdatum"), validators=[InputRequired(_l("Vul de ingangsdatum in."))])
    reason = TextAreaField(
        _l("Reden"), validators=[DataRequired(_l("Geef de reden van de wijziging.")), Length(max=4000)]
    )
    reason_fr = TextAreaField(
        _l("Reden (Frans)"),
        validators=[Length(max=4000)],
        description=_l("Optioneel: een Franstalige klant leest anders de Nederlandse reden"),
    )
    reason_en = TextAreaField(
        _l("Reden (Engels)"),
        validators=[Length(max=4000)],
        description=_l("Optioneel: een Engelstalige klant leest anders de Nederlandse reden"),
    )


class InterventionForm(BaseForm):
    happened_on = DateField(_l("Datum"), validators=[InputRequired(_l("Vul de datum in."))])
    reason = TextAreaField(
        _l("Reden"), validators=[DataRequired(_l("Geef de reden van de tussenkomst.")), Length(max=4000)]
    )
    data_categories = MultiCheckboxField(
        _l("Geraakte soorten persoonsgegevens"), choices=choices(DATA_CATEGORIES.items())
    )
