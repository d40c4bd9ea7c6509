"""The forms of notices: the client's objection and approval, a manager's resolution and recorded answers."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateTimeLocalField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..rules import ANSWER_CHANNELS, RECORDED_CHANNELS, RESOLUTIONS
from ..web import BaseForm, choices

#: How a manager can resolve an objection (rules.RESOLUTIONS), as the manager reads it.
RESOLUTION_LABELS = {
    "change_withdrawn": _l("De wijziging is voor deze klant ingetrokken"),
    "objection_withdrawn": _l("De klant heeft het bezwaar ingetrokken"),
    "service_ended": _l("De betrokken dienstverlening is beëindigd"),
}


class ObjectionForm(BaseForm):
    reason = TextAreaField(
        _l("Reden van uw bezwaar"),
        validators=[
            DataRequired(_l("Geef de reden van uw bezwaar.")),
            Length(min=3, max=5000, message=_l("Geef de reden (3 tot 5000 tekens).")),
        ],
    )


class ApprovalForm(BaseForm):
    confirm = BooleanField(
        _l("Ik keur deze wijziging goed namens mijn organisatie"),
        validators=[DataRequired(_l("Vink aan om goed te keuren."))],
    )


class ResolveForm(BaseForm):
    resolution = RadioField(
        _l("Afhandeling"),
        choices=choices((k, RESOLUTION_LABELS.get(k, v[1])) for k, v in RESOLUTIONS.items()),
        validators=[DataRequired(_l("Kies hoe het bezwaar is afgehandeld."))],
    )
    note = TextAreaField(_l("Toelichting"), validators=[Length(max=5000)])
    confirm = BooleanField(
        _l("Ik bevestig deze afhandeling: de klant krijgt er bericht van, en ze kan niet ongedaan gemaakt worden."),
        validators=[DataRequired(_l("Vink aan om te bevestigen."))],
    )


class RecordAnswerForm(BaseForm):
    """An objection or approval that the client sent outside the app, recorded by a manager."""

    answer = RadioField(
        _l("Antwoord van de klant"),
        choices=choices([("objection", _l("Bezwaar")), ("approval", _l("Goedkeuring"))]),
        validators=[DataRequired(_l("Kies bezwaar of goedkeuring."))],
    )
    channel = SelectField(
        _l("Ontvangen"),
        choices=choices((c, _l(ANSWER_CHANNELS[c])) for c in RECORDED_CHANNELS),
        validators=[DataRequired(_l("Kies hoe het antwoord binnenkwam."))],
    )
    received_at = DateTimeLocalField(
        _l("Ontvangen op (Brusselse tijd)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Geef datum en uur van ontvangst."))],
    )
    reason = TextAreaField(
        _l("Reden of notitie (bij een telefoon: wie belde en wat gezegd werd)"), validators=[Length(max=5000)]
    )
    proof = MultipleFileField(_l("Bewijs: de e-mail (.eml), de brief (.pdf) of een foto (.png, .jpg)"))
    confirm = BooleanField(
        _l("Ik bevestig dat de verwerker dit antwoord op het vermelde ogenblik ontving"),
        validators=[DataRequired(_l("Vink aan om te bevestigen."))],
    )
