"""Column types shared by every table: UTC instants, exact money, portable JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, BindParameter, DateTime, Dialect, Numeric, literal
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

from frontdesk.core.money import MONEY_PRECISION, MONEY_SCALE, to_money


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored in UTC.

    A naive datetime is refused rather than guessed at: a wrong guess silently shifts
    appointments by hours. SQLite has no timezone type, so UTC is re-attached on load.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: attach a time zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # Stored as text; one fixed UTC form keeps string comparison equal to time order.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact decimal (money, percentages): NUMERIC(18, 4) on PostgreSQL, a scaled
    integer on SQLite.

    SQLite's NUMERIC affinity goes through float; a scaled 64-bit integer keeps every
    digit and still sorts, sums and compares in SQL (CHECK amount >= 0 works as is).
    """

    impl = Numeric(MONEY_PRECISION, MONEY_SCALE)
    cache_ok = True
    _factor = 10**MONEY_SCALE

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = to_money(value)
        if dialect.name == "sqlite":
            return int(amount * self._factor)
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            scaled: Decimal = Decimal(int(value)) / self._factor
            return scaled.quantize(Decimal(1).scaleb(-MONEY_SCALE))
        return to_money(Decimal(value))


# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
PortableJSON = JSON().with_variant(JSONB(), "postgresql")
# For optional documents: Python None is stored as SQL NULL, not as the JSON text null.
OptionalJSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


Money = ExactDecimal


def exact_literal(value: Decimal | int | str) -> BindParameter[Decimal]:
    """A constant for SQL on :class:`ExactDecimal` columns (CHECK constraints).

    It is rendered through the type, so on SQLite it is scaled like the stored values:
    ``discount_percent <= exact_literal(100)`` reads ``<= 1000000`` there.
    """
    return literal(to_money(value), ExactDecimal())
