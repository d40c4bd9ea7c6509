"""Forms for a register entry, a change to the register and an intervention."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..catalogue import DATA_CATEGORIES, SUBPROCESSOR_KINDS, TRANSFER_MECHANISMS
from ..web import BaseForm, DayField, MultiCheckboxField, choices


class SubProcessorForm(BaseForm):
    """The fields of a register entry; services.clean_subprocessor checks them, for the API alike.

    `required` and `maxlength` only let the browser say early what that check will say.
    """

    name = StringField(_l("Naam"), render_kw={"required": True, "maxlength": 200})
    registration_number = StringField(_l("Registratie- of ondernemingsnummer"), render_kw={"maxlength": 60})
    purpose = TextAreaField(_l("Dienst die hij levert"), render_kw={"required": True, "maxlength": 2000})
    countries = StringField(
        _l("Verwerkingslocaties"),
        render_kw={"required": True},
        description=_l("ISO-landcodes, gescheiden door komma's, bv. BE, NL, US"),
    )
    transfer_mechanism = SelectField(
        _l("Doorgifte buiten de EER"),
        choices=choices([("", _l("Niet nodig (enkel binnen de EER)"))] + list(TRANSFER_MECHANISMS.items())),
        validate_choice=False,
    )
    transfer_text = StringField(_l("Andere waarborg, toelichting"), render_kw={"maxlength": 1000})
    data_categories = MultiCheckboxField(
        _l("Soorten persoonsgegevens die hij ontvangt"), choices=choices(DATA_CATEGORIES.items()), validate_choice=False
    )
    kind = RadioField(
        _l("Soort"), choices=choices(SUBPROCESSOR_KINDS.items()), default="active_systematic", validate_choice=False
    )
    website = StringField(_l("Website"), render_kw={"maxlength": 300})
    address = TextAreaField(_l("Adres (bijlage IV)"), render_kw={"required": True, "maxlength": 500})
    contact = StringField(_l("Contact (persoon of e-mailadres)"), render_kw={"required": True, "maxlength": 300})
    services = MultiCheckboxField(
        _l("Gebruikt voor de diensten"), coerce=int, description=_l("Niets aangevinkt: voor alle diensten")
    )
    purpose_fr = TextAreaField(_l("Dienst die hij levert (Frans)"), render_kw={"maxlength": 2000})
    purpose_en = TextAreaField(_l("Dienst die hij levert (Engels)"), render_kw={"maxlength": 2000})
    transfer_text_fr = StringField(_l("Andere waarborg, toelichting (Frans)"), render_kw={"maxlength": 1000})
    transfer_text_en = StringField(_l("Andere waarborg, toelichting (Engels)"), render_kw={"maxlength": 1000})

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


class InterventionForm(BaseForm):
    happened_on = DayField(_l("Datum"), validators=[InputRequired(_l("Vul de datum in."))])
    reason = TextAreaField(
        _l("Reden"), validators=[DataRequired(_l("Geef de reden van de tussenkomst.")), Length(max=4000)]
    )
    data_categories = MultiCheckboxField(
        _l("Geraakte soorten persoonsgegevens"), choices=choices(DATA_CATEGORIES.items())
    )
