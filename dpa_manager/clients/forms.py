"""The forms for a client's details and for inviting its users."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..catalogue import LANGUAGES
from ..web import BaseForm, choices, salutation_field, salutation_name_field


class ClientForm(BaseForm):
    name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul de naam van de klant in.")), Length(max=200)])
    enterprise_number = StringField(
        _l("Ondernemingsnummer"),
        validators=[DataRequired(_l("Vul het ondernemingsnummer in."))],
        description=_l("10 cijfers, bv. 0427.073.974"),
    )
    address = TextAreaField(_l("Adres"), validators=[DataRequired(_l("Vul het adres in.")), Length(max=500)])
    language = SelectField(_l("Taal"), choices=choices(LANGUAGES.items()), default="nl")
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[DataRequired(_l("Vul een e-mailadres in.")), Length(max=320)]
    )
    contact_name = StringField(_l("Contactpersoon (bijlage I)"), validators=[Length(max=200)])
    contact_role = StringField(_l("Functie van de contactpersoon"), validators=[Length(max=200)])
    salutation = salutation_field(_l("Aanspreking van de contactpersoon in e-mails"))
    salutation_name = salutation_name_field()


class InviteForm(BaseForm):
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(_l("Vul een e-mailadres in.")), Length(max=320)])
    full_name = StringField(_l("Naam"), validators=[DataRequired(_l("Vul de naam in.")), Length(max=200)])
