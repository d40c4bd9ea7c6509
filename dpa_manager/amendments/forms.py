"""The form that announces an amendment of the terms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..web import BaseForm, choices


class AmendmentForm(BaseForm):
    """Announce a published version to the clients on an older one."""

    summary = TextAreaField(
        _l("Toelichting voor de klanten"),
        validators=[Length(max=5000)],
        description=_l("Wat verandert er en waarom; staat boven de vergelijking in de melding."),
    )
    window_days = IntegerField(
        _l("Termijn"),
        default=3,
        validators=[InputRequired(_l("Vul de termijn in.")), NumberRange(1, 90, _l("Tussen 1 en 90 dagen."))],
    )
    window_unit = SelectField(
        _l("Eenheid"),
        default="working",
        choices=choices([("working", _l("werkdagen")), ("calendar", _l("kalenderdagen"))]),
    )
    confirm = BooleanField(_l("Ik bevestig"), validators=[DataRequired(_l("Vink aan om te bevestigen."))])
