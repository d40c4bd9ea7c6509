"""The OpenAPI 3 document of /api/v1. A test keeps it true to the routes and the responses."""

from ..agreements.document import TRANSLATED_PARTICULARS
from ..catalogue import COUNTRIES, DATA_CATEGORIES, LANGUAGES, SUBJECT_CATEGORIES
from ..changes.services import REASON_MAX
from ..rules import MAX_WINDOW_DAYS, AgreementState, ChangeState, NoticeState, SubProcessorStatus
from ..subprocessors.services import SUBPROCESSOR_LIMITS
from ..web import MAX_ID


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _ref("Error")
COMMON_ERRORS = {
    "400": _json(ERROR, "Bad JSON or parameters"),
    "401": _json(ERROR, "No or bad token"),
    "404": _json(ERROR, "Not found, or not this user's"),
}


def _op(summary: str, ok: dict, *, ok_code: str = "200", errors=(), params=(), body=None, op_id: str) -> dict:
    op = {
        "summary": summary,
        "operationId": op_id,
        "parameters": list(params),
        "responses": {ok_code: ok} | COMMON_ERRORS | {code: _json(ERROR, text) for code, text in errors},
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": ID}


def _query(name: str, schema: dict) -> dict:
    """An optional query parameter; given empty (?name=) it counts as not given."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": "Optional; an empty value counts as not given.",
    }


def _text(limit: int) -> dict:
    return {"type": "string", "maxLength": limit}


DATE = {"type": "string", "format": "date"}
#: A row id, as the server takes it (a larger number is not found).
ID = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
INSTANT = {"type": ["string", "null"], "format": "date-time"}
FORBIDDEN = ("403", "Not for this role")
CONFLICT = ("409", "The object's state does not allow it")
INVALID = ("422", "Invalid fields")


def _translations(fields: list[str]) -> dict:
    """The optional French and English versions of free texts: {"fr": {field: text}, "en": {...}}."""
    texts = {
        "type": "object",
        "additionalProperties": False,
        "properties": {field: {"type": "string"} for field in fields},
    }
    return {"type": "object", "additionalProperties": False, "properties": {"fr": texts, "en": texts}}


#: The highest liability cap the API takes, in cents (the form's highest amount).
MAX_CAP_CENTS = 2_000_000_000

CLIENT_INPUT = {
    "type": "object",
    "properties": {
        "name": _text(200),
        "enterprise_number": dict(_text(20), description="10 digits, with or without dots, e.g. 0427.073.974"),
        "address": _text(500),
        "language": {"type": "string", "enum": list(LANGUAGES)},
        "contact_email": _text(320),
        "contact_name": _text(200),
        "contact_role": _text(200),
        "salutation": dict(
            {"type": "string", "enum": ["full_name", "ms", "mr", "first_name"]},
            description="How e-mails address the contact: by contact_name (the default), or as Ms or Mr "
            "salutation_name (a surname), or by salutation_name (a first name)",
        ),
        "salutation_name": _text(100),
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "dpa_manager API",
        "version": "1",
        "description": "Processing agreements, sub-processors and notices. Every call needs a bearer token "
        "(flask dpa create-token); it acts with its user's rights.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/clients": {
            "get": _op(
                "Clients the user may see",
                _json(
                    {
                        "type": "object",
                        "required": ["clients", "next"],
                        "properties": {
                            "clients": {"type": "array", "items": _ref("Client")},
                            "next": {"type": ["string", "null"], "description": "The path of the next page, or null"},
                        },
                    },
                    "Clients, by id",
                ),
                params=[
                    _query("limit", {"type": "integer", "minimum": 0, "maximum": 1000, "default": 100}),
                    _query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_ID}),
                ],
                op_id="listClients",
            ),
            "post": _op(
                "Create a client",
                _json(_ref("Client"), "Created"),
                ok_code="201",
                errors=[FORBIDDEN, INVALID],
                body=_ref("ClientInput"),
                op_id="createClient",
            ),
        },
        "/clients/{client_id}": {
            "patch": _op(
                "Change a client: the fields given change, the others keep their values",
                _json(_ref("Client"), "Changed"),
                errors=[FORBIDDEN, INVALID],
                params=[_path_id("client_id")],
                body=_ref("ClientPatch"),
                op_id="updateClient",
            )
        },
        "/clients/{client_id}/users": {
            "post": _op(
                "Invite a user of the client: the user gets an e-mail to set a password",
                _json(_ref("User"), "Invited"),
                ok_code="201",
                errors=[FORBIDDEN, INVALID],
                params=[_path_id("client_id")],
                body=_ref("UserInput"),
                op_id="inviteClientUser",
            )
        },
        "/agreements": {
            "post": _op(
                "Draft an agreement for a client; fields not given take the defaults of the new-agreement form",
                _json(_ref("Agreement"), "Created"),
                ok_code="201",
                errors=[FORBIDDEN, INVALID],
                body=_ref("AgreementInput"),
                op_id="createAgreement",
            )
        },
        "/agreements/{agreement_id}": {
            "get": _op(
                "One agreement",
                _json(_ref("Agreement"), "The agreement"),
                params=[_path_id("agreement_id")],
                op_id="getAgreement",
            )
        },
        "/agreements/{agreement_id}/send": {
            "post": _op(
                "Send a complete draft to the client for signature; the client's users are e-mailed",
                _json(_ref("Agreement"), "Sent"),
                errors=[FORBIDDEN, CONFLICT, INVALID],
                params=[_path_id("agreement_id")],
                op_id="sendAgreement",
            )
        },
        "/clients/{client_id}/subprocessors": {
            "get": _op(
                "The sub-processors that apply to a client now, or on a date",
                _json(
                    {
                        "type": "object",
                        "required": ["client_id", "on", "subprocessors"],
                        "properties": {
                            "client_id": {"type": "integer"},
                            "on": DATE,
                            "subprocessors": {"type": "array", "items": _ref("SubProcessor")},
                        },
                    },
                    "The list",
                ),
                params=[_path_id("client_id"), _query("on", DATE)],
                op_id="clientSubprocessors",
            )
        },
        "/subprocessors": {
            "get": _op(
                "The register",
                _json(
                    {
                        "type": "object",
                        "required": ["subprocessors"],
                        "properties": {"subprocessors": {"type": "array", "items": _ref("SubProcessor")}},
                    },
                    "The register",
                ),
                params=[_query("status", {"type": "string", "enum": [s.value for s in SubProcessorStatus]})],
                op_id="listSubprocessors",
            ),
            "post": _op(
                "Add a proposed sub-processor to the register",
                _json(_ref("SubProcessor"), "Created"),
                ok_code="201",
                errors=[FORBIDDEN, INVALID],
                body=_ref("SubProcessorInput"),
                op_id="createSubprocessor",
            ),
        },
        "/changes": {
            "post": _op(
                "Draft a change",
                _json(_ref("Change"), "Created"),
                ok_code="201",
                errors=[FORBIDDEN, INVALID],
                body=_ref("ChangeInput"),
                op_id="createChange",
            )
        },
        "/changes/{change_id}": {
            "get": _op(
                "A change and its notice counts",
                _json(_ref("Change"), "The change"),
                errors=[FORBIDDEN],
                params=[_path_id("change_id")],
                op_id="getChange",
            )
        },
        "/changes/{change_id}/announce": {
            "post": _op(
                "Announce a change: one notice per affected signed agreement",
                _json(
                    {
                        "type": "object",
                        "required": ["notices"],
                        "properties": {"notices": {"type": "array", "items": _ref("NoticeSummary")}},
                    },
                    "The notices",
                ),
                errors=[FORBIDDEN, CONFLICT],
                params=[_path_id("change_id")],
                op_id="announceChange",
            )
        },
        "/notices": {
            "get": _op(
                "Notices the user may see",
                _json(
                    {
                        "type": "object",
                        "required": ["notices", "next"],
                        "properties": {
                            "notices": {"type": "array", "items": _ref("Notice")},
                            "next": {
                                "type": ["string", "null"],
                                "description": "The path of the next (older) page, or null on the last",
                            },
                        },
                    },
                    "Notices, newest first",
                ),
                params=[
                    _query("client_id", ID),
                    _query("change_id", ID),
                    _query("state", {"type": "string", "enum": [s.value for s in NoticeState]}),
                    _query("limit", {"type": "integer", "minimum": 0, "maximum": 1000, "default": 100}),
                    _query("before", ID),
                ],
                op_id="listNotices",
            )
        },
        "/notices/{notice_id}": {
            "get": _op(
                "One notice", _json(_ref("Notice"), "The notice"), params=[_path_id("notice_id")], op_id="getNotice"
            )
        },
        "/notices/{notice_id}/objection": {
            "post": _op(
                "Object to a notice: a user of its client with a reason; a manager recording an objection received by "
                "e-mail, letter or phone also gives received_at, channel and (except by phone) proofs",
                _json(_ref("Notice"), "Objected"),
                errors=[FORBIDDEN, CONFLICT, INVALID],
                params=[_path_id("notice_id")],
                body={"allOf": [_ref("AnswerInput")], "required": ["reason"]},
                op_id="objectToNotice",
            )
        },
        "/notices/{notice_id}/approval": {
            "post": _op(
                "Approve a notice: a user of its client, without a body; a manager recording an approval received by "
                "e-mail, letter or phone gives received_at, channel and (except by phone) proofs",
                _json(_ref("Notice"), "Approved"),
                errors=[FORBIDDEN, CONFLICT, INVALID],
                params=[_path_id("notice_id")],
                body=_ref("AnswerInput"),
                op_id="approveNotice",
            )
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3 document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
            },
            "Client": {
                "type": "object",
                "required": ["id", "name", "enterprise_number", "language", "contact_email"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "enterprise_number": {"type": "string", "pattern": r"^[01]\d{3}\.\d{3}\.\d{3}$"},
                    "language": {"type": "string", "enum": ["nl", "fr", "en"]},
                    "contact_email": {"type": "string"},
                    "address": {"type": "string"},
                    "contact_name": {"type": "string"},
                    "contact_role": {"type": "string"},
                    "salutation": {"type": "string", "enum": ["full_name", "ms", "mr", "first_name"]},
                    "salutation_name": {"type": "string"},
                },
            },
            "ClientInput": dict(
                CLIENT_INPUT, required=["name", "enterprise_number", "address", "language", "contact_email"]
            ),
            "ClientPatch": CLIENT_INPUT,
            "UserInput": {
                "type": "object",
                "required": ["email", "full_name"],
                "properties": {
                    "email": _text(320),
                    "full_name": _text(200),
                    "may_sign": {"type": "boolean", "description": "May sign for the client; default true"},
                    "gets_notices": {"type": "boolean", "description": "Receives the client's notices; default true"},
                    "client_admin": {
                        "type": "boolean",
                        "description": "Manages the client's users in the portal; default: true for its first user",
                    },
                },
            },
            "User": {
                "type": "object",
                "required": ["id", "email", "full_name", "client_id", "active"],
                "properties": {
                    "id": {"type": "integer"},
                    "email": {"type": "string"},
                    "full_name": {"type": "string"},
                    "client_id": {"type": ["integer", "null"]},
                    "active": {"type": "boolean"},
                    "client_admin": {"type": "boolean"},
                    "may_sign": {"type": "boolean"},
                    "gets_notices": {"type": "boolean"},
                    "last_login_at": INSTANT,
                },
            },
            "AgreementInput": {
                "type": "object",
                "required": ["client_id"],
                "properties": {
                    "client_id": ID,
                    "terms_version_id": dict(ID, description="A published version; default: the one in force"),
                    "subject_matter": _text(2000),
                    "starts_on": dict(DATE, description="Default: today"),
                    "ends_on": dict(DATE, type=["string", "null"]),
                    "nature_purpose": _text(4000),
                    "services": {"type": "array", "items": {"type": "string"}, "description": "Service codes"},
                    "data_types": {"type": "array", "items": {"type": "string", "enum": list(DATA_CATEGORIES)}},
                    "data_types_detail": _text(2000),
                    "special_categories": {"type": "boolean"},
                    "data_subjects": {"type": "array", "items": {"type": "string", "enum": list(SUBJECT_CATEGORIES)}},
                    "data_subjects_detail": _text(2000),
                    "end_choice": {"type": "string", "enum": ["delete", "return"]},
                    "window_days": {"type": "integer", "minimum": 1, "maximum": MAX_WINDOW_DAYS},
                    "window_unit": {"type": "string", "enum": ["calendar", "working"]},
                    "cap_total_cents": {"type": "integer", "minimum": 0, "maximum": MAX_CAP_CENTS},
                    "cap_other_cents": {"type": "integer", "minimum": 0, "maximum": MAX_CAP_CENTS},
                    "toms": _text(8000),
                    "retention": _text(2000),
                    "translations": _translations(list(TRANSLATED_PARTICULARS)),
                },
            },
            "Agreement": {
                "type": "object",
                "required": ["id", "reference", "client_id", "state", "terms_version_id", "starts_on", "services"],
                "properties": {
                    "id": {"type": "integer"},
                    "reference": {"type": "string"},
                    "client_id": {"type": "integer"},
                    "state": {"type": "string", "enum": [s.value for s in AgreementState]},
                    "terms_version_id": {
                        "type": ["integer", "null"],
                        "description": "null: signed outside the app on terms the app does not hold",
                    },
                    "concluded_by": {
                        "type": "string",
                        "enum": ["signatures", "acceptance", "silence", "outside"],
                        "description": "signed by both in the app, an amendment accepted or accepted by silence, "
                        "or signed outside the app and imported",
                    },
                    "signed_on": {
                        "type": ["string", "null"],
                        "format": "date",
                        "description": "For an agreement signed outside the app: the day it was signed",
                    },
                    "starts_on": DATE,
                    "ends_on": {"type": ["string", "null"], "format": "date"},
                    "services": {"type": "array", "items": {"type": "string"}},
                    "sent_at": INSTANT,
                    "client_signed_at": INSTANT,
                    "processor_signed_at": INSTANT,
                    "signed_sha256": {
                        "type": ["string", "null"],
                        "description": "SHA-256 of the signed PDF: sealed by the processor, or for an agreement "
                        "signed outside the app the PDF as it was imported",
                    },
                },
            },
            "SubProcessorInput": {
                "type": "object",
                "required": ["name", "purpose", "countries", "data_categories", "kind"],
                "properties": {
                    "name": _text(SUBPROCESSOR_LIMITS["name"]),
                    "registration_number": _text(SUBPROCESSOR_LIMITS["registration_number"]),
                    "purpose": _text(SUBPROCESSOR_LIMITS["purpose"]),
                    "countries": {"type": "array", "items": {"type": "string", "enum": sorted(COUNTRIES)}},
                    "transfer_mechanism": {
                        "type": ["string", "null"],
                        "enum": [None, "adequacy", "scc", "bcr", "other"],
                    },
                    "transfer_text": _text(SUBPROCESSOR_LIMITS["transfer_text"]),
                    "data_categories": {"type": "array", "items": {"type": "string", "enum": list(DATA_CATEGORIES)}},
                    "kind": {"type": "string", "enum": ["active_systematic", "incidental"]},
                    "services": {"type": "array", "items": {"type": "string"}},
                    "website": _text(SUBPROCESSOR_LIMITS["website"]),
                    "address": _text(SUBPROCESSOR_LIMITS["address"]),
                    "contact": _text(SUBPROCESSOR_LIMITS["contact"]),
                    "translations": _translations(["purpose", "transfer_text"]),
                },
            },
            "SubProcessor": {
                "type": "object",
                "required": ["id", "name", "status", "countries", "kind"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "registration_number": {"type": "string"},
                    "purpose": {"type": "string"},
                    "countries": {"type": "array", "items": {"type": "string"}},
                    "transfer_mechanism": {"type": ["string", "null"]},
                    "transfer_text": {"type": "string"},
                    "data_categories": {"type": "array", "items": {"type": "string"}},
                    "kind": {"type": "string", "enum": ["active_systematic", "incidental"]},
                    "services": {"type": "array", "items": {"type": "string"}},
                    "website": {"type": "string"},
                    "status": {"type": "string", "enum": [s.value for s in SubProcessorStatus]},
                    "address": {"type": "string"},
                    "contact": {"type": "string"},
                    "translations": {"type": "object"},
                    "activated_on": {"type": ["string", "null"], "format": "date"},
                    "retired_on": {"type": ["string", "null"], "format": "date"},
                },
            },
            "ChangeInput": {
                "type": "object",
                "required": ["kind", "subprocessor_id", "effective_on", "reason"],
                "properties": {
                    "kind": {"type": "string", "enum": ["add", "replace", "remove"]},
                    "subprocessor_id": ID,
                    "replaces_id": dict(ID, type=["integer", "null"]),
                    "effective_on": DATE,
                    "reason": {"type": "string", "minLength": 3, "maxLength": REASON_MAX},
                    "translations": _translations(["reason"]),
                },
            },
            "AnswerInput": {
                "type": "object",
                "properties": {
                    "reason": _text(5000),
                    "received_at": {
                        "type": "string",
                        "format": "date-time",
                        "description": "When the answer reached the processor, with its offset (managers)",
                    },
                    "channel": {"type": "string", "enum": ["email", "letter", "phone", "other"]},
                    "proofs": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["filename", "content_base64"],
                            "properties": {"filename": {"type": "string"}, "content_base64": {"type": "string"}},
                        },
                    },
                },
            },
            "Change": {
                "type": "object",
                "required": ["id", "kind", "subprocessor_id", "effective_on", "state"],
                "properties": {
                    "id": {"type": "integer"},
                    "kind": {"type": "string"},
                    "subprocessor_id": ID,
                    "replaces_id": dict(ID, type=["integer", "null"]),
                    "effective_on": DATE,
                    "reason": {"type": "string", "minLength": 3, "maxLength": REASON_MAX},
                    "translations": {"type": "object"},
                    "state": {"type": "string", "enum": [s.value for s in ChangeState]},
                    "announced_at": INSTANT,
                    "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                },
            },
            "NoticeSummary": {
                "type": "object",
                "required": ["id", "client_id", "state", "notified_at", "closes_at"],
                "properties": {
                    "id": {"type": "integer"},
                    "client_id": {"type": "integer"},
                    "state": {"type": "string"},
                    "notified_at": INSTANT,
                    "closes_at": INSTANT,
                },
            },
            "Notice": {
                "type": "object",
                "required": [
                    "id",
                    "client_id",
                    "change_id",
                    "state",
                    "notified_at",
                    "closes_at",
                    "window_days",
                    "window_unit",
                ],
                "properties": {
                    "id": {"type": "integer"},
                    "client_id": {"type": "integer"},
                    "change_id": {"type": "integer"},
                    "agreement_id": {"type": "integer"},
                    "state": {"type": "string", "enum": [s.value for s in NoticeState]},
                    "needs_approval": {"type": "boolean"},
                    "notified_at": INSTANT,
                    "delivered_at": INSTANT,
                    "first_opened_at": INSTANT,
                    "closes_at": dict(
                        INSTANT,
                        description=(
                            "When the window closes, as applied: never earlier than "
                            "stated_closes_at, nor than the rule gives from notified_at."
                        ),
                    ),
                    "stated_closes_at": dict(
                        INSTANT,
                        description=(
                            "The closing moment the client was told (in the notice e-mail the "
                            "mail server accepted, or on the portal page)."
                        ),
                    ),
                    "window_days": {"type": "integer"},
                    "window_unit": {"type": "string", "enum": ["calendar", "working"]},
                    "decided_at": dict(
                        INSTANT, description=("When the objection or approval was received (or the window closed).")
                    ),
                    "answer_channel": {
                        "type": ["string", "null"],
                        "enum": ["app", "email", "letter", "phone", "other", None],
                    },
                    "answer_recorded_at": INSTANT,
                    "objection_reason": {"type": ["string", "null"]},
                    "resolution": {"type": ["string", "null"]},
                    "applied_at": INSTANT,
                },
            },
        },
    },
}
