from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..catalogue import LANGUAGES
from ..web import BaseForm, choices


class ClientForm(BaseForm):
    name = StringField("Naam", validators=[DataRequired("Vul de naam van de klant in."), Length(max=200)])
    enterprise_number = StringField("Ondernemingsnummer", validators=[DataRequired("Vul het ondernemingsnummer in.")],
                                    description="10 cijfers, bv. 0427.073.974")
    address = TextAreaField("Adres", validators=[DataRequired("Vul het adres in."), Length(max=500)])
    language = SelectField("Taal", choices=choices(LANGUAGES.items()), default="nl")
    contact_email = EmailField("Contact e-mail", validators=[DataRequired("Vul een e-mailadres in."), Length(max=320)])
