"""The client users' side: their agreements, to read, download and sign."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")
