from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..web import BaseForm


class TermsForm(BaseForm):
    label = StringField("Versie", validators=[DataRequired("Geef de versie een naam."), Length(max=40)],
                        description="bv. 2026-01")
    title = StringField("Titel", validators=[DataRequired("Vul een titel in."), Length(max=200)])
    effective_on = DateField("In werking op", validators=[InputRequired("Vul de datum van inwerkingtreding in.")])
    text = TextAreaField("Artikelen", validators=[DataRequired("Er staat geen tekst in."), Length(max=200_000)])
