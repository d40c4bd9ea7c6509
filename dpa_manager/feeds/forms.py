"""The form of the public register: an e-mail subscription."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from ..web import BaseForm


class SubscribeForm(BaseForm):
    email = EmailField(_l("Uw e-mailadres"), validators=[DataRequired(_l("Vul een e-mailadres in.")), Length(max=320)])
