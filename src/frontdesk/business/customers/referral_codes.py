"""Referral codes: every customer profile has one, unique and unguessable.

A code is 10 characters of Crockford's base32 (``0-9`` and ``A-Z`` without ``I``, ``L``,
``O`` and ``U``), drawn with :mod:`secrets`: 50 bits, so nobody finds a code by trying,
even through the public registration form. Codes are stored upper case and read the way
people type them: case, spaces and hyphens do not matter, and ``I``/``L`` read as ``1``,
``O`` as ``0`` (Crockford's decoding rule), so ``abcd-efgh-jk`` finds ``ABCDEFGHJK``.

Who may use a code is decided here, where the profiles live; the referral itself is the
rewards layer's (it reacts to ``customer.created``). The unique constraint on
``customers.referral_code`` is the backstop for the (at 50 bits, theoretical) collision.
"""

from __future__ import annotations

import re
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.core.errors import ValidationFailedError, register_code

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
MAX_INPUT_LENGTH = 32  # what a person may type, separators included
_WELL_FORMED = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")
_SEPARATORS = str.maketrans("", "", " -\t")
_READS_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})

UNKNOWN_REFERRAL_CODE = register_code("unknown_referral_code", 422, "Unknown referral code")
SELF_REFERRAL = register_code("self_referral", 422, "A customer cannot refer themselves")


class UnknownReferralCodeError(ValidationFailedError):
    error = UNKNOWN_REFERRAL_CODE


class SelfReferralError(ValidationFailedError):
    error = SELF_REFERRAL

    # Defaults: the constraint handler builds it without arguments.
    def __init__(
        self,
        detail: str = "A customer cannot use their own household's referral code.",
        *,
        path: str = "body",
        message: str = "a code of the same customer or account",
    ) -> None:
        super().__init__(detail, path=path, message=message)


def new_code() -> str:
    """A fresh random code."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(raw: str) -> str:
    """The stored form of a typed code (which may still not be well formed)."""
    return raw.translate(_SEPARATORS).upper().translate(_READS_AS)


def is_well_formed(code: str) -> bool:
    return _WELL_FORMED.match(code) is not None


async def find_referrer(
    session: AsyncSession,
    raw_code: str,
    *,
    path: str,
    referred_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
) -> Customer:
    """The live customer whose code ``raw_code`` is, for a referral of ``referred_id``
    (an existing profile) or of a new profile of the account ``owner_id``.

    Raises 422 ``unknown_referral_code`` (no such code, or malformed) and 422
    ``self_referral`` (the code is the referred profile's own, or another profile of the
    same account: a household does not refer itself), both with ``path``.
    """
    code = normalize(raw_code)
    referrer = None
    if is_well_formed(code):
        referrer = await session.scalar(
            select(Customer).where(Customer.referral_code == code, Customer.anonymized_at.is_(None))
        )
    if referrer is None:
        raise UnknownReferralCodeError(
            "No customer has this referral code.", path=path, message="unknown referral code"
        )
    same_account = owner_id is not None and referrer.user_id == owner_id
    if referrer.id == referred_id or same_account:
        raise SelfReferralError(path=path)
    return referrer
