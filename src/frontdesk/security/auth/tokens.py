"""Access tokens (short-lived JWT) and refresh tokens (opaque, stored only hashed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from frontdesk.core.config import Settings

# Hard-coded: the token's own header never chooses the algorithm (no alg=none, no RS/HS mix).
ALGORITHM = "HS256"
ACCESS_TYPE = "access"
REQUIRED_CLAIMS = ["sub", "sid", "exp", "iat", "iss", "aud", "typ"]
REFRESH_TOKEN_BYTES = 32  # 256 bits


class InvalidTokenError(Exception):
    """Any reason an access token is not acceptable; callers answer a generic 401."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: str
    expires_at: datetime


def issue_access_token(
    settings: Settings, *, user_id: uuid.UUID, session_id: str, now: datetime
) -> tuple[str, datetime]:
    expires = now + timedelta(minutes=settings.access_token_minutes)
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "typ": ACCESS_TYPE,
    }
    return jwt.encode(claims, settings.signing_key, algorithm=ALGORITHM), expires


def decode_access_token(settings: Settings, token: str, *, now: datetime) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            settings.signing_key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
        )
        expires = int(claims["exp"])
        if expires <= now.timestamp():  # the injected clock decides, not the wall clock
            raise InvalidTokenError("expired")
        if claims["typ"] != ACCESS_TYPE or not isinstance(claims["sid"], str):
            raise InvalidTokenError("not an access token")
        return AccessClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            session_id=claims["sid"],
            expires_at=datetime.fromtimestamp(expires, now.tzinfo),
        )
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise InvalidTokenError(str(exc)) from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def successor_refresh_token(settings: Settings, token: str) -> str:
    """The token that replaces ``token`` on rotation, derived rather than drawn.

    Deriving it (HMAC with the server key) means a retry of the same refresh inside the
    grace window gets the very same pair back: concurrent refreshes of one token never
    produce two live successors.
    """
    digest = hmac.new(settings.signing_key.encode(), token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def hash_token(token: str) -> str:
    """Refresh, reset and verification tokens are stored only as SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_handle() -> str:
    return secrets.token_urlsafe(24)


class VerifiedTokenCache:
    """Access tokens whose signature and claims were already checked in this process.

    Verifying a JWT costs more than the rest of an authenticated request's Python work;
    a token seen again needs only its expiry re-checked (against the injected clock).
    Bounded: when full it starts over, which only costs re-verification.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[str, AccessClaims] = {}
        self._max_entries = max_entries

    def get(self, token: str, now: datetime) -> AccessClaims | None:
        claims = self._entries.get(token)
        if claims is None:
            return None
        if claims.expires_at <= now:
            self._entries.pop(token, None)
            return None
        return claims

    def put(self, token: str, claims: AccessClaims) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[token] = claims
