"""One error family, rendered as RFC 9457 ``application/problem+json``.

Every problem carries a stable machine ``code``; clients branch on it, never on text.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:frontdesk:problem:"


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    title: str


# Every code the API can answer with; the OpenAPI document lists them all.
ERROR_CODES: dict[str, ErrorCode] = {}


def register_code(code: str, status: int, title: str) -> ErrorCode:
    known = ERROR_CODES.get(code)
    if known is not None and (known.status, known.title) != (status, title):
        raise ValueError(f"error code {code!r} registered twice with different meanings")
    entry = ErrorCode(code, status, title)
    ERROR_CODES[code] = entry
    return entry


BAD_REQUEST = register_code("bad_request", 400, "Bad request")
UNAUTHENTICATED = register_code("unauthenticated", 401, "Authentication required")
PERMISSION_DENIED = register_code("permission_denied", 403, "Permission denied")
NOT_FOUND = register_code("not_found", 404, "Not found")
METHOD_NOT_ALLOWED = register_code("method_not_allowed", 405, "Method not allowed")
NOT_ACCEPTABLE = register_code("not_acceptable", 406, "Not acceptable")
CONFLICT = register_code("conflict", 409, "Conflict")
PAYLOAD_TOO_LARGE = register_code("payload_too_large", 413, "Request body too large")
UNSUPPORTED_MEDIA_TYPE = register_code("unsupported_media_type", 415, "Unsupported media type")
VALIDATION_FAILED = register_code("validation_failed", 422, "Request validation failed")
RATE_LIMITED = register_code("rate_limited", 429, "Too many requests")
INTERNAL_ERROR = register_code("internal_error", 500, "Internal server error")
SERVICE_UNAVAILABLE = register_code("service_unavailable", 503, "Service unavailable")

_BY_STATUS = {
    400: BAD_REQUEST,
    401: UNAUTHENTICATED,
    403: PERMISSION_DENIED,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    406: NOT_ACCEPTABLE,
    409: CONFLICT,
    413: PAYLOAD_TOO_LARGE,
    415: UNSUPPORTED_MEDIA_TYPE,
    422: VALIDATION_FAILED,
    429: RATE_LIMITED,
    500: INTERNAL_ERROR,
    503: SERVICE_UNAVAILABLE,
}


def code_for_status(status: int) -> ErrorCode:
    """The generic code for a bare HTTP status (framework-raised errors)."""
    known = _BY_STATUS.get(status)
    if known is not None:
        return known
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return register_code(phrase.lower().replace(" ", "_").replace("-", "_"), status, phrase)


class AppError(Exception):
    """Base of every error the API answers on purpose.

    Subclasses set ``error``; instances add a human ``detail`` and optional extra
    members (never secrets or internals).
    """

    error: ClassVar[ErrorCode] = BAD_REQUEST

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.detail = detail or self.error.title
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.detail)

    @property
    def status_code(self) -> int:
        return self.error.status

    @property
    def code(self) -> str:
        return self.error.code


class NotFoundError(AppError):
    error = NOT_FOUND


class ConflictError(AppError):
    error = CONFLICT


class ValidationFailedError(AppError):
    """A body that is well-formed but refers to things that do not exist (say, unknown
    ids): the same 422 and ``errors`` shape (path, message, type) as schema failures."""

    error = VALIDATION_FAILED

    def __init__(self, detail: str, *, path: str, message: str) -> None:
        super().__init__(detail, errors=[{"path": path, "message": message, "type": "value_error"}])


class PermissionDeniedError(AppError):
    error = PERMISSION_DENIED


class UnauthenticatedError(AppError):
    error = UNAUTHENTICATED


class ServiceUnavailableError(AppError):
    error = SERVICE_UNAVAILABLE


def problem_body(
    error: ErrorCode,
    detail: str,
    *,
    instance: str | None = None,
    request_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + error.code,
        "title": error.title,
        "status": error.status,
        "detail": detail,
        "code": error.code,
    }
    if instance is not None:
        body["instance"] = instance
    if request_id is not None:
        body["request_id"] = request_id
    body.update(extra)
    return body


# Database constraints whose violation means a known business conflict. Services map
# them where they flush; the IntegrityError handler maps any that slip through (at
# commit), so a constraint never answers a bare 409 or 500 when it has a meaning.
CONSTRAINT_ERRORS: dict[str, type[AppError]] = {}


def register_constraint(name: str, error: type[AppError]) -> None:
    CONSTRAINT_ERRORS[name] = error


def error_for_constraint(message: str) -> type[AppError] | None:
    for name, error in CONSTRAINT_ERRORS.items():
        if name in message:
            return error
    return None
