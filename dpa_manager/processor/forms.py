from decimal import Decimal

from wtforms import DecimalField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..agreements.forms import CAP_MESSAGE, WINDOW_MESSAGE
from ..rules import MAX_WINDOW_DAYS, MIN_WINDOW_DAYS
from ..web import BaseForm, choices


class ProfileForm(BaseForm):
    name = StringField("Naam", validators=[DataRequired("Vul de naam in."), Length(max=200)])
    enterprise_number = StringField("Ondernemingsnummer", validators=[DataRequired("Vul het ondernemingsnummer in.")])
    address = TextAreaField("Maatschappelijke zetel", validators=[DataRequired("Vul het adres in."), Length(max=500)])
    dpo_email = EmailField("E-mail functionaris gegevensbescherming",
                           validators=[DataRequired("Vul het e-mailadres in."), Length(max=320)])
    governing_law = StringField("Toepasselijk recht", validators=[DataRequired("Vul het toepasselijk recht in."),
                                                                  Length(max=200)])
    competent_court = StringField("Bevoegde rechtbank", validators=[DataRequired("Vul de bevoegde rechtbank in."),
                                                                    Length(max=300)])
    default_window_days = IntegerField("Standaard bezwaartermijn (dagen)", validators=[
        InputRequired("Vul de bezwaartermijn in."), NumberRange(MIN_WINDOW_DAYS, MAX_WINDOW_DAYS, WINDOW_MESSAGE)])
    default_window_unit = SelectField("Telwijze", choices=choices([("calendar", "kalenderdagen"), ("working", "werkdagen")]))
    cap_total = DecimalField("Standaard aansprakelijkheidsplafond (EUR)", places=2, validators=[
        InputRequired("Vul het plafond in."), NumberRange(Decimal(0), None, CAP_MESSAGE)])
    cap_other = DecimalField("Standaard plafond andere schade (EUR)", places=2, validators=[
        InputRequired("Vul het plafond in."), NumberRange(Decimal(0), None, CAP_MESSAGE)])

    def values(self) -> dict:
        fields = ("name", "enterprise_number", "address", "dpo_email", "governing_law", "competent_court",
                  "default_window_days", "default_window_unit")
        return {k: self[k].data for k in fields} | {
            "cap_total_cents": int(self.cap_total.data * 100), "cap_other_cents": int(self.cap_other.data * 100)}


class ServiceForm(BaseForm):
    code = StringField("Code", validators=[DataRequired("Vul een code in."), Length(max=40)],
                       description="kleine letters, bv. klantendienst")
    name = StringField("Naam", validators=[DataRequired("Vul een naam in."), Length(max=120)])
