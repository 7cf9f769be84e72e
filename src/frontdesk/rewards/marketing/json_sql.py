"""Two JSON tests the audience rules need, spelled for each engine.

SQLAlchemy's portable JSON operators cannot say either exactly: ``json_extract`` on
SQLite answers ``1`` for both ``true`` and the number ``1``, and JSONB's ``?|`` has no
SQLite form. So each is a small SQL element compiled per dialect:

- :func:`has_any_string` -- a JSON array column holds at least one of some strings
  (exact, case-sensitive): ``column ?| ARRAY[...]`` on PostgreSQL (a GIN index on the
  column would serve it), ``EXISTS (... json_each ...)`` on SQLite.
- :func:`is_json_true` -- a JSON object column's key holds the JSON ``true`` itself:
  ``column -> 'key' = 'true'::jsonb`` on PostgreSQL, ``json_type(...) = 'true'`` on
  SQLite.

The strings travel as one bound parameter (an array on PostgreSQL, a JSON text on
SQLite), so a statement compiles once whatever the number of strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeAlias

from sqlalchemy import Boolean, ColumnElement, Dialect, String, Text, bindparam, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine

# A column as SQL or as a mapped attribute (``Customer.tags``).
Column: TypeAlias = ColumnElement[Any] | QueryableAttribute[Any]


def _expression(column: Column) -> ColumnElement[Any]:
    return column.expression if isinstance(column, QueryableAttribute) else column


class _StringList(TypeDecorator[list[str]]):
    """A list of strings as one parameter: ``text[]`` on PostgreSQL, JSON text elsewhere."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Text()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return list(value)
        return json.dumps(list(value), ensure_ascii=False)


class _HasAnyString(ColumnElement[bool]):
    inherit_cache = True
    type = Boolean()
    _traverse_internals = [  # noqa: RUF012  (SQLAlchemy's own declaration style)
        ("column", InternalTraversal.dp_clauseelement),
        ("strings", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Column, strings: Iterable[str]) -> None:
        self.column = _expression(column)
        self.strings = bindparam(None, list(strings), type_=_StringList())


class _IsJsonTrue(ColumnElement[bool]):
    inherit_cache = True
    type = Boolean()
    _traverse_internals = [  # noqa: RUF012  (SQLAlchemy's own declaration style)
        ("column", InternalTraversal.dp_clauseelement),
        ("field", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Column, field: str) -> None:
        self.column = _expression(column)
        self.field = literal(field, String())


def has_any_string(column: Column, strings: Iterable[str]) -> ColumnElement[bool]:
    """SQL: the JSON array in ``column`` holds at least one of ``strings``."""
    return _HasAnyString(column, strings)


def is_json_true(column: Column, field: str) -> ColumnElement[bool]:
    """SQL: the JSON object in ``column`` maps ``field`` to ``true`` (not 1, not "true")."""
    return _IsJsonTrue(column, field)


@compiles(_HasAnyString)
def _has_any_string_sqlite(element: _HasAnyString, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    strings = compiler.process(element.strings, **kw)
    # Only compiled SQL and bound parameters are put together here, never values.
    return (
        f"EXISTS (SELECT 1 FROM json_each({column}) AS held "  # noqa: S608
        f"WHERE held.type = 'text' AND held.value IN (SELECT value FROM json_each({strings})))"
    )


@compiles(_HasAnyString, "postgresql")
def _has_any_string_postgresql(element: _HasAnyString, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    strings = compiler.process(element.strings, **kw)
    return f"({column} ?| CAST({strings} AS TEXT[]))"


@compiles(_IsJsonTrue)
def _is_json_true_sqlite(element: _IsJsonTrue, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    field = compiler.process(element.field, **kw)
    return f"(json_type({column}, '$.' || {field}) = 'true')"


@compiles(_IsJsonTrue, "postgresql")
def _is_json_true_postgresql(element: _IsJsonTrue, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    field = compiler.process(element.field, **kw)
    return f"(({column} -> CAST({field} AS TEXT)) = CAST('true' AS JSONB))"
