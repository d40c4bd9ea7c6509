"""The types of a request body, checked against the OpenAPI document before a service sees them. Pure.

The document says what each field of a body is (text, a whole number, a list of texts, ...); a body that says
otherwise is refused here, naming the field, so that no service meets a list where it expects a text. What a
value means (an unknown kind, a date in the past) is for the services to judge, with their own messages.
"""

from __future__ import annotations

from typing import Any

from .openapi import DOCUMENT

#: How each JSON type is named in a refusal.
TYPE_WORDS = {
    "string": "tekst",
    "integer": "een geheel getal",
    "number": "een getal",
    "boolean": "true of false",
    "array": "een lijst",
    "object": "een JSON-object",
    "null": "null",
}


def _resolve(schema: dict) -> dict:
    """Follow a $ref, and merge the parts of an allOf (this document uses both only to name a schema)."""
    if "$ref" in schema:
        schemas: Any = DOCUMENT["components"]["schemas"]  # type: ignore[index]
        return _resolve(schemas[schema["$ref"].rsplit("/", 1)[-1]])
    if "allOf" in schema:
        merged: dict = {key: value for key, value in schema.items() if key != "allOf"}
        for part in schema["allOf"]:
            for key, value in _resolve(part).items():
                merged.setdefault(key, value)
        return merged
    return schema


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "boolean": bool, "array": list, "object": dict}.get(kind, type(None)))


def problem(value: Any, schema: dict, field: str = "") -> tuple[str, str] | None:
    """Return (field, why) for the first part of `value` whose type, length or size the schema does not allow,
    or None. Fields a schema does not name are left to the services."""
    schema = _resolve(schema)
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_is(value, kind) for kind in kinds):
            words = " of ".join(TYPE_WORDS[kind] for kind in kinds)
            return field or "body", f"{field or 'De body'} is {words}."
    if isinstance(value, str) and len(value) > schema.get("maxLength", len(value)):
        return field, f"{field} telt hoogstens {schema['maxLength']} tekens."
    if isinstance(value, int) and not isinstance(value, bool):
        if value > schema.get("maximum", value) or value < schema.get("minimum", value):
            return field, f"{field} ligt tussen {schema.get('minimum', '…')} en {schema.get('maximum', '…')}."
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found = problem(item, schema["items"], f"{field}[{index}]")
            if found:
                return found
    if isinstance(value, dict):
        for name, part in schema.get("properties", {}).items():
            if name in value:
                found = problem(value[name], part, f"{field}.{name}" if field else name)
                if found:
                    return found
    return None


def request_schema(path: str, method: str) -> dict:
    """The schema of the JSON body of an operation of the document, e.g. ("/changes", "post")."""
    paths: Any = DOCUMENT["paths"]
    return paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
