"""The register of sub-processors and the changes announced to clients."""

from flask import Blueprint

bp = Blueprint("subprocessors", __name__)
