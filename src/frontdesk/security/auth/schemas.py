"""Request and response bodies of the auth and account endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import EmailStr, Field

from frontdesk.core.schemas import RequestModel, ResponseModel

Username = Field(min_length=3, max_length=150, pattern=r"^[^\s@][^\s]*$")
Password = Field(min_length=1, max_length=4096)  # the policy gives the real rules


class RegisterRequest(RequestModel):
    username: str = Username
    email: EmailStr = Field(max_length=320)
    password: str = Password
    name: str = Field(min_length=1, max_length=200, description="The customer's full name")
    phone: str | None = Field(default=None, max_length=32)
    referral_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="The code of the customer who referred you, if any",
    )


class LoginRequest(RequestModel):
    identifier: str = Field(min_length=1, max_length=320, description="Username or email")
    password: str = Password
    device_info: str | None = Field(default=None, max_length=255)
    refresh_in_cookie: bool = Field(
        default=False,
        description="Send the refresh token as an HttpOnly cookie instead of in the body",
    )


class RefreshRequest(RequestModel):
    refresh_token: str | None = Field(
        default=None, max_length=200, description="Omit to use the refresh cookie"
    )
    refresh_in_cookie: bool = False


class TokenResponse(ResponseModel):
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    access_token: str
    expires_at: datetime
    refresh_token: str | None = Field(description="Null when the refresh token was set as a cookie")
    refresh_expires_at: datetime
    session_id: str


class UserRead(ResponseModel):
    id: uuid.UUID
    username: str
    email: str
    is_active: bool
    is_customer: bool
    email_verified_at: datetime | None
    last_login_at: datetime | None
    created_at: datetime


class SessionRead(ResponseModel):
    id: uuid.UUID
    status: str
    device_info: str | None = None
    ip_address: str | None
    user_agent: str | None
    created_at: datetime
    last_seen_at: datetime | None
    expires_at: datetime
    current: bool = False

    @classmethod
    def of(
        cls, login: Any, device_info: str | None, *, current: uuid.UUID | None = None
    ) -> SessionRead:
        read = cls.model_validate(login)
        return read.model_copy(update={"device_info": device_info, "current": login.id == current})


class SessionLogRead(ResponseModel):
    id: uuid.UUID
    user_id: uuid.UUID | None
    action: str
    session_token: str | None
    ip_address: str | None
    user_agent: str | None
    success: bool
    created_at: datetime


class PasswordChangeRequest(RequestModel):
    current_password: str = Password
    new_password: str = Password


class ForgotPasswordRequest(RequestModel):
    email: EmailStr = Field(max_length=320)


class ResetPasswordRequest(RequestModel):
    token: str = Field(min_length=10, max_length=200)
    new_password: str = Password


class VerifyEmailRequest(RequestModel):
    token: str = Field(min_length=10, max_length=200)


class Accepted(ResponseModel):
    detail: str


class StaffCreate(RequestModel):
    username: str = Username
    email: EmailStr = Field(max_length=320)
    password: str = Password


class UserUpdate(RequestModel):
    username: str | None = Field(
        default=None, min_length=3, max_length=150, pattern=r"^[^\s@][^\s]*$"
    )
    email: EmailStr | None = Field(default=None, max_length=320)
    is_active: bool | None = None
