"""Password policy (SECURITY.md lines 1-3) and Argon2id hashing."""

from __future__ import annotations

import secrets
from importlib import resources

import argon2
import pytest

from frontdesk.security.auth.passwords import (
    HASHER,
    MAX_PASSWORD_BYTES,
    MIN_PASSWORD_LENGTH,
    SAME_AS_IDENTITY_DETAIL,
    TOO_COMMON_DETAIL,
    WeakPasswordError,
    check_password_policy,
    common_passwords,
    hash_password,
    hash_password_sync,
    is_common_password,
    needs_rehash,
    verify_password,
    verify_password_sync,
)

STRONG = "Violet-harbour-tram-1987-quilted"


def refused(password: str, **who: str) -> WeakPasswordError:
    with pytest.raises(WeakPasswordError) as caught:
        check_password_policy(password, **who)
    error = caught.value
    assert error.status_code == 422
    assert error.code == "validation_failed"
    assert error.extra == {"field": "password"}
    return error


# --- the shipped list -------------------------------------------------------


def test_list_ships_as_package_data_with_at_least_3000_entries() -> None:
    data = resources.files("frontdesk.security.auth") / "data" / "common-passwords.txt"
    text = data.read_text(encoding="utf-8")
    entries = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(entries) >= 3000
    assert len(common_passwords()) == len(set(entries))
    assert entries[:2] == ["123456", "password"]  # most common first
    assert text.startswith("#")  # header names the source and its licence
    assert "MIT" in text.split("\n123456\n", 1)[0]


def test_list_is_loaded_once() -> None:
    assert common_passwords() is common_passwords()


@pytest.mark.parametrize("password", ["password", "123456", "qwerty", "Password", "PASSWORD"])
def test_common_passwords_are_refused(password: str) -> None:
    assert is_common_password(password)
    refused(password)


@pytest.mark.parametrize("password", ["Password", "PASSWORD", "iloveyou", "Sunshine", "trustno1"])
def test_common_passwords_long_enough_get_the_common_message(password: str) -> None:
    assert refused(password).detail == TOO_COMMON_DETAIL


def test_common_check_ignores_width_but_is_otherwise_exact() -> None:
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "password")  # U+FF50...
    assert is_common_password(fullwidth)  # NFKC folds width
    assert not is_common_password("password ")  # never trimmed
    assert not is_common_password("passwordzq9")  # no suffix stripping


def test_random_strong_passphrase_passes() -> None:
    check_password_policy(STRONG)
    generated = "-".join(secrets.token_urlsafe(6) for _ in range(4))
    assert not is_common_password(generated)
    check_password_policy(generated)


# --- length rules -------------------------------------------------------------


def test_seven_characters_are_refused() -> None:
    assert MIN_PASSWORD_LENGTH == 8
    assert "12 or more recommended" in refused("Zq7#kLm").detail


def test_eight_characters_are_accepted_when_not_common() -> None:
    check_password_policy("Zq7#kLmw")


def test_long_passwords_are_accepted_up_to_the_byte_cap() -> None:
    check_password_policy("Zq7#kLmw" * 8)  # 64 characters
    check_password_policy("x" * 200)
    check_password_policy("Zq7#" * (MAX_PASSWORD_BYTES // 4))  # exactly 1024 bytes


def test_more_than_1024_bytes_is_refused() -> None:
    assert MAX_PASSWORD_BYTES == 1024
    refused("x" * (MAX_PASSWORD_BYTES + 1))
    refused("é" * 513)  # 513 characters, 1026 bytes


def test_no_truncation() -> None:
    base = "Violet-harbour-tram-1987-quilted-" * 3
    first, second = base[:79] + "A", base[:79] + "B"
    assert len(first) == len(second) == 80
    first_hash = hash_password_sync(first)
    assert verify_password_sync(first_hash, first)
    assert not verify_password_sync(first_hash, second)
    assert not verify_password_sync(hash_password_sync(second), first)


def test_password_is_not_case_folded_when_hashed() -> None:
    hashed = hash_password_sync(STRONG)
    assert not verify_password_sync(hashed, STRONG.lower())


# --- personal data --------------------------------------------------------------


def test_password_equal_to_username_is_refused() -> None:
    error = refused("Front.Desk.Admin", username="front.desk.admin")
    assert error.detail == SAME_AS_IDENTITY_DETAIL


def test_password_equal_to_email_or_its_local_part_is_refused() -> None:
    refused("Alice.Smithson", email="alice.smithson@example.com")
    refused("alice.smithson@example.com", email="Alice.Smithson@Example.com")


def test_username_and_email_are_optional_and_keyword_only() -> None:
    check_password_policy(STRONG, username="someone", email="someone@example.com")
    check_password_policy(STRONG, username=None, email=None)
    with pytest.raises(TypeError):
        check_password_policy(STRONG, "someone")  # type: ignore[call-arg]


def test_password_containing_the_username_is_not_refused_for_that() -> None:
    check_password_policy("front.desk.admin-Violet-harbour", username="front.desk.admin")


# --- Argon2id parameters -------------------------------------------------------


def test_hasher_produces_argon2id_with_asvs_parameters() -> None:
    assert hash_password_sync(STRONG).startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert HASHER.type is argon2.Type.ID


def test_needs_rehash_for_weaker_parameters_only() -> None:
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    assert needs_rehash(weak.hash(STRONG))
    assert not needs_rehash(hash_password_sync(STRONG))


async def test_async_hash_and_verify() -> None:
    hashed = await hash_password(STRONG)
    assert await verify_password(hashed, STRONG)
    assert not await verify_password(hashed, STRONG + "x")
    assert not await verify_password("not-a-hash", STRONG)
