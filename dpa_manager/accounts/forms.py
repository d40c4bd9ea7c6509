from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..web import BaseForm


class LoginForm(BaseForm):
    email = EmailField("E-mailadres", validators=[DataRequired("Vul uw e-mailadres in."), Length(max=320)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField("Wachtwoord", validators=[DataRequired("Vul uw wachtwoord in."), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class SetPasswordForm(BaseForm):
    password = PasswordField("Nieuw wachtwoord", validators=[DataRequired("Kies een wachtwoord."), Length(max=200)],
                             render_kw={"autocomplete": "new-password"},
                             description="Minstens 12 tekens; een zin van enkele woorden is sterk en makkelijk te onthouden.")
    confirm = PasswordField("Herhaal het wachtwoord", render_kw={"autocomplete": "new-password"}, validators=[
        DataRequired("Herhaal het wachtwoord."), EqualTo("password", "De twee wachtwoorden verschillen.")])


class InviteForm(BaseForm):
    email = EmailField("E-mailadres", validators=[DataRequired("Vul een e-mailadres in."), Length(max=320)])
    full_name = StringField("Naam", validators=[DataRequired("Vul de naam in."), Length(max=200)])


class TokenForm(BaseForm):
    label = StringField("Waarvoor", validators=[DataRequired("Zeg waarvoor het token dient."), Length(max=100)],
                        description="bv. koppeling met het CRM")
