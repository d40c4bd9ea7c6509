"""The JSON API for the processor's own systems: a thin layer over the same services."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
