from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..rules import RESOLUTIONS
from ..web import BaseForm, choices

#: How a manager can resolve an objection (rules.RESOLUTIONS), as the manager reads it.
RESOLUTION_LABELS = {
    "change_withdrawn": _l("De wijziging is voor deze klant ingetrokken"),
    "objection_withdrawn": _l("De klant heeft het bezwaar ingetrokken"),
    "service_ended": _l("De betrokken dienstverlening is beëindigd"),
}


class ObjectionForm(BaseForm):
    reason = TextAreaField(_l("Reden van uw bezwaar"), validators=[
        DataRequired(_l("Geef de reden van uw bezwaar.")),
        Length(min=3, max=5000, message=_l("Geef de reden (3 tot 5000 tekens)."))])


class ApprovalForm(BaseForm):
    confirm = BooleanField(_l("Ik keur deze wijziging goed namens mijn organisatie"),
                           validators=[DataRequired(_l("Vink aan om goed te keuren."))])


class ResolveForm(BaseForm):
    resolution = RadioField(_l("Afhandeling"),
                            choices=choices((k, RESOLUTION_LABELS.get(k, v[1])) for k, v in RESOLUTIONS.items()),
                            validators=[DataRequired(_l("Kies hoe het bezwaar is afgehandeld."))])
    note = TextAreaField(_l("Toelichting"), validators=[Length(max=5000)])
