"""Password hashing (Argon2id) and the password policy.

Parameters follow OWASP / ASVS 5 (m=19 MiB, t=2, p=1): ~20 ms of one core, so
concurrent logins do not collapse the server. Hashing runs off the event loop.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from frontdesk.core.errors import VALIDATION_FAILED, AppError

MIN_PASSWORD_LENGTH = 8
RECOMMENDED_PASSWORD_LENGTH = 12
MAX_PASSWORD_BYTES = 1024  # hashing cost is bounded; longer input is refused, never truncated

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16)


class WeakPasswordError(AppError):
    error = VALIDATION_FAILED


def check_password_policy(password: str) -> None:
    """Refuse passwords too short or too long; never fold case or trim."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters "
            f"({RECOMMENDED_PASSWORD_LENGTH} or more recommended).",
            field="password",
        )
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise WeakPasswordError(
            f"Passwords can be at most {MAX_PASSWORD_BYTES} bytes long.", field="password"
        )


def hash_password_sync(password: str) -> str:
    return HASHER.hash(password)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


def verify_password_sync(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(hashed: str, password: str) -> bool:
    return await asyncio.to_thread(verify_password_sync, hashed, password)


def needs_rehash(hashed: str) -> bool:
    return HASHER.check_needs_rehash(hashed)
