"""Creating, changing and finding clients."""

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_

from .. import audit
from ..addresses import normalize_email
from ..catalogue import LANGUAGES
from ..errors import Invalid
from ..extensions import db
from ..paging import Page, count_upto, page_of
from ..rules import SALUTATIONS, enterprise_number_error, name_error, normalize_enterprise_number, salutation_error
from ..scoping import select_for
from ..text import without_controls
from . import search
from .models import Client

CLIENT_FIELDS = (
    "name",
    "enterprise_number",
    "address",
    "language",
    "contact_email",
    "contact_name",
    "contact_role",
    "salutation",
    "salutation_name",
)


def client_errors(values: dict) -> tuple[dict, dict[str, str]]:
    """Check a client's details: return them tidied, and {field: why} for every field that is wrong (a clash with
    another client's enterprise number is for the caller to check)."""
    values = {k: (values.get(k) or "").strip() if isinstance(values.get(k) or "", str) else "" for k in CLIENT_FIELDS}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = _("Vul de naam van de klant in.")
    for field in ("name", "contact_name", "contact_role"):
        error = name_error(values[field])
        if error and field not in errors:
            errors[field] = _(error)
    error = enterprise_number_error(values["enterprise_number"])
    if error:
        errors["enterprise_number"] = _(error)
    else:
        values["enterprise_number"] = normalize_enterprise_number(values["enterprise_number"])
    if not values["address"]:
        errors["address"] = _("Vul het adres in.")
    elif len(values["address"]) > 500:
        errors["address"] = _("Hoogstens %(num)s tekens.", num=500)
    elif without_controls(values["address"]) != values["address"]:
        errors["address"] = _("Het adres bevat onzichtbare stuurtekens; typ het opnieuw.")
    values["salutation"] = values["salutation"] or "full_name"
    error = salutation_error(values["salutation"], values["salutation_name"])
    if error:
        field = "salutation" if values["salutation"] not in SALUTATIONS else "salutation_name"
        errors[field] = _(error)
    if values["language"] not in LANGUAGES:
        errors["language"] = _("Kies Nederlands, Frans of Engels.")
    try:
        values["contact_email"] = normalize_email(values["contact_email"], "contact_email")
    except Invalid as invalid:
        errors["contact_email"] = invalid.message
    return values, errors


def _clean(values: dict, client: Client | None) -> dict:
    values, errors = client_errors(values)
    for field in CLIENT_FIELDS:  # the first wrong field, in the form's order
        if field in errors:
            raise Invalid(errors[field], field)
    clash = db.session.scalar(db.select(Client).where(Client.enterprise_number == values["enterprise_number"]))
    if clash is not None and clash is not client:
        raise Invalid(_("Dit ondernemingsnummer hoort al bij %(name)s.", name=clash.name), "enterprise_number")
    return values


def create_client(values: dict, *, actor, now: datetime) -> Client:
    """Create a client; raise Invalid on bad input."""
    values = _clean(values, None)
    client = Client(created_at=now, **values)
    db.session.add(client)
    db.session.flush()
    audit.record(at=now, actor=actor, object_type="client", object_id=client.id, action="created", after=values)
    return client


def update_client(client: Client, values: dict, *, actor, now: datetime) -> Client:
    """Change a client's details."""
    values = _clean(values, client)
    before = {k: getattr(client, k) for k in CLIENT_FIELDS}
    for key, value in values.items():
        setattr(client, key, value)
    audit.record(
        at=now, actor=actor, object_type="client", object_id=client.id, action="updated", before=before, after=values
    )
    return client


def list_clients(user, *, limit: int, offset: int = 0) -> Sequence[Client]:
    """Return the clients the user may see (a client user: its own), by id, `limit` of them from `offset`."""
    return db.session.scalars(select_for(user, Client).order_by(Client.id).limit(limit).offset(offset)).all()


def search_clients(query: str, page: int, per_page: int) -> tuple[Page[Client], int | None]:
    """Return one page of clients whose name, number or e-mail matches `query`, by name; and, without a query,
    how many clients there are (counted up to paging.COUNT_CAP + 1). A search looks the text up in the index of
    the clients' words (search.py); the matches are not counted."""
    stmt = matching(query)
    return page_of(stmt.order_by(Client.name, Client.id), page, per_page), None if query.strip() else count_upto(stmt)


def matching(query: str):
    """The select of the clients whose name, number or e-mail matches `query` (all clients for an empty one)."""
    stmt = db.select(Client)
    query = (query or "").strip()
    if query:
        digits = normalize_enterprise_number(query)
        indexed = search.matching(query, digits if digits.isascii() and digits.isdigit() else None)
        if indexed is not None:
            return stmt.where(indexed)
        # A % or _ in the text: taken literally, which the index cannot do; every client's words are read.
        like = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions = [
            func.lower(Client.name).like(like, escape="\\"),
            func.lower(Client.contact_email).like(like, escape="\\"),
        ]
        if digits.isascii() and digits.isdigit():
            conditions.append(Client.enterprise_number.like(f"%{digits}%"))
        stmt = stmt.where(or_(*conditions))
    return stmt
