"""The availability rule as a pure function: hours, buffers, time off, notice, horizon,
the slot grid and DST days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.business.scheduling.availability import Interval, Rules, Shape, Week, open_slots

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # long before every day below
HOUR = timedelta(hours=1)


def _rules(zone: ZoneInfo = PARIS, step: int = 15, notice: int = 0, horizon: int = 730) -> Rules:
    return Rules(
        zone=zone,
        step=timedelta(minutes=step),
        earliest=NOW + timedelta(minutes=notice),
        latest=NOW + timedelta(days=horizon),
    )


def _slots(
    day: datetime,
    *,
    week: Week,
    minutes: int = 60,
    before: int = 0,
    after: int = 0,
    rules: Rules | None = None,
    away: list[Interval] | None = None,
    busy: list[Interval] | None = None,
) -> list[str]:
    found = open_slots(
        week=week,
        shape=Shape(
            timedelta(minutes=minutes), timedelta(minutes=before), timedelta(minutes=after)
        ),
        rules=rules or _rules(),
        window=(day, day + timedelta(days=1)),
        away=away or [],
        busy=busy or [],
    )
    return [slot.astimezone(PARIS).strftime("%H:%M") for slot in found]


def _every_day(start: time, end: time) -> Week:
    return Week({weekday: [(start, end)] for weekday in range(1, 8)})


MORNING = _every_day(time(9), time(12))
TUESDAY = datetime(2026, 12, 1, tzinfo=PARIS).astimezone(UTC)


def test_a_service_fits_inside_working_hours_on_the_grid() -> None:
    assert _slots(TUESDAY, week=MORNING) == [
        "09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00",
    ]  # fmt: skip


def test_ranges_off_the_grid_start_at_the_next_grid_time() -> None:
    week = _every_day(time(9, 10), time(11))
    assert _slots(TUESDAY, week=week, minutes=30)[:2] == ["09:15", "09:30"]


def test_an_appointment_and_both_buffers_block_the_time_around_it() -> None:
    # Busy 10:00-10:30 (its own buffers already included in its blocked range).
    busy = [(datetime(2026, 12, 1, 10, tzinfo=PARIS), datetime(2026, 12, 1, 10, 30, tzinfo=PARIS))]
    plain = _slots(TUESDAY, week=MORNING, minutes=30, busy=busy)
    assert "09:30" in plain
    assert "10:00" not in plain
    assert "10:30" in plain
    buffered = _slots(TUESDAY, week=MORNING, minutes=30, before=15, after=15, busy=busy)
    assert "09:30" not in buffered  # its after-buffer would reach 10:15
    assert "09:15" in buffered
    assert "10:30" not in buffered  # its before-buffer starts at 10:15
    assert "10:45" in buffered


def test_time_off_and_closures_remove_slots() -> None:
    away = [(datetime(2026, 12, 1, 10, tzinfo=PARIS), datetime(2026, 12, 1, 11, tzinfo=PARIS))]
    assert _slots(TUESDAY, week=MORNING, away=away) == ["09:00", "11:00"]


def test_minimum_notice_and_horizon() -> None:
    rules = Rules(
        zone=PARIS,
        step=timedelta(minutes=15),
        earliest=datetime(2026, 12, 1, 10, 30, tzinfo=PARIS),
        latest=datetime(2026, 12, 1, 10, 45, tzinfo=PARIS),
    )
    assert _slots(TUESDAY, week=MORNING, rules=rules) == ["10:30", "10:45"]


def test_spring_forward_keeps_wall_clock_hours() -> None:
    # 2027-03-28: Paris goes from UTC+1 to UTC+2 at 02:00.
    day = datetime(2027, 3, 28, tzinfo=PARIS).astimezone(UTC)
    slots = open_slots(
        week=MORNING, shape=Shape(HOUR, timedelta(0), timedelta(0)), rules=_rules(),
        window=(day, day + timedelta(days=1)), away=[], busy=[],
    )  # fmt: skip
    assert slots[0] == datetime(2027, 3, 28, 7, tzinfo=UTC)  # 09:00 at UTC+2
    assert slots[-1] == datetime(2027, 3, 28, 9, tzinfo=UTC)  # 11:00 at UTC+2
    assert len(slots) == 9


def test_a_range_across_the_spring_forward_gap_is_one_hour_shorter() -> None:
    night = _every_day(time(1), time(4))
    day = datetime(2027, 3, 28, tzinfo=PARIS).astimezone(UTC)
    slots = _slots(day, week=night)
    # 01:00-04:00 wall clock is two real hours that day: 02:00-03:00 does not exist.
    assert slots[0] == "01:00"
    assert "02:00" not in slots
    assert slots[-1] == "03:00"
    assert len(slots) == 5  # 01:00 .. 01:45 (4), then 03:00 (the service ends at 04:00)


def test_fall_back_keeps_wall_clock_hours() -> None:
    # 2026-10-25: Paris goes from UTC+2 to UTC+1 at 03:00.
    day = datetime(2026, 10, 25, tzinfo=PARIS).astimezone(UTC)
    slots = open_slots(
        week=MORNING, shape=Shape(HOUR, timedelta(0), timedelta(0)), rules=_rules(),
        window=(day, day + timedelta(days=1)), away=[], busy=[],
    )  # fmt: skip
    assert slots[0] == datetime(2026, 10, 25, 8, tzinfo=UTC)  # 09:00 at UTC+1
    assert len(slots) == 9


@settings(max_examples=200, deadline=None)
@given(
    starts=st.lists(st.integers(min_value=0, max_value=20 * 4), max_size=6),
    minutes=st.sampled_from([15, 30, 45, 60, 90]),
    before=st.sampled_from([0, 5, 15]),
    after=st.sampled_from([0, 10, 30]),
)
def test_no_offered_slot_overlaps_a_busy_range(
    starts: list[int], minutes: int, before: int, after: int
) -> None:
    """Whatever is already booked, an offered slot's blocked range is free: the same
    rule the database's no-overlap constraint enforces."""
    day_start = datetime(2026, 12, 1, 6, tzinfo=PARIS)
    busy = [
        (day_start + timedelta(minutes=15 * n), day_start + timedelta(minutes=15 * n + 45))
        for n in starts
    ]
    week = _every_day(time(7), time(20))
    shape = Shape(timedelta(minutes=minutes), timedelta(minutes=before), timedelta(minutes=after))
    for slot in open_slots(
        week=week, shape=shape, rules=_rules(), window=(TUESDAY, TUESDAY + timedelta(days=1)),
        away=[], busy=busy,
    ):  # fmt: skip
        blocked = (slot - shape.before, slot + shape.duration + shape.after)
        assert all(not (blocked[0] < end and start < blocked[1]) for start, end in busy)
        local = slot.astimezone(PARIS)
        assert time(7) <= local.time()
        assert (local + shape.duration).time() <= time(20)
