"""E-mail addresses as the app keeps them: checked, and in lower case."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from .errors import Invalid


def normalize_email(raw: str, field: str = "email") -> str:
    """Return the address in lower case, or raise Invalid naming `field`."""
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid(_("Dit is geen geldig e-mailadres."), field) from None
