"""Cursor pagination over UUIDv7 ids: stable, index-friendly, bounded.

UUIDv7 ids grow with time, so "newest first" is ``ORDER BY id DESC`` and the cursor is
the last id seen, opaque to clients.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy import Integer, Select, bindparam
from sqlalchemy.orm import InstrumentedAttribute

from frontdesk.core.errors import AppError, register_code

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
INVALID_CURSOR = register_code("invalid_cursor", 400, "Invalid cursor")

T = TypeVar("T")


class InvalidCursorError(AppError):
    error = INVALID_CURSOR


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursorError("The cursor is not one this API handed out.") from exc


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")]
Cursor = Annotated[
    str | None, Query(max_length=64, description="`next_cursor` of the previous page")
]


def paginate(
    query: Select[Any], id_column: InstrumentedAttribute[uuid.UUID], cursor: str | None, limit: int
) -> Select[Any]:
    """Newest first; one row more than asked tells whether another page exists."""
    if cursor is not None:
        query = query.where(id_column < decode_cursor(cursor))
    return query.order_by(id_column.desc()).limit(limit + 1)


def paginate_bound(
    query: Select[Any], id_column: InstrumentedAttribute[uuid.UUID], *, after_cursor: bool
) -> Select[Any]:
    """:func:`paginate` with the cursor and the size as bound parameters (``before``,
    ``rows``), for a statement compiled once: fill them with :func:`page_params`."""
    if after_cursor:
        query = query.where(id_column < bindparam("before"))
    return query.order_by(id_column.desc()).limit(bindparam("rows", type_=Integer()))


def page_params(cursor: str | None, limit: int) -> dict[str, Any]:
    params: dict[str, Any] = {"rows": limit + 1}
    if cursor is not None:
        params["before"] = decode_cursor(cursor)
    return params


def page_json(rows: Sequence[Mapping[str, Any]], limit: int, fields: Iterable[str]) -> bytes:
    """A :class:`Page` of ``rows`` (one more than ``limit`` if another page exists) as
    JSON, each item the row's ``fields``, without building a model per row.

    For rows of plain column values (str, int, bool, UUID, aware datetime, None): JSON
    then reads exactly as the response model's own serialization would, and a list
    endpoint's cost is mostly that serialization.
    """
    names = tuple(fields)
    items, next_cursor = page_of(rows, limit, lambda row: row["id"])
    page = [{name: row[name] for name in names} for row in items]
    return to_json({"items": page, "next_cursor": next_cursor})


def page_of(rows: Sequence[T], limit: int, id_of: Any) -> tuple[list[T], str | None]:
    items = list(rows[:limit])
    next_cursor = encode_cursor(id_of(items[-1])) if len(rows) > limit and items else None
    return items, next_cursor


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Cursor",
    "InvalidCursorError",
    "Limit",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "page_json",
    "page_of",
    "page_params",
    "paginate",
    "paginate_bound",
]
