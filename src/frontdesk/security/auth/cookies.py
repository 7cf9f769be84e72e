"""The refresh token as a cookie, for the browser console.

HttpOnly keeps it away from scripts; SameSite=Strict keeps other sites' pages from
making the browser send it (the CSRF defence); the path limits it to the auth
endpoints, so it never travels with ordinary API calls; Secure in production.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Response

from frontdesk.core import clock
from frontdesk.core.config import Settings

COOKIE_NAME = "frontdesk_refresh"
COOKIE_PATH = "/api/v1/auth"


def set_refresh_cookie(
    response: Response, settings: Settings, token: str, expires_at: datetime
) -> None:
    # Max-Age rather than Expires: the browser counts from its own clock, so clock skew
    # between server and client cannot end the cookie early or keep it late.
    lifetime = max(int((expires_at - clock.now()).total_seconds()), 0)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=lifetime,
        path=COOKIE_PATH,
        secure=settings.is_production,
        httponly=True,
        samesite="strict",
    )


def clear_refresh_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE_NAME,
        path=COOKIE_PATH,
        secure=settings.is_production,
        httponly=True,
        samesite="strict",
    )
