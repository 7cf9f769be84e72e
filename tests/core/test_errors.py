"""Every error is RFC 9457 problem+json with a stable code and a request id."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.core.middleware import _RequestIds

PROBLEM = "application/problem+json"


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=20)
    count: int = Field(ge=0, le=1_000_000)


@pytest.fixture
def echo_app(plain_app: FastAPI) -> FastAPI:
    @plain_app.post("/_test/echo")
    async def echo(payload: Payload) -> Payload:
        return payload

    return plain_app


async def test_unknown_route_is_a_problem_404(plain_client: httpx.AsyncClient) -> None:
    response = await plain_client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["type"] == "urn:frontdesk:problem:not_found"
    assert body["instance"] == "/no/such/thing"


async def test_wrong_method_is_a_problem_405(plain_client: httpx.AsyncClient) -> None:
    response = await plain_client.delete("/healthz")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "method_not_allowed"


async def test_declared_body_over_the_cap_is_413(
    echo_app: FastAPI, plain_client: httpx.AsyncClient
) -> None:
    response = await plain_client.post("/_test/echo", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "payload_too_large"


async def test_streamed_body_over_the_cap_is_413(
    echo_app: FastAPI, plain_client: httpx.AsyncClient
) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 32768  # 1.25 MiB in all, no Content-Length

    response = await plain_client.post("/_test/echo", content=chunks())
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_body_under_the_cap_passes(
    echo_app: FastAPI, plain_client: httpx.AsyncClient
) -> None:
    response = await plain_client.post("/_test/echo", json={"name": "ok", "count": 1})
    assert response.status_code == 200
    assert response.json() == {"name": "ok", "count": 1}


async def test_validation_errors_name_the_fields(
    echo_app: FastAPI, plain_client: httpx.AsyncClient
) -> None:
    response = await plain_client.post(
        "/_test/echo", json={"name": "x" * 21, "count": "many", "extra": True}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_failed"
    paths = {error["path"] for error in body["errors"]}
    assert paths == {"body.name", "body.count", "body.extra"}


async def test_malformed_json_is_a_400_problem(
    echo_app: FastAPI, plain_client: httpx.AsyncClient
) -> None:
    response = await plain_client.post(
        "/_test/echo", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


@pytest.mark.parametrize("number", ["1e999999", "NaN", "123456789012345678901234567890"])
async def test_absurd_numbers_are_a_4xx_never_a_500(
    echo_app: FastAPI, plain_client: httpx.AsyncClient, number: str
) -> None:
    response = await plain_client.post(
        "/_test/echo",
        content=f'{{"name": "n", "count": {number}}}'.encode(),
        headers={"content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == PROBLEM


async def test_every_response_carries_a_request_id(plain_client: httpx.AsyncClient) -> None:
    ok = await plain_client.get("/healthz")
    missing = await plain_client.get("/missing")
    assert len(ok.headers["x-request-id"]) >= 16
    assert missing.headers["x-request-id"] == missing.json()["request_id"]
    assert ok.headers["x-request-id"] != missing.headers["x-request-id"]


async def test_a_safe_caller_request_id_is_kept_an_unsafe_one_replaced(
    plain_client: httpx.AsyncClient,
) -> None:
    kept = await plain_client.get("/healthz", headers={"X-Request-ID": "edge-proxy-42"})
    assert kept.headers["x-request-id"] == "edge-proxy-42"
    replaced = await plain_client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] != "bad id\twith spaces"


async def test_openapi_documents_the_problem_format_and_every_code(
    plain_client: httpx.AsyncClient,
) -> None:
    document = (await plain_client.get("/openapi.json")).json()
    problem = document["components"]["schemas"]["Problem"]
    codes = set(problem["properties"]["code"]["enum"])
    assert {"not_found", "validation_failed", "payload_too_large", "booking_conflict"} <= codes
    for path_item in document["paths"].values():
        for operation in path_item.values():
            assert "4XX" in operation["responses"]


async def test_docs_page_is_served(plain_client: httpx.AsyncClient) -> None:
    response = await plain_client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def test_generated_request_ids_never_repeat_and_differ_per_process() -> None:
    ids = _RequestIds()
    seen = {ids() for _ in range(10_000)}
    assert len(seen) == 10_000
    before = ids()
    ids.reset()  # what a forked worker does
    assert ids()[:16] != before[:16]
