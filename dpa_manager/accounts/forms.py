from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from ..web import BaseForm


class LoginForm(BaseForm):
    email = EmailField("E-mailadres", validators=[DataRequired("Vul uw e-mailadres in.")])
    password = PasswordField("Wachtwoord", validators=[DataRequired("Vul uw wachtwoord in.")])
