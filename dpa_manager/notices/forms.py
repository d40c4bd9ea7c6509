from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..rules import RESOLUTIONS
from ..web import BaseForm, choices


class ObjectionForm(BaseForm):
    reason = TextAreaField("Reden van uw bezwaar", validators=[
        DataRequired("Geef de reden van uw bezwaar."), Length(min=3, max=5000, message="Geef de reden (3 tot 5000 tekens).")])


class ApprovalForm(BaseForm):
    confirm = BooleanField("Ik keur deze wijziging goed namens mijn organisatie",
                           validators=[DataRequired("Vink aan om goed te keuren.")])


class ResolveForm(BaseForm):
    resolution = RadioField("Afhandeling", choices=choices((k, v[1]) for k, v in RESOLUTIONS.items()),
                            validators=[DataRequired("Kies hoe het bezwaar is afgehandeld.")])
    note = TextAreaField("Toelichting", validators=[Length(max=5000)])
