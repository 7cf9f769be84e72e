"""Cursor pages: the JSON written straight from rows reads as the response model's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from frontdesk.core.ids import new_id
from frontdesk.core.pagination import (
    InvalidCursorError,
    Page,
    decode_cursor,
    encode_cursor,
    page_json,
    page_params,
)
from frontdesk.security.auth.schemas import UserRead

_AT = datetime(2026, 11, 28, 9, 30, 0, 123456, tzinfo=UTC)


def _rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": new_id(),
            "username": f"user-{number}",
            "email": f"user-{number}@example.com",
            "is_active": number % 2 == 0,
            "is_customer": False,
            "email_verified_at": None if number % 3 else _AT,
            "last_login_at": _AT + timedelta(minutes=number),
            "created_at": _AT,
            "hashed_password": "not shown",  # a column the model does not list
        }
        for number in range(count)
    ]


@pytest.mark.parametrize("count", [0, 3, 5])
def test_page_json_reads_as_the_model_serializes(count: int) -> None:
    rows = _rows(count)
    limit = 4
    items = rows[:limit]
    expected = Page[UserRead](
        items=[UserRead.model_validate(row) for row in items],
        next_cursor=encode_cursor(items[-1]["id"]) if count > limit else None,
    ).model_dump_json()
    written = page_json(rows, limit, UserRead.model_fields)
    assert written.decode() == expected
    assert b"not shown" not in written


def test_page_params_bind_the_cursor_and_one_row_more() -> None:
    last = uuid.UUID(int=42)
    assert page_params(None, 20) == {"rows": 21}
    assert page_params(encode_cursor(last), 5) == {"rows": 6, "before": last}
    assert decode_cursor(encode_cursor(last)) == last
    with pytest.raises(InvalidCursorError):
        page_params("not a cursor!", 5)
