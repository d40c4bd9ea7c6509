"""Forms for a version of the standard terms and for announcing it as an amendment."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..web import BaseForm, DayField


class TermsForm(BaseForm):
    label = StringField(
        _l("Versie"),
        validators=[DataRequired(_l("Geef de versie een naam.")), Length(max=40)],
        description=_l("bv. 2026-01"),
    )
    title = StringField(_l("Titel"), validators=[DataRequired(_l("Vul een titel in.")), Length(max=200)])
    effective_on = DayField(
        _l("In werking op"), validators=[InputRequired(_l("Vul de datum van inwerkingtreding in."))]
    )
    text = TextAreaField(_l("Artikelen"), validators=[DataRequired(_l("Er staat geen tekst in.")), Length(max=200_000)])
    title_fr = StringField(_l("Titel in het Frans"), validators=[Length(max=200)])
    title_en = StringField(_l("Titel in het Engels"), validators=[Length(max=200)])
    text_fr = TextAreaField(
        _l("Franse vertaling"),
        validators=[Length(max=200_000)],
        description=_l("Dezelfde artikels in dezelfde opmaak; leeg laten mag."),
    )
    text_en = TextAreaField(
        _l("Engelse vertaling"),
        validators=[Length(max=200_000)],
        description=_l("Dezelfde artikels in dezelfde opmaak; leeg laten mag."),
    )
