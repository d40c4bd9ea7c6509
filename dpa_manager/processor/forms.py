"""Forms for the processor's profile and its services."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..rules import MAX_WINDOW_DAYS, MIN_WINDOW_DAYS
from ..web import MAX_AMOUNT, AmountField, BaseForm, choices

WINDOW_MESSAGE = _l(
    "De bezwaartermijn telt minstens %(min)s en hoogstens %(max)s dagen.", min=MIN_WINDOW_DAYS, max=MAX_WINDOW_DAYS
)
CAP_MESSAGE = _l("Een plafond is een bedrag van 0 tot 20.000.000 EUR, bv. 2500.00.")


class ProfileForm(BaseForm):
    name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul de naam in.")), Length(max=200)])
    enterprise_number = StringField(
        _l("Ondernemingsnummer"), validators=[DataRequired(_l("Vul het ondernemingsnummer in."))]
    )
    address = TextAreaField(
        _l("Maatschappelijke zetel"), validators=[DataRequired(_l("Vul het adres in.")), Length(max=500)]
    )
    dpo_email = EmailField(
        _l("E-mail functionaris gegevensbescherming"),
        validators=[DataRequired(_l("Vul het e-mailadres in.")), Length(max=320)],
    )
    governing_law = StringField(
        _l("Toepasselijk recht"), validators=[DataRequired(_l("Vul het toepasselijk recht in.")), Length(max=200)]
    )
    competent_court = StringField(
        _l("Bevoegde rechtbank"), validators=[DataRequired(_l("Vul de bevoegde rechtbank in.")), Length(max=300)]
    )
    default_window_days = IntegerField(
        _l("Standaard bezwaartermijn (dagen)"),
        validators=[
            InputRequired(_l("Vul de bezwaartermijn in.")),
            NumberRange(MIN_WINDOW_DAYS, MAX_WINDOW_DAYS, WINDOW_MESSAGE),
        ],
    )
    default_window_unit = SelectField(
        _l("Telwijze"), choices=choices([("calendar", _l("kalenderdagen")), ("working", _l("werkdagen"))])
    )
    cap_total = AmountField(
        _l("Standaard aansprakelijkheidsplafond (EUR)"),
        validators=[InputRequired(_l("Vul het plafond in.")), NumberRange(Decimal(0), MAX_AMOUNT, CAP_MESSAGE)],
    )
    cap_other = AmountField(
        _l("Standaard plafond andere schade (EUR)"),
        validators=[InputRequired(_l("Vul het plafond in.")), NumberRange(Decimal(0), MAX_AMOUNT, CAP_MESSAGE)],
    )
    contact_name = StringField(_l("Contactpersoon voor de overeenkomsten (bijlage I)"), validators=[Length(max=200)])
    contact_role = StringField(_l("Functie van de contactpersoon"), validators=[Length(max=200)])
    breach_notice_hours = IntegerField(
        _l("Melding van een datalek aan de klant, uiterlijk binnen (uren)"),
        default=48,
        validators=[
            InputRequired(_l("Vul het aantal uren in.")),
            NumberRange(1, 72, _l("Een datalek wordt binnen 1 tot 72 uur gemeld.")),
        ],
    )

    def values(self) -> dict:
        fields = (
            "name",
            "enterprise_number",
            "address",
            "dpo_email",
            "governing_law",
            "competent_court",
            "default_window_days",
            "default_window_unit",
            "contact_name",
            "contact_role",
            "breach_notice_hours",
        )
        return {k: self[k].data for k in fields} | {
            "cap_total_cents": int(self.cap_total.data * 100),
            "cap_other_cents": int(self.cap_other.data * 100),
        }


class ServiceForm(BaseForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Vul een code in.")), Length(max=40)],
        description=_l("kleine letters, bv. klantendienst"),
    )
    name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul een naam in.")), Length(max=120)])
    name_fr = StringField(_l("Naam in het Frans"), validators=[Length(max=120)])
    name_en = StringField(_l("Naam in het Engels"), validators=[Length(max=120)])


class ServiceNamesForm(BaseForm):
    name_fr = StringField(_l("Naam in het Frans"), validators=[Length(max=120)])
    name_en = StringField(_l("Naam in het Engels"), validators=[Length(max=120)])
