"""Feeds: per client, an Atom feed of their sub-processor list and an iCalendar feed of their
open deadlines behind a secret URL; a public page and Atom feed of the processor's register."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)
