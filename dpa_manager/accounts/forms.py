"""Forms for signing in, setting a password, inviting a user and making an API token."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..web import BaseForm, salutation_field, salutation_name_field


class LoginForm(BaseForm):
    email = EmailField(
        _l("E-mailadres"),
        validators=[DataRequired(_l("Vul uw e-mailadres in.")), Length(max=320)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Wachtwoord"),
        validators=[DataRequired(_l("Vul uw wachtwoord in.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class SetPasswordForm(BaseForm):
    password = PasswordField(
        _l("Nieuw wachtwoord"),
        validators=[DataRequired(_l("Kies een wachtwoord.")), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
        description=_l("Minstens 12 tekens; een zin van enkele woorden is sterk en makkelijk te onthouden."),
    )
    confirm = PasswordField(
        _l("Herhaal het wachtwoord"),
        render_kw={"autocomplete": "new-password"},
        validators=[
            DataRequired(_l("Herhaal het wachtwoord.")),
            EqualTo("password", _l("De twee wachtwoorden verschillen.")),
        ],
    )


class ForgotPasswordForm(BaseForm):
    email = EmailField(
        _l("E-mailadres"),
        validators=[DataRequired(_l("Vul uw e-mailadres in.")), Length(max=320)],
        render_kw={"autocomplete": "username"},
    )


class TokenForm(BaseForm):
    label = StringField(
        _l("Waarvoor"),
        validators=[DataRequired(_l("Zeg waarvoor het token dient.")), Length(max=100)],
        description=_l("bv. koppeling met het CRM"),
    )


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(
        _l("Huidig wachtwoord"),
        validators=[DataRequired(_l("Vul uw huidige wachtwoord in.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(BaseForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Typ de code.")), Length(max=40)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "text",
            "autocapitalize": "off",
            "spellcheck": "false",
        },
        description=_l("De zes cijfers uit uw app, of een van uw herstelcodes"),
    )


class KeyNameForm(BaseForm):
    name = StringField(
        _l("Naam van de sleutel"),
        validators=[Length(max=100)],
        description=_l("bv. YubiKey op mijn sleutelbos, of laptop"),
    )


class SalutationForm(BaseForm):
    """How the e-mails to the user address them."""

    salutation = salutation_field(_l("Aanspreking in e-mails"))
    salutation_name = salutation_name_field()


class RightsForm(BaseForm):
    """What a client user may do (accounts.services.set_rights)."""

    may_sign = BooleanField(_l("Mag ondertekenen"))
    gets_notices = BooleanField(_l("Krijgt de meldingen"))
    client_admin = BooleanField(_l("Beheert de gebruikers"))

    def rights(self) -> dict[str, bool]:
        """The rights as accounts.services.set_rights and invite take them."""
        return {"client_admin": self.client_admin.data, "may_sign": self.may_sign.data,
                "gets_notices": self.gets_notices.data}  # fmt: skip
