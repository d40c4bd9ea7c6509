from flask import Blueprint

bp = Blueprint("processor", __name__, url_prefix="/processor")
