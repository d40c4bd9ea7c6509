"""Reading the audit trail in the browser."""

from flask import Blueprint

bp = Blueprint("trail", __name__)
