"""The hand-written ``openapi.yaml`` is the single source of truth for request
bodies: it is served as ``/openapi.json`` and its schemas validate requests."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match

from bot.shop.errors import InvalidBody

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
_REF_PREFIX = "#/components/schemas/"


@functools.lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


@functools.lru_cache(maxsize=1)
def spec_json() -> str:
    """The document as served at /openapi.json."""
    return json.dumps(load_spec(), ensure_ascii=False)


def to_json_schema(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Turn an OpenAPI 3.0 schema object into plain JSON Schema.

    jsonschema does not know OpenAPI's ``nullable`` (it would silently ignore
    it and reject null) and cannot follow ``#/components`` refs without the
    whole document, so refs are inlined and ``nullable`` becomes ``anyOf``.
    """
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith(_REF_PREFIX):
            raise ValueError(f"unsupported $ref {ref!r}")
        return to_json_schema(components[ref[len(_REF_PREFIX) :]], components)
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key in _SCHEMA_MAPS:  # name -> schema; the names are data, not keywords
            converted[key] = {name: to_json_schema(sub, components) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            converted[key] = [to_json_schema(sub, components) for sub in value]
        elif key in _SCHEMA_VALUES and isinstance(value, dict):
            converted[key] = to_json_schema(value, components)
        else:
            converted[key] = value
    if schema.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


_ANNOTATIONS = frozenset({"nullable", "example", "description", "title", "format"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_SCHEMA_VALUES = frozenset({"items", "additionalProperties", "not"})


@functools.cache
def validator(schema_name: str) -> Draft7Validator:
    components = load_spec()["components"]["schemas"]
    if schema_name not in components:
        raise KeyError(f"no schema {schema_name!r} in {SPEC_PATH.name}")
    return Draft7Validator(to_json_schema(components[schema_name], components))


def validate(schema_name: str, data: Any) -> None:
    """Raise ``InvalidBody`` naming the offending field when ``data`` does not fit."""
    error = best_match(validator(schema_name).iter_errors(data))
    if error is not None:
        raise InvalidBody(describe(error))


def describe(error: ValidationError) -> str:
    location = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
    ).lstrip(".")
    message = error.message
    if error.validator == "pattern":
        # Regexes make poor error messages; say what the pattern means instead.
        message = _PATTERN_MESSAGES.get(str(error.validator_value), message)
    return f"{location}: {message}" if location else message


_PATTERN_MESSAGES = {
    r"\S": "must not be blank",
    r"^[A-Za-z]{2}$": "must be an ISO 3166-1 alpha-2 country code such as PL",
    r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$": "is not a valid email address",
    r"^https?://\S+$": "must be an http(s) URL",
}
