"""Referral codes: every new profile gets a unique one, however it is created, and a
typed code is read the way people type it."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.customers import referral_codes
from frontdesk.business.customers.models import Customer
from frontdesk.business.customers.referral_codes import ALPHABET, LENGTH
from tests.rewards.referrals.conftest import API, new_customer
from tests.security.accounts import STRONG_PASSWORD
from tests.security.audit.callers import Caller

codes = st.text(alphabet=ALPHABET, min_size=LENGTH, max_size=LENGTH)
# The look-alikes people type for 1 and 0 (Crockford's decoding rule).
TYPED_AS = {"1": "1IiLl", "0": "0Oo"}


def test_a_new_code_is_ten_characters_of_crockford_base32() -> None:
    drawn = {referral_codes.new_code() for _ in range(200)}
    assert len(drawn) == 200  # 50 random bits: no repeats in a small draw
    assert all(referral_codes.is_well_formed(code) for code in drawn)
    assert not set("ILOU") & set("".join(drawn))


@given(
    code=codes,
    lower=st.lists(st.booleans(), min_size=LENGTH, max_size=LENGTH),
    look_alike=st.lists(st.integers(0, 4), min_size=LENGTH, max_size=LENGTH),
    separators=st.lists(st.sampled_from(["", "", "-", " ", " - "]), min_size=LENGTH),
)
def test_any_way_of_typing_a_code_reads_as_the_code(
    code: str, lower: list[bool], look_alike: list[int], separators: list[str]
) -> None:
    typed = ""
    for i, char in enumerate(code):
        variants = TYPED_AS.get(char, char + char.lower())
        shown = variants[look_alike[i] % len(variants)]
        typed += (shown.lower() if lower[i] else shown) + separators[i]
    assert referral_codes.normalize(f"  {typed}  ") == code


@given(st.text(max_size=40))
def test_only_ten_alphabet_characters_are_well_formed(typed: str) -> None:
    normalized = referral_codes.normalize(typed)
    expected = len(normalized) == LENGTH and set(normalized) <= set(ALPHABET)
    assert referral_codes.is_well_formed(normalized) is expected


async def test_every_way_of_creating_a_profile_gives_it_a_code(
    app: FastAPI,
    client: httpx.AsyncClient,
    desk: Caller,
    account: Caller,
    db: async_sessionmaker[AsyncSession],
) -> None:
    by_desk = await new_customer(client, desk, "Ada")
    own = await client.post(f"{API}/me/customers", headers=account.headers, json={"name": "Bo"})
    assert own.status_code == 201, own.text
    registered = await client.post(
        f"{API}/auth/register",
        json={
            "username": "carla",
            "email": "carla@example.com",
            "password": STRONG_PASSWORD,
            "name": "Carla",
        },
    )
    assert registered.status_code == 201, registered.text
    async with db() as session:
        stored = list(await session.scalars(select(Customer.referral_code)))
    assert len(stored) == len(set(stored)) == 3
    assert all(code is not None and referral_codes.is_well_formed(code) for code in stored)
    assert by_desk["referral_code"] in stored
    assert own.json()["referral_code"] in stored
