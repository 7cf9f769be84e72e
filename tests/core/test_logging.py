from __future__ import annotations

import json
import logging

import httpx
import pytest

from frontdesk.core.logging import JSONFormatter, ReadableFormatter, RequestIdFilter, request_id_var


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("frontdesk.test", logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    RequestIdFilter().filter(record)
    return record


def test_json_lines_carry_the_request_id_and_extras() -> None:
    token = request_id_var.set("req-123")
    try:
        line = JSONFormatter().format(_record("hello", status=201))
    finally:
        request_id_var.reset(token)
    payload = json.loads(line)
    assert payload["message"] == "hello"
    assert payload["request_id"] == "req-123"
    assert payload["status"] == 201
    assert payload["level"] == "info"


def test_readable_lines_carry_the_request_id() -> None:
    token = request_id_var.set("req-456")
    try:
        line = ReadableFormatter().format(_record("hi"))
    finally:
        request_id_var.reset(token)
    assert "[req-456]" in line
    assert line.endswith("hi")


async def test_the_access_log_line_has_the_response_request_id(
    plain_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="frontdesk.access"):
        response = await plain_client.get("/healthz")
    access = [r for r in caplog.records if r.name == "frontdesk.access"]
    assert access
    assert access[-1].request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]
    assert access[-1].status == 200  # type: ignore[attr-defined]
