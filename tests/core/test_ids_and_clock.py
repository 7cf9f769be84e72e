from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.core import clock
from frontdesk.core.clock import FrozenClock, use_clock
from frontdesk.core.ids import new_id


def test_ids_are_uuid_version_7_and_time_ordered() -> None:
    ids = [new_id() for _ in range(200)]
    assert all(value.version == 7 for value in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_frozen_clock_moves_only_when_told() -> None:
    frozen = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    with use_clock(frozen):
        first = clock.now()
        assert clock.now() == first
        frozen.advance(timedelta(minutes=5))
        assert clock.now() - first == timedelta(minutes=5)
    assert clock.now() != first + timedelta(minutes=5)


def test_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FrozenClock(datetime(2026, 1, 1))  # noqa: DTZ001


def test_system_clock_is_utc() -> None:
    assert clock.now().utcoffset() == timedelta(0)
