"""Password hashing (Argon2id) and the password policy.

Parameters follow OWASP / ASVS 5 (m=19 MiB, t=2, p=1): ~20 ms of one core, so
concurrent logins do not collapse the server. Hashing runs off the event loop.

The policy (ASVS 6.2.1, 6.2.4, 6.2.8, 6.2.9) refuses passwords that are too short,
longer than a byte cap (hashing cost is bounded; input is never truncated), on the
shipped list of common passwords (``data/common-passwords.txt``), or the same as the
account's username or email. Those comparisons are case-insensitive (NFKC +
casefold) but exact otherwise: ``password1`` is refused because it is on the list
itself, not because trailing digits are stripped. The password that is hashed and
stored is never folded, trimmed or truncated.
"""

from __future__ import annotations

import asyncio
import functools
import unicodedata
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from frontdesk.core.errors import VALIDATION_FAILED, AppError

MIN_PASSWORD_LENGTH = 8
RECOMMENDED_PASSWORD_LENGTH = 12
MAX_PASSWORD_BYTES = 1024  # hashing cost is bounded; longer input is refused, never truncated

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16)

COMMON_PASSWORDS_FILE = "common-passwords.txt"  # in this package's data/ folder
TOO_COMMON_DETAIL = "This password is too common; choose another."
SAME_AS_IDENTITY_DETAIL = "Passwords must not be the same as your username or email address."


class WeakPasswordError(AppError):
    error = VALIDATION_FAILED


def _fold(text: str) -> str:
    """Compatibility caseless form (Unicode NFKC + casefold) used for comparisons only."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped common-password list, folded; read once per process."""
    source = resources.files("frontdesk.security.auth") / "data" / COMMON_PASSWORDS_FILE
    entries = set()
    for line in source.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            entries.add(_fold(line))
    return frozenset(entries)


def is_common_password(password: str) -> bool:
    """Whether the password is on the common-password list, ignoring case and width."""
    return _fold(password) in common_passwords()


def _personal_values(username: str | None, email: str | None) -> set[str]:
    values: set[str] = set()
    if username and username.strip():
        values.add(_fold(username.strip()))
    if email and email.strip():
        address = email.strip()
        values.add(_fold(address))
        local_part = address.rpartition("@")[0] if "@" in address else address
        if local_part:
            values.add(_fold(local_part))
    return values


def check_password_policy(
    password: str, *, username: str | None = None, email: str | None = None
) -> None:
    """Refuse weak passwords with a WeakPasswordError (422, ``field="password"``).

    Too short, too long in bytes, on the common-password list, or equal (ignoring
    case) to ``username``, to ``email`` or to its local part. Never folds case,
    trims or truncates the password itself.
    """
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
    if is_common_password(password):
        raise WeakPasswordError(TOO_COMMON_DETAIL, field="password")
    if _fold(password) in _personal_values(username, email):
        raise WeakPasswordError(SAME_AS_IDENTITY_DETAIL, field="password")


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
