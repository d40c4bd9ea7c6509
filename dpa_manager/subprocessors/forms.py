from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..catalogue import DATA_CATEGORIES, SUBPROCESSOR_KINDS, TRANSFER_MECHANISMS
from ..web import BaseForm, MultiCheckboxField, choices
from .services import CHANGE_KINDS


class SubProcessorForm(BaseForm):
    name = StringField("Naam", validators=[DataRequired("Vul de naam in."), Length(max=200)])
    registration_number = StringField("Registratie- of ondernemingsnummer", validators=[Length(max=60)])
    purpose = TextAreaField("Dienst die hij levert", validators=[DataRequired("Beschrijf de dienst."),
                                                                 Length(max=2000)])
    countries = StringField("Verwerkingslocaties", validators=[DataRequired("Geef minstens één land.")],
                            description="ISO-landcodes, gescheiden door komma's, bv. BE, NL, US")
    transfer_mechanism = SelectField("Doorgifte buiten de EER", choices=choices(
        [("", "Niet nodig (enkel binnen de EER)")] + list(TRANSFER_MECHANISMS.items())))
    transfer_text = StringField("Andere waarborg, toelichting", validators=[Length(max=1000)])
    data_categories = MultiCheckboxField("Soorten persoonsgegevens die hij ontvangt",
                                         choices=choices(DATA_CATEGORIES.items()))
    kind = RadioField("Soort", choices=choices(SUBPROCESSOR_KINDS.items()), default="active_systematic")
    website = StringField("Website", validators=[Length(max=300)])
    services = MultiCheckboxField("Gebruikt voor de diensten", coerce=int,
                                  description="Niets aangevinkt: voor alle diensten")

    def values(self) -> dict:
        return {"name": self.name.data, "registration_number": self.registration_number.data,
                "purpose": self.purpose.data, "countries": self.countries.data,
                "transfer_mechanism": self.transfer_mechanism.data or None, "transfer_text": self.transfer_text.data,
                "data_categories": self.data_categories.data or [], "kind": self.kind.data,
                "website": self.website.data}


class ChangeForm(BaseForm):
    kind = RadioField("Wijziging", choices=choices(CHANGE_KINDS.items()), default="add")
    subprocessor_id = SelectField("Subverwerker", coerce=int, description="Bij vervangen: de nieuwe")
    replaces_id = SelectField("Vervangt", coerce=int, validators=[Optional()])
    effective_on = DateField("Geplande ingangsdatum", validators=[InputRequired("Vul de ingangsdatum in.")])
    reason = TextAreaField("Reden", validators=[DataRequired("Geef de reden van de wijziging."), Length(max=4000)])


class InterventionForm(BaseForm):
    happened_on = DateField("Datum", validators=[InputRequired("Vul de datum in.")])
    reason = TextAreaField("Reden", validators=[DataRequired("Geef de reden van de tussenkomst."), Length(max=4000)])
    data_categories = MultiCheckboxField("Geraakte soorten persoonsgegevens", choices=choices(DATA_CATEGORIES.items()))
