"""``/api/v1/services``: the public catalogue of bookable services, and its management;
``/api/v1/staff/{id}/...`` and ``/api/v1/closures``: staff schedules.

The catalogue (active services) is public: the online booking page shows it and it holds
nothing personal. Managers see inactive services too under ``/api/v1/admin/services``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from frontdesk.business.scheduling import availability, feeds, service, staff
from frontdesk.business.scheduling.models import Service, StaffWorkingHours
from frontdesk.business.scheduling.permissions import (
    SCHEDULES_MANAGE,
    SCHEDULES_READ,
    SERVICES_MANAGE,
)
from frontdesk.business.scheduling.schemas import (
    AvailabilityRead,
    CalendarAppointment,
    CalendarFeedIssued,
    CalendarRead,
    ServiceCreate,
    ServiceRead,
    ServiceUpdate,
    StaffServicesRead,
    StaffServicesUpdate,
    StaffSlotsRead,
    TimeOffCreate,
    TimeOffRead,
    WorkingHoursRead,
    WorkingHoursUpdate,
    WorkingRangeRead,
)
from frontdesk.business.settings import service as business_settings
from frontdesk.core import clock
from frontdesk.core.deps import DbSession
from frontdesk.core.errors import ValidationFailedError
from frontdesk.core.pagination import Cursor, Limit, Page, page_of, paginate
from frontdesk.core.request_context import Meta
from frontdesk.core.schemas import Instant
from frontdesk.security.auth.deps import Principal
from frontdesk.security.rbac.deps import PUBLIC, require

router = APIRouter(tags=["services"])

CategoryFilter = Annotated[str | None, Query(max_length=100, description="Exact category")]
Manager = Annotated[Principal, require(SERVICES_MANAGE)]


async def _page(
    session: DbSession, *, active_only: bool, category: str | None, limit: int, cursor: str | None
) -> Page[ServiceRead]:
    listing = service.listing(active_only=active_only, category=category)
    query = paginate(listing, Service.id, cursor, limit)
    rows = (await session.scalars(query)).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    return Page[ServiceRead](
        items=[ServiceRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.get("/services", dependencies=[PUBLIC], summary="Bookable services")
async def list_services(
    session: DbSession, category: CategoryFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Page[ServiceRead]:
    return await _page(session, active_only=True, category=category, limit=limit, cursor=cursor)


@router.get("/services/{service_id}", dependencies=[PUBLIC], summary="One bookable service")
async def get_service(service_id: uuid.UUID, session: DbSession) -> ServiceRead:
    return ServiceRead.model_validate(await service.get(session, service_id, active_only=True))


@router.get(
    "/admin/services",
    dependencies=[require(SERVICES_MANAGE)],
    summary="Every service, inactive ones included",
)
async def list_all_services(
    session: DbSession, category: CategoryFilter = None, limit: Limit = 50, cursor: Cursor = None
) -> Page[ServiceRead]:
    return await _page(session, active_only=False, category=category, limit=limit, cursor=cursor)


@router.post("/services", status_code=status.HTTP_201_CREATED, summary="Create a service")
async def create_service(
    body: ServiceCreate, session: DbSession, meta: Meta, manager: Manager
) -> ServiceRead:
    created = await service.create(session, body.model_dump(), actor_id=manager.user_id, meta=meta)
    return ServiceRead.model_validate(created)


@router.patch("/services/{service_id}", summary="Change or deactivate a service")
async def update_service(
    service_id: uuid.UUID, body: ServiceUpdate, session: DbSession, meta: Meta, manager: Manager
) -> ServiceRead:
    updated = await service.update(
        session, service_id, body.changes(), actor_id=manager.user_id, meta=meta
    )
    return ServiceRead.model_validate(updated)


# --- staff schedules -----------------------------------------------------------------

ScheduleManager = Annotated[Principal, require(SCHEDULES_MANAGE)]
ReadSchedules = [require(SCHEDULES_READ)]
From = Annotated[Instant | None, Query(alias="from", description="Overlapping this or later")]
To = Annotated[Instant | None, Query(alias="to", description="Starting before this")]


@router.get(
    "/staff/{user_id}/services", dependencies=ReadSchedules, summary="Services one performs"
)
async def get_staff_services(user_id: uuid.UUID, session: DbSession) -> StaffServicesRead:
    await staff.ensure_staff(session, user_id)
    return StaffServicesRead(
        user_id=user_id, service_ids=await staff.performed_services(session, user_id)
    )


@router.put("/staff/{user_id}/services", summary="Set the services one performs")
async def set_staff_services(
    user_id: uuid.UUID,
    body: StaffServicesUpdate,
    session: DbSession,
    meta: Meta,
    manager: ScheduleManager,
) -> StaffServicesRead:
    service_ids = await staff.set_services(
        session, user_id, body.service_ids, actor_id=manager.user_id, meta=meta
    )
    return StaffServicesRead(user_id=user_id, service_ids=service_ids)


def _hours(user_id: uuid.UUID, rows: list[StaffWorkingHours]) -> WorkingHoursRead:
    return WorkingHoursRead(
        user_id=user_id, ranges=[WorkingRangeRead.model_validate(row) for row in rows]
    )


@router.get("/staff/{user_id}/hours", dependencies=ReadSchedules, summary="Weekly hours")
async def get_working_hours(user_id: uuid.UUID, session: DbSession) -> WorkingHoursRead:
    await staff.ensure_staff(session, user_id)
    return _hours(user_id, await staff.working_hours(session, user_id))


@router.put("/staff/{user_id}/hours", summary="Set the weekly hours (the whole week)")
async def set_working_hours(
    user_id: uuid.UUID,
    body: WorkingHoursUpdate,
    session: DbSession,
    meta: Meta,
    manager: ScheduleManager,
) -> WorkingHoursRead:
    rows = await staff.set_working_hours(
        session, user_id, body.ranges, actor_id=manager.user_id, meta=meta
    )
    return _hours(user_id, rows)


@router.get("/staff/{user_id}/time-off", dependencies=ReadSchedules, summary="Time off")
async def list_time_off(
    user_id: uuid.UUID, session: DbSession, start: From = None, end: To = None
) -> list[TimeOffRead]:
    await staff.ensure_staff(session, user_id)
    rows = await staff.time_off(session, user_id, start=start, end=end)
    return [TimeOffRead.model_validate(row) for row in rows]


@router.post(
    "/staff/{user_id}/time-off", status_code=status.HTTP_201_CREATED, summary="Add time off"
)
async def add_time_off(
    user_id: uuid.UUID,
    body: TimeOffCreate,
    session: DbSession,
    meta: Meta,
    manager: ScheduleManager,
) -> TimeOffRead:
    absence = await staff.add_time_off(
        session, user_id, **body.model_dump(), actor_id=manager.user_id, meta=meta
    )
    return TimeOffRead.model_validate(absence)


@router.delete(
    "/staff/{user_id}/time-off/{time_off_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove time off",
)
async def remove_time_off(
    user_id: uuid.UUID,
    time_off_id: uuid.UUID,
    session: DbSession,
    meta: Meta,
    manager: ScheduleManager,
) -> None:
    await staff.remove_time_off(session, user_id, time_off_id, actor_id=manager.user_id, meta=meta)


@router.get("/closures", dependencies=ReadSchedules, summary="Closures of the business")
async def list_closures(
    session: DbSession, start: From = None, end: To = None
) -> list[TimeOffRead]:
    rows = await staff.time_off(session, None, start=start, end=end)
    return [TimeOffRead.model_validate(row) for row in rows]


@router.post("/closures", status_code=status.HTTP_201_CREATED, summary="Close the business")
async def add_closure(
    body: TimeOffCreate, session: DbSession, meta: Meta, manager: ScheduleManager
) -> TimeOffRead:
    closure = await staff.add_time_off(
        session, None, **body.model_dump(), actor_id=manager.user_id, meta=meta
    )
    return TimeOffRead.model_validate(closure)


@router.delete("/closures/{time_off_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Reopen")
async def remove_closure(
    time_off_id: uuid.UUID, session: DbSession, meta: Meta, manager: ScheduleManager
) -> None:
    await staff.remove_time_off(session, None, time_off_id, actor_id=manager.user_id, meta=meta)


# --- availability --------------------------------------------------------------------

WindowStart = Annotated[Instant, Query(alias="from", description="First start time to offer")]
WindowEnd = Annotated[Instant, Query(alias="to", description="Offer starts before this")]


def _check_window(start: datetime, end: datetime) -> None:
    """A window is non-empty and at most 31 days long."""
    if not start < end:
        raise ValidationFailedError(
            "The window is empty.", path="query.to", message="must be after from"
        )
    if end - start > availability.MAX_WINDOW:
        raise ValidationFailedError(
            f"At most {availability.MAX_WINDOW.days} days at a time.",
            path="query.to",
            message=f"at most {availability.MAX_WINDOW.days} days after from",
        )


@router.get("/availability", dependencies=[PUBLIC], summary="Bookable start times of a service")
async def get_availability(
    session: DbSession,
    service_id: uuid.UUID,
    start: WindowStart,
    end: WindowEnd,
    staff_id: uuid.UUID | None = None,
) -> AvailabilityRead:
    _check_window(start, end)
    offered = await service.get(session, service_id, active_only=True)
    settings = await business_settings.get(session)
    per_staff = await availability.availability(
        session,
        service=offered,
        settings=settings,
        window=(start, end),
        now=clock.now(),
        staff_id=staff_id,
    )
    return AvailabilityRead(
        service_id=offered.id,
        time_zone=settings.time_zone,
        slot_step_minutes=settings.slot_step_minutes,
        duration_minutes=offered.duration_minutes,
        staff=[StaffSlotsRead(staff_id=row.staff_id, slots=row.slots) for row in per_staff],
    )


@router.get(
    "/staff/{user_id}/calendar",
    dependencies=ReadSchedules,
    summary="One staff member's appointments, time off and closures in a window",
)
async def staff_calendar(
    user_id: uuid.UUID, session: DbSession, start: WindowStart, end: WindowEnd
) -> CalendarRead:
    _check_window(start, end)
    await staff.ensure_staff(session, user_id)
    rows = await staff.calendar_appointments(session, user_id, start, end)
    settings = await business_settings.get(session)
    return CalendarRead(
        staff_id=user_id,
        time_zone=settings.time_zone,
        appointments=[
            CalendarAppointment(
                id=appointment.id,
                start=appointment.appointment_date,
                end=appointment.ends_at,
                blocked_from=appointment.blocked_from,
                blocked_until=appointment.blocked_until,
                status=appointment.status,
                service_id=appointment.service_id,
                service_name=service_name,
                customer_id=appointment.customer_id,
                customer_name=customer_name,
            )
            for appointment, service_name, customer_name in rows
        ],
        time_off=[
            TimeOffRead.model_validate(row)
            for row in await staff.time_off(session, user_id, start=start, end=end)
        ],
        closures=[
            TimeOffRead.model_validate(row)
            for row in await staff.time_off(session, None, start=start, end=end)
        ],
    )


# --- iCalendar feeds -------------------------------------------------------------------


@router.post(
    "/staff/{user_id}/calendar-feed",
    status_code=status.HTTP_201_CREATED,
    summary="Issue (or replace) a staff member's iCalendar feed URL",
)
async def issue_calendar_feed(
    user_id: uuid.UUID,
    request: Request,
    session: DbSession,
    meta: Meta,
    manager: ScheduleManager,
) -> CalendarFeedIssued:
    await staff.ensure_staff(session, user_id, lock=True)
    token = await feeds.issue(session, user_id, actor_id=manager.user_id, meta=meta)
    path = request.app.url_path_for("calendar_feed", token=f"{token}.ics")
    return CalendarFeedIssued(url=str(request.base_url).rstrip("/") + path)


@router.delete(
    "/staff/{user_id}/calendar-feed",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a staff member's iCalendar feed",
)
async def revoke_calendar_feed(
    user_id: uuid.UUID, session: DbSession, meta: Meta, manager: ScheduleManager
) -> None:
    await feeds.revoke(session, user_id, actor_id=manager.user_id, meta=meta)


@router.get(
    "/calendar-feeds/{token}",
    name="calendar_feed",
    dependencies=[PUBLIC],  # the secret in the URL is the credential
    summary="A staff member's calendar (iCalendar), for calendar apps",
    response_class=Response,
)
async def calendar_feed(
    token: Annotated[str, Path(max_length=100)], session: DbSession
) -> Response:
    secret = token.removesuffix(".ics")
    body = await feeds.render(
        session, secret, settings=await business_settings.get(session), now=clock.now()
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )
