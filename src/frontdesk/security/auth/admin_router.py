"""``/api/v1/admin``: staff accounts, anyone's sessions and session logs, login blocks."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy import Select, String, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core import clock
from frontdesk.core.deps import DbSession
from frontdesk.core.errors import NotFoundError
from frontdesk.core.fastread import compiled_read
from frontdesk.core.pagination import (
    Cursor,
    Limit,
    Page,
    page_json,
    page_of,
    page_params,
    paginate,
    paginate_bound,
)
from frontdesk.core.request_context import Meta
from frontdesk.security.audit import service as audit
from frontdesk.security.auth import service as accounts
from frontdesk.security.auth import throttle
from frontdesk.security.auth.deps import Principal
from frontdesk.security.auth.models import EnhancedUserSession, SessionLog, User
from frontdesk.security.auth.permissions import (
    SESSIONS_READ_ANY,
    SESSIONS_REVOKE_ANY,
    USERS_CREATE,
    USERS_READ,
    USERS_UPDATE,
)
from frontdesk.security.auth.schemas import (
    SessionLogRead,
    SessionRead,
    StaffCreate,
    UserRead,
    UserUpdate,
)
from frontdesk.security.auth.sessions import active_sessions, close_session
from frontdesk.security.auth.throttle import RateLimitRead
from frontdesk.security.rbac import service as rbac
from frontdesk.security.rbac.deps import require

router = APIRouter(prefix="/admin", tags=["admin: accounts"])


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFoundError("No such user.")
    return user


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    summary="Create a staff account",
)
async def create_staff(
    body: StaffCreate,
    session: DbSession,
    meta: Meta,
    admin: Annotated[Principal, require(USERS_CREATE)],
) -> UserRead:
    user = await accounts.create_user(
        session, username=body.username, email=str(body.email), password=body.password
    )
    await audit.record(
        session,
        action="admin.user_create",
        success=True,
        actor_id=admin.user_id,
        resource=f"user:{user.id}",
        details={"username": user.username},
        meta=meta,
    )
    return UserRead.model_validate(user)


# The columns UserRead shows: read as plain rows, no ORM identity map for a list.
_USER_COLUMNS = tuple(getattr(User, name) for name in UserRead.model_fields)


@router.get(
    "/users",
    summary="List accounts",
    dependencies=[require(USERS_READ)],
    response_model=Page[UserRead],
)
async def list_users(
    request: Request,
    q: Annotated[
        str | None, Query(max_length=100, description="Username or email contains")
    ] = None,
    is_active: bool | None = None,
    is_customer: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    params = page_params(cursor, limit)
    if q:
        params["pattern"] = f"%{accounts.normalize_identifier(q)}%"
    if is_active is not None:
        params["is_active"] = is_active
    if is_customer is not None:
        params["is_customer"] = is_customer
    shape = (bool(q), is_active is not None, is_customer is not None, cursor is not None)
    engine = request.app.state.read_engine
    read = compiled_read(engine, ("admin.users", shape), partial(_user_page, *shape))
    rows = await read.fetch(**params)
    # Rows of our own columns: no validation or model per row on the way out.
    return Response(page_json(rows, limit, UserRead.model_fields), media_type="application/json")


def _user_page(search: bool, active: bool, customer: bool, after_cursor: bool) -> Select[Any]:
    """The page query for one combination of filters, every value bound."""
    query = select(*_USER_COLUMNS)
    if search:
        pattern = bindparam("pattern", type_=String())
        query = query.where(
            or_(User.username_normalized.like(pattern), User.email_normalized.like(pattern))
        )
    if active:
        query = query.where(User.is_active == bindparam("is_active"))
    if customer:
        query = query.where(User.is_customer == bindparam("is_customer"))
    return paginate_bound(query, User.id, after_cursor=after_cursor)


@router.get("/users/{user_id}", summary="One account", dependencies=[require(USERS_READ)])
async def get_user(user_id: uuid.UUID, session: DbSession) -> UserRead:
    return UserRead.model_validate(await _user(session, user_id))


@router.patch("/users/{user_id}", summary="Change or deactivate an account")
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    session: DbSession,
    meta: Meta,
    admin: Annotated[Principal, require(USERS_UPDATE)],
) -> UserRead:
    user = await _user(session, user_id)
    before = {"username": user.username, "email": user.email, "is_active": user.is_active}
    if body.username is not None or body.email is not None:
        await accounts.update_identity(
            session,
            user,
            username=body.username,
            email=str(body.email) if body.email is not None else None,
        )
    ended = 0
    if body.is_active is False and user.is_active:
        # Before any write: it locks the admin role so two removals cannot race past it.
        await rbac.ensure_admin_remains(session, removing_user_id=user.id)
        ended = await accounts.deactivate(session, user, meta=meta, now=clock.now())
    elif body.is_active is True:
        user.is_active = True
    after = {"username": user.username, "email": user.email, "is_active": user.is_active}
    await audit.record(
        session,
        action="admin.user_update",
        success=True,
        actor_id=admin.user_id,
        resource=f"user:{user.id}",
        details={"before": before, "after": after, "sessions_ended": ended},
        meta=meta,
    )
    await session.flush()
    return UserRead.model_validate(user)


@router.get(
    "/users/{user_id}/sessions",
    summary="A user's active sessions",
    dependencies=[require(SESSIONS_READ_ANY)],
)
async def user_sessions(user_id: uuid.UUID, session: DbSession) -> list[SessionRead]:
    await _user(session, user_id)
    rows = await active_sessions(session, user_id)
    return [SessionRead.of(login, device) for login, device in rows]


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke anyone's session",
)
async def revoke_session(
    session_id: uuid.UUID,
    session: DbSession,
    meta: Meta,
    admin: Annotated[Principal, require(SESSIONS_REVOKE_ANY)],
) -> None:
    login = await session.get(EnhancedUserSession, session_id)
    if login is None:
        raise NotFoundError("No such session.")
    await close_session(
        session, login, status="revoked", reason="revoked_by_admin", meta=meta, now=clock.now()
    )
    await audit.record(
        session,
        action="admin.session_revoke",
        success=True,
        actor_id=admin.user_id,
        resource=f"session:{login.session_id}",
        details={"user_id": str(login.user_id)},
        meta=meta,
    )


@router.get(
    "/session-logs",
    summary="Session history of any user",
    dependencies=[require(SESSIONS_READ_ANY)],
)
async def session_logs(
    session: DbSession, user_id: uuid.UUID | None = None, limit: Limit = 50, cursor: Cursor = None
) -> Page[SessionLogRead]:
    query = select(SessionLog)
    if user_id is not None:
        query = query.where(SessionLog.user_id == user_id)
    rows = (await session.scalars(paginate(query, SessionLog.id, cursor, limit))).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    return Page[SessionLogRead](
        items=[SessionLogRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.get(
    "/rate-limits", summary="Login throttling rows (blocks)", dependencies=[require(USERS_READ)]
)
async def rate_limits(
    session: DbSession, active_only: bool = True, limit: Limit = 50, cursor: Cursor = None
) -> Page[RateLimitRead]:
    rows, next_cursor = await throttle.list_blocks(
        session, now=clock.now(), active_only=active_only, limit=limit, cursor=cursor
    )
    return Page[RateLimitRead](
        items=[RateLimitRead.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.delete(
    "/rate-limits/{row_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Clear a block"
)
async def clear_rate_limit(
    row_id: uuid.UUID,
    session: DbSession,
    meta: Meta,
    admin: Annotated[Principal, require(USERS_UPDATE)],
) -> None:
    if not await throttle.clear_block(session, row_id):
        raise NotFoundError("No such rate-limit row.")
    await audit.record(
        session,
        action="admin.rate_limit_clear",
        success=True,
        actor_id=admin.user_id,
        resource=f"rate_limit:{row_id}",
        meta=meta,
    )
