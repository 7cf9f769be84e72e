"""Pure ASGI middleware: request ids, access log, the last-resort 500, the body cap."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.core.errors import (
    INTERNAL_ERROR,
    PAYLOAD_TOO_LARGE,
    PROBLEM_CONTENT_TYPE,
    ErrorCode,
    problem_body,
)
from frontdesk.core.logging import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
# A caller-supplied id is kept only if it is short and plain (it lands in logs).
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_log = logging.getLogger("frontdesk.access")
error_log = logging.getLogger("frontdesk.errors")


def problem_response(
    error: ErrorCode,
    detail: str,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = problem_body(error, detail, instance=instance, request_id=request_id_var.get(), **extra)
    return JSONResponse(
        body,
        status_code=error.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=dict(headers) if headers else None,
    )


class RequestContextMiddleware:
    """Outermost layer: gives every request an id, logs it, and never leaks a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if response_started:
                raise
            status = 500
            response = problem_response(
                INTERNAL_ERROR, "The server hit an unexpected error.", instance=scope["path"]
            )
            await response(scope, receive, send_with_id)
        finally:
            access_log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SAFE_REQUEST_ID.match(candidate) else None
    return None


class _BodyTooLarge(HTTPException):
    """Raised mid-stream; an HTTPException so the framework's body parser lets it through."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body exceeds the limit of {max_bytes} bytes.")


class BodySizeLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if response_started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            PAYLOAD_TOO_LARGE,
            f"The request body exceeds the limit of {self.max_bytes} bytes.",
            instance=scope["path"],
            limit_bytes=self.max_bytes,
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
