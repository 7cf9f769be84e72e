"""``/api/v1/auth``: register, login, refresh, logout, sessions, passwords, email."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core import clock
from frontdesk.core.config import Settings
from frontdesk.core.deps import AppSettings, DbSession, FailureWork, persist_on_failure
from frontdesk.core.errors import NotFoundError
from frontdesk.core.pagination import Cursor, Limit, Page, page_of, paginate
from frontdesk.core.ratelimit import throttle
from frontdesk.core.request_context import Meta, RequestMeta
from frontdesk.security.audit import service as audit
from frontdesk.security.auth import mail
from frontdesk.security.auth import service as accounts
from frontdesk.security.auth.cookies import COOKIE_NAME, clear_refresh_cookie, set_refresh_cookie
from frontdesk.security.auth.deps import CurrentPrincipal, NotAuthenticatedError
from frontdesk.security.auth.login import login as do_login
from frontdesk.security.auth.models import EnhancedUserSession, SessionLog, User
from frontdesk.security.auth.schemas import (
    Accepted,
    ForgotPasswordRequest,
    LoginRequest,
    PasswordChangeRequest,
    RefreshRequest,
    RegisterRequest,
    ResetPasswordRequest,
    SessionLogRead,
    SessionRead,
    TokenResponse,
    UserRead,
    VerifyEmailRequest,
)
from frontdesk.security.auth.sessions import (
    RefreshRefusedError,
    TokenPair,
    active_sessions,
    close_session,
    end_user_sessions,
    revoke_family_after_reuse,
    rotate,
)
from frontdesk.security.rbac.deps import PUBLIC

router = APIRouter(prefix="/auth", tags=["auth"])

# Anonymous endpoints share a per-IP request budget (429 with Retry-After past it).
AnonymousThrottle = throttle("auth", lambda settings: settings.auth_requests_per_minute)
RefreshCookie = Annotated[str | None, Cookie(alias=COOKIE_NAME, include_in_schema=False)]


def _token_response(
    response: Response, settings: Settings, pair: TokenPair, *, in_cookie: bool
) -> TokenResponse:
    if in_cookie:
        set_refresh_cookie(response, settings, pair.refresh_token, pair.refresh_expires_at)
    return TokenResponse(
        access_token=pair.access_token,
        expires_at=pair.access_expires_at,
        refresh_token=None if in_cookie else pair.refresh_token,
        refresh_expires_at=pair.refresh_expires_at,
        session_id=pair.session_id,
    )


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    dependencies=[PUBLIC, AnonymousThrottle],
    summary="Create a customer account and its first customer profile",
)
async def register(
    body: RegisterRequest, session: DbSession, settings: AppSettings, meta: Meta, request: Request
) -> UserRead:
    user = await accounts.register_customer(
        session,
        username=body.username,
        email=str(body.email),
        password=body.password,
        name=body.name,
        phone=body.phone,
        referral_code=body.referral_code,
    )
    await mail.send_verification(session, settings, user, request.app.state.outbox)
    await audit.record(
        session,
        action="auth.register",
        success=True,
        actor_id=user.id,
        resource=f"user:{user.id}",
        meta=meta,
    )
    return UserRead.model_validate(user)


@router.post("/login", dependencies=[PUBLIC, AnonymousThrottle], summary="Sign in")
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    settings: AppSettings,
    meta: Meta,
) -> TokenResponse:
    pair = await do_login(
        request.app.state.sessionmaker,
        settings,
        engine=request.app.state.engine,
        identifier=body.identifier,
        password=body.password,
        device_info=body.device_info,
        meta=meta,
    )
    return _token_response(response, settings, pair, in_cookie=body.refresh_in_cookie)


@router.post(
    "/refresh", dependencies=[PUBLIC, AnonymousThrottle], summary="Rotate the refresh token"
)
async def refresh(
    body: RefreshRequest,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    meta: Meta,
    cookie: RefreshCookie = None,
) -> TokenResponse:
    raw = body.refresh_token or cookie
    if not raw:
        raise NotAuthenticatedError("A refresh token is required.")
    try:
        pair = await rotate(session, settings, raw, meta=meta, now=clock.now())
    except RefreshRefusedError as refused:
        if refused.reuse and refused.session_pk is not None:
            persist_on_failure(session, _reuse_response(refused, meta))
        else:
            persist_on_failure(session, _refused_refresh(refused, meta))
        raise NotAuthenticatedError("The refresh token is not valid; sign in again.") from refused
    await audit.record(
        session,
        action="auth.refresh",
        success=True,
        actor_id=pair.user_id,
        resource=f"session:{pair.session_id}",
        meta=meta,
    )
    in_cookie = body.refresh_in_cookie or (body.refresh_token is None and cookie is not None)
    return _token_response(response, settings, pair, in_cookie=in_cookie)


def _refused_refresh(refused: RefreshRefusedError, meta: RequestMeta) -> FailureWork:
    async def record(session: AsyncSession) -> None:
        await audit.record(
            session,
            action="auth.refresh",
            success=False,
            actor_id=refused.user_id,
            details={"reason": refused.reason},
            meta=meta,
        )

    return record


def _reuse_response(refused: RefreshRefusedError, meta: RequestMeta) -> FailureWork:
    """Revocation that must survive the refused request (RFC 9700 4.14.2)."""
    session_pk = refused.session_pk
    assert session_pk is not None

    async def revoke(session: AsyncSession) -> None:
        login = await revoke_family_after_reuse(session, session_pk, meta=meta, now=clock.now())
        await audit.record(
            session,
            action="auth.refresh_reuse",
            success=False,
            actor_id=login.user_id,
            resource=f"session:{login.session_id}",
            details={"reason": "refresh_token_reuse"},
            meta=meta,
        )

    return revoke


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this session")
async def logout(
    principal: CurrentPrincipal,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    meta: Meta,
) -> None:
    login = await session.get_one(EnhancedUserSession, principal.session_pk)
    await close_session(
        session, login, status="logged_out", reason="logout", meta=meta, now=clock.now()
    )
    await audit.record(
        session,
        action="auth.logout",
        success=True,
        actor_id=principal.user_id,
        resource=f"session:{principal.session_id}",
        meta=meta,
    )
    clear_refresh_cookie(response, settings)


@router.post(
    "/logout-all", status_code=status.HTTP_204_NO_CONTENT, summary="End every session of mine"
)
async def logout_all(
    principal: CurrentPrincipal,
    response: Response,
    session: DbSession,
    settings: AppSettings,
    meta: Meta,
) -> None:
    ended = await end_user_sessions(
        session,
        principal.user_id,
        status="logged_out",
        reason="logout_all",
        now=clock.now(),
        meta=meta,
    )
    await audit.record(
        session,
        action="auth.logout_all",
        success=True,
        actor_id=principal.user_id,
        resource=f"user:{principal.user_id}",
        details={"sessions_ended": ended},
        meta=meta,
    )
    clear_refresh_cookie(response, settings)


@router.get("/me", summary="The signed-in account", response_model=UserRead)
async def me(principal: CurrentPrincipal) -> Response:
    # Read with the session by the auth check; built without a second validation pass.
    body = UserRead.model_construct(**asdict(principal.account))
    return Response(body.model_dump_json(), media_type="application/json")


@router.get("/sessions", summary="My active sessions")
async def my_sessions(principal: CurrentPrincipal, session: DbSession) -> list[SessionRead]:
    rows = await active_sessions(session, principal.user_id)
    return [SessionRead.of(login, device, current=principal.session_pk) for login, device in rows]


@router.delete(
    "/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, summary="End one of mine"
)
async def revoke_my_session(
    session_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, meta: Meta
) -> None:
    login = await session.get(EnhancedUserSession, session_id)
    if login is None or login.user_id != principal.user_id:
        raise NotFoundError("No such session.")  # another user's id: no existence leak
    await close_session(
        session, login, status="revoked", reason="revoked_by_user", meta=meta, now=clock.now()
    )
    await audit.record(
        session,
        action="auth.session_revoke",
        success=True,
        actor_id=principal.user_id,
        resource=f"session:{login.session_id}",
        meta=meta,
    )


@router.get("/session-logs", summary="My session history")
async def my_session_logs(
    principal: CurrentPrincipal, session: DbSession, limit: Limit = 50, cursor: Cursor = None
) -> Page[SessionLogRead]:
    rows = (
        await session.scalars(
            paginate(
                select(SessionLog).where(SessionLog.user_id == principal.user_id),
                SessionLog.id,
                cursor,
                limit,
            )
        )
    ).all()
    items, next_cursor = page_of(rows, limit, lambda row: row.id)
    return Page[SessionLogRead](
        items=[SessionLogRead.model_validate(row) for row in items], next_cursor=next_cursor
    )


@router.post(
    "/password/change",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change my password (ends my other sessions)",
)
async def change_password(
    body: PasswordChangeRequest, principal: CurrentPrincipal, session: DbSession, meta: Meta
) -> None:
    user = await session.get_one(User, principal.user_id)
    ended = await accounts.change_password(
        session,
        user,
        current=body.current_password,
        new=body.new_password,
        keep_session=principal.session_pk,
        meta=meta,
    )
    await audit.record(
        session,
        action="auth.password_change",
        success=True,
        actor_id=user.id,
        resource=f"user:{user.id}",
        details={"sessions_ended": ended},
        meta=meta,
    )


FORGOT_ANSWER = "If that address belongs to an account, a reset link is on its way."


@router.post(
    "/password/forgot",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[PUBLIC, AnonymousThrottle],
    summary="Email a password-reset link",
)
async def forgot_password(
    body: ForgotPasswordRequest,
    session: DbSession,
    settings: AppSettings,
    meta: Meta,
    request: Request,
) -> Accepted:
    user = await accounts.find_active_by_email(session, str(body.email))
    if user is not None:
        await mail.send_password_reset(session, settings, user, request.app.state.outbox)
    await audit.record(
        session,
        action="auth.password_forgot",
        success=True,
        actor_id=user.id if user else None,
        resource=f"user:{user.id}" if user else None,
        meta=meta,
    )
    return Accepted(detail=FORGOT_ANSWER)  # the same for known and unknown addresses


@router.post(
    "/password/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[PUBLIC, AnonymousThrottle],
    summary="Set a new password with a reset token",
)
async def reset_password(body: ResetPasswordRequest, session: DbSession, meta: Meta) -> None:
    user = await accounts.reset_password(session, body.token, body.new_password, meta=meta)
    await audit.record(
        session,
        action="auth.password_reset",
        success=True,
        actor_id=user.id,
        resource=f"user:{user.id}",
        meta=meta,
    )


@router.post(
    "/email/verify",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[PUBLIC, AnonymousThrottle],
    summary="Confirm an email address",
)
async def verify_email(body: VerifyEmailRequest, session: DbSession, meta: Meta) -> None:
    user = await accounts.verify_email(session, body.token)
    await audit.record(
        session,
        action="auth.email_verify",
        success=True,
        actor_id=user.id,
        resource=f"user:{user.id}",
        meta=meta,
    )
