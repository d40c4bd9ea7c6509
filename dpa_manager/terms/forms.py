"""Forms for a version of the standard terms and for announcing it as an amendment."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..web import BaseForm, choices


class TermsForm(BaseForm):
    label = StringField(
        _l("Versie"),
        validators=[DataRequired(_l("Geef de versie een naam.")), Length(max=40)],
        description=_l("bv. 2026-01"),
    )
    title = StringField(_l("Titel"), validators=[DataRequired(_l("Vul een titel in.")), Length(max=200)])
    effective_on = DateField(
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
