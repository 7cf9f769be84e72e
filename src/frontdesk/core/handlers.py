"""Exception handlers: every error leaves as ``application/problem+json``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from frontdesk.core.errors import (
    BAD_REQUEST,
    CONFLICT,
    SERVICE_UNAVAILABLE,
    VALIDATION_FAILED,
    AppError,
    code_for_status,
    error_for_constraint,
)
from frontdesk.core.middleware import problem_response

log = logging.getLogger("frontdesk.errors")


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return problem_response(
        exc.error, exc.detail, instance=request.url.path, headers=exc.headers, **exc.extra
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error = code_for_status(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else error.title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.method} {request.url.path}."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    return problem_response(error, detail, instance=request.url.path, headers=exc.headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(error.get("type") == "json_invalid" for error in raw):
        return problem_response(
            BAD_REQUEST, "The request body is not valid JSON.", instance=request.url.path
        )
    errors = [
        {
            "path": _field_path(error.get("loc", ())),
            "message": error.get("msg", "invalid"),
            "type": error.get("type", "value_error"),
        }
        for error in raw
    ]
    return problem_response(
        VALIDATION_FAILED,
        "The request did not pass validation; see errors.",
        instance=request.url.path,
        errors=errors,
    )


async def _integrity_error(request: Request, exc: Exception) -> Response:
    # A constraint caught what the service did not: answer 409, never the SQL.
    log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc)
    known = error_for_constraint(str(getattr(exc, "orig", exc)))
    if known is not None:
        return await _app_error(request, known())
    return problem_response(
        CONFLICT, "The change conflicts with existing data.", instance=request.url.path
    )


async def _operational_error(request: Request, exc: Exception) -> Response:
    log.error("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        SERVICE_UNAVAILABLE,
        "The database is unavailable; try again shortly.",
        instance=request.url.path,
        headers={"Retry-After": "5"},
    )


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _operational_error)
