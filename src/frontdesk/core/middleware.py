"""Pure ASGI middleware: request ids, access log, the last-resort 500, the body cap."""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import time
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
        request_id = _incoming_request_id(scope) or _new_request_id()
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
            if access_log.isEnabledFor(logging.INFO):
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


class _RequestIds:
    """Ids as unique as random UUIDs for correlating logs, without asking the OS for
    randomness on every request: a random prefix per process, then a counter."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)  # a forked worker gets its own

    def reset(self) -> None:
        self._prefix = secrets.token_hex(8)
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


_new_request_id = _RequestIds()


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
        declared, streamed = _body_headers(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        if declared is None and not streamed and scope["method"] in _BODILESS_METHODS:
            # Nothing to count: no body was announced, and these routes read none.
            await self.app(scope, receive, send)
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


_BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _body_headers(scope: Scope) -> tuple[int | None, bool]:
    """(the declared Content-Length, whether a Transfer-Encoding streams a body)."""
    declared: int | None = None
    streamed = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = None
        elif name == b"transfer-encoding":
            streamed = True
    return declared, streamed
