"""Forms for an agreement's particulars and for the client's and the processor's signatures."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..catalogue import DATA_CATEGORIES, SUBJECT_CATEGORIES
from ..localized import OTHER_LANGUAGES, flat_translations
from ..processor.forms import CAP_MESSAGE, WINDOW_MESSAGE
from ..rules import MAX_WINDOW_DAYS, MIN_WINDOW_DAYS, SPECIAL_CATEGORY
from ..web import MAX_AMOUNT, AmountField, BaseForm, ConfirmForm, DayField, MultiCheckboxField, choices
from .document import TRANSLATED_PARTICULARS


class AgreementForm(BaseForm):
    terms_version_id = SelectField(_l("Versie van de voorwaarden"), coerce=int)
    subject_matter = TextAreaField(_l("Onderwerp van de verwerking"), validators=[Length(max=2000)])
    starts_on = DayField(_l("Begindatum"), validators=[InputRequired(_l("Vul de begindatum in."))])
    ends_on = DayField(
        _l("Einddatum"),
        validators=[Optional()],
        description=_l("Leeg: voor de duur van de dienstverleningsovereenkomst"),
    )
    nature_purpose = TextAreaField(_l("Aard en doel van de verwerking"), validators=[Length(max=4000)])
    services = MultiCheckboxField(_l("Diensten"), coerce=int)
    data_types = MultiCheckboxField(_l("Soorten persoonsgegevens"), choices=choices(DATA_CATEGORIES.items()))
    data_types_detail = TextAreaField(_l("Toelichting soorten gegevens"), validators=[Length(max=2000)])
    data_subjects = MultiCheckboxField(_l("Categorieën van betrokkenen"), choices=choices(SUBJECT_CATEGORIES.items()))
    data_subjects_detail = TextAreaField(_l("Toelichting betrokkenen"), validators=[Length(max=2000)])
    end_choice = RadioField(
        _l("Aan het einde van de verwerking"),
        choices=choices([("delete", _l("Wissen")), ("return", _l("Teruggeven"))]),
        default="delete",
    )
    window_days = IntegerField(
        _l("Bezwaartermijn (dagen)"),
        validators=[
            InputRequired(_l("Vul de bezwaartermijn in.")),
            NumberRange(MIN_WINDOW_DAYS, MAX_WINDOW_DAYS, WINDOW_MESSAGE),
        ],
    )
    window_unit = SelectField(
        _l("Telwijze"), choices=choices([("calendar", _l("kalenderdagen")), ("working", _l("werkdagen"))])
    )
    cap_total = AmountField(
        _l("Aansprakelijkheidsplafond (EUR)"),
        validators=[InputRequired(_l("Vul het plafond in.")), NumberRange(Decimal(0), MAX_AMOUNT, CAP_MESSAGE)],
    )
    cap_other = AmountField(
        _l("Plafond andere schade (EUR)"),
        validators=[InputRequired(_l("Vul het plafond in.")), NumberRange(Decimal(0), MAX_AMOUNT, CAP_MESSAGE)],
    )
    toms = TextAreaField(
        _l("Technische en organisatorische maatregelen (bijlage III)"),
        description=_l("Eén maatregel per regel"),
        validators=[Length(max=8000)],
    )
    retention = TextAreaField(
        _l("Bewaring van de gegevens (bijlage II)"),
        validators=[Length(max=2000)],
        description=_l("Leeg: zolang de diensten het vereisen, daarna teruggegeven of gewist"),
    )

    def particulars(self) -> dict:
        """Return the form's values as the service takes them."""
        return {
            "terms_version_id": self.terms_version_id.data,
            "subject_matter": self.subject_matter.data,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "nature_purpose": self.nature_purpose.data,
            "data_types": self.data_types.data or [],
            "data_types_detail": self.data_types_detail.data,
            "data_subjects": self.data_subjects.data or [],
            "data_subjects_detail": self.data_subjects_detail.data,
            "special_categories": SPECIAL_CATEGORY in (self.data_types.data or []),
            "end_choice": self.end_choice.data,
            "window_days": self.window_days.data,
            "window_unit": self.window_unit.data,
            "cap_total_cents": int(self.cap_total.data * 100),
            "cap_other_cents": int(self.cap_other.data * 100),
            "toms": self.toms.data,
            "retention": self.retention.data,
            "translations": {
                f"{field}_{language}": self[f"{field}_{language}"].data
                for field in TRANSLATED_PARTICULARS
                for language in OTHER_LANGUAGES
            },
        }

    def fill(self, values: dict, service_ids=()) -> None:
        """Put an agreement's (or the defaults') values into the form."""
        for key, value in values.items():
            if key in self and key not in ("services",):
                self[key].data = value
        for key, value in flat_translations(values.get("translations"), TRANSLATED_PARTICULARS).items():
            self[key].data = value
        if "cap_total_cents" in values:
            self.cap_total.data = Decimal(values["cap_total_cents"]) / 100
            self.cap_other.data = Decimal(values["cap_other_cents"]) / 100
        self.services.data = list(service_ids)


#: The French and English versions of the particulars, e.g. subject_matter_fr (optional; the Dutch prevails).
TRANSLATION_LABELS = {
    "subject_matter": _l("Onderwerp"),
    "nature_purpose": _l("Aard en doel"),
    "data_types_detail": _l("Toelichting soorten gegevens"),
    "data_subjects_detail": _l("Toelichting betrokkenen"),
    "toms": _l("Maatregelen (bijlage III)"),
    "retention": _l("Bewaring"),
}
LANGUAGE_WORDS = {"fr": _l("Frans"), "en": _l("Engels")}
for _field in TRANSLATED_PARTICULARS:
    for _language in OTHER_LANGUAGES:
        setattr(
            AgreementForm,
            f"{_field}_{_language}",
            TextAreaField(
                _l("%(field)s (%(language)s)", field=TRANSLATION_LABELS[_field], language=LANGUAGE_WORDS[_language]),
                validators=[Length(max=8000)],
            ),
        )


class _Capacity(BaseForm):
    """In which capacity one signs for a party, and that one may."""

    role = StringField(
        _l("Hoedanigheid"),
        validators=[DataRequired(_l("Vul uw hoedanigheid in.")), Length(max=200)],
        description=_l("bv. zaakvoerder, gedelegeerd bestuurder, DPO"),
    )
    authorised = BooleanField(
        _l("Ik bevestig dat ik bevoegd ben om te ondertekenen"),
        validators=[DataRequired(_l("Bevestig dat u mag ondertekenen."))],
    )


class SignatureForm(_Capacity):
    full_name = StringField(
        _l("Volledige naam"), validators=[DataRequired(_l("Typ uw volledige naam.")), Length(max=200)]
    )


class QualifiedSignatureForm(_Capacity):
    """The agreement PDF signed in a PDF tool with a qualified certificate (eID), uploaded."""

    signed_pdf = FileField(_l("De ondertekende PDF"), validators=[FileRequired(_l("Kies de PDF die u ondertekende."))])


class CountersignForm(SignatureForm):
    """The processor's signature, with the capacity also in French and English for a client that reads those."""

    role_fr = StringField(_l("Hoedanigheid in het Frans"), validators=[Length(max=200)])
    role_en = StringField(_l("Hoedanigheid in het Engels"), validators=[Length(max=200)])


class SendForm(ConfirmForm):
    """Send a draft for signature; for a client without users, invite one in the same step."""

    invite_email = EmailField(_l("E-mailadres van wie ondertekent"), validators=[Optional(), Length(max=320)])
    invite_name = StringField(_l("Naam"), validators=[Optional(), Length(max=200)])
