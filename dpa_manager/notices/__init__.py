"""Notices of changes, the manager's dashboard and the outbox page."""

from flask import Blueprint

bp = Blueprint("notices", __name__)
