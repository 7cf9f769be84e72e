"""OpenAPI additions: the Problem schema, every error code, problem responses everywhere."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from frontdesk.core.errors import ERROR_CODES, PROBLEM_CONTENT_TYPE

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "An RFC 9457 problem document. Branch on `code`, never on text.",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string", "enum": sorted(ERROR_CODES)},
            "instance": {"type": "string"},
            "request_id": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "path": {"type": "string"},
                        "message": {"type": "string"},
                        "type": {"type": "string"},
                    },
                },
            },
        },
        "x-error-codes": {
            code: {"status": entry.status, "title": entry.title}
            for code, entry in sorted(ERROR_CODES.items())
        },
    }


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": _PROBLEM_REF}}}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = _problem_schema()
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = _problem_response("Validation failed")
                responses.setdefault("4XX", _problem_response("Client error"))
                responses.setdefault("5XX", _problem_response("Server error"))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
