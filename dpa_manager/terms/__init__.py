from flask import Blueprint

bp = Blueprint("terms", __name__, url_prefix="/terms")
