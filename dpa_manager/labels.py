"""The words for states and kinds that pages show in every row, translated one at a time when shown.

As lazy texts in Python rather than dict literals in the macros, so that a row costs one translation,
not one per possible state (a page of 200 rows would otherwise translate thousands of texts).
"""

from flask_babel import lazy_gettext as _l

from .rules import ANSWER_CHANNELS, NOTICE_STATE_LABELS

#: The Dutch words are in rules.NOTICE_STATE_LABELS (marked for the catalogues there).
NOTICE_STATES = {state.value: _l(label) for state, label in NOTICE_STATE_LABELS.items()}
CHANGE_KINDS = {"add": _l("Toevoeging"), "replace": _l("Vervanging"), "remove": _l("Stopzetting")}
CHANGE_STATES = {"draft": _l("Concept"), "announced": _l("Aangekondigd"), "cancelled": _l("Ingetrokken")}
TRANSFERS = {
    "adequacy": _l("Adequaatheidsbesluit"),
    "scc": _l("SCC"),
    "bcr": _l("BCR"),
    "other": _l("Andere waarborg"),
    None: _l("EER"),
}
#: The Dutch words are in rules.ANSWER_CHANNELS.
CHANNELS = {channel: _l(label) for channel, label in ANSWER_CHANNELS.items()}


def register(app) -> None:
    app.jinja_env.globals["LABELS"] = {
        "notice_states": NOTICE_STATES,
        "change_kinds": CHANGE_KINDS,
        "change_states": CHANGE_STATES,
        "transfers": TRANSFERS,
        "channels": CHANNELS,
    }
