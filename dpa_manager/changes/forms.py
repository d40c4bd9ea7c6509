"""The form that drafts a change to the register."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..web import BaseForm, DayField, choices
from .services import CHANGE_KINDS, REASON_MAX


class ChangeForm(BaseForm):
    kind = RadioField(_l("Wijziging"), choices=choices(CHANGE_KINDS.items()), default="add")
    subprocessor_id = SelectField(_l("Subverwerker"), coerce=int, description=_l("Bij vervangen: de nieuwe"))
    replaces_id = SelectField(_l("Vervangt"), coerce=int, validators=[Optional()])
    effective_on = DayField(_l("Geplande ingangsdatum"), validators=[InputRequired(_l("Vul de ingangsdatum in."))])
    reason = TextAreaField(
        _l("Reden"), validators=[DataRequired(_l("Geef de reden van de wijziging.")), Length(max=REASON_MAX)]
    )
    reason_fr = TextAreaField(
        _l("Reden (Frans)"),
        validators=[Length(max=REASON_MAX)],
        description=_l("Optioneel: een Franstalige klant leest anders de Nederlandse reden"),
    )
    reason_en = TextAreaField(
        _l("Reden (Engels)"),
        validators=[Length(max=REASON_MAX)],
        description=_l("Optioneel: een Engelstalige klant leest anders de Nederlandse reden"),
    )
