"""Tenant isolation: the one helper every query for client-scoped data goes through.

A model that holds a client's data names the column that says whose it is in
`client_scope`. Managers see every row; a client user sees only their own client's rows;
a model without `client_scope` is never shown to a client user at all.
"""

from __future__ import annotations

from sqlalchemy import false, select

from .extensions import db
from .web import is_id


def scoped(stmt, model, user):
    """Limit a select of `model` to the rows `user` may see."""
    if user.is_manager:
        return stmt
    column_name = getattr(model, "client_scope", None)
    if column_name is None or user.client_id is None:
        return stmt.where(false())
    return stmt.where(getattr(model, column_name) == user.client_id)


def get_for(user, model, object_id):
    """Return the row with this id if `user` may see it, else None (the caller answers 404)."""

    if not is_id(object_id):
        return None
    return db.session.scalar(scoped(select(model).where(model.id == object_id), model, user))


def select_for(user, model):
    """Return a select of every row of `model` that `user` may see."""
    return scoped(select(model), model, user)
