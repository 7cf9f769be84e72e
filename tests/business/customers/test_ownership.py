"""A customer account reaches its own profiles only; other ids look like missing ones."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.customers.ownership import get_owned_customer, only_owned
from frontdesk.business.customers.service import create_profile
from frontdesk.core.errors import NotFoundError
from frontdesk.security.auth.deps import Account, Principal
from tests import factories


def _principal(user_id: uuid.UUID) -> Principal:
    account = Account(
        id=user_id, username="u", email="u@example.com", is_active=True, is_customer=True,
        email_verified_at=None, last_login_at=None, created_at=factories.NINE,
    )  # fmt: skip
    return Principal(
        user_id=user_id, username="u", is_customer=True, session_pk=uuid.uuid4(),
        session_id="s", account=account,
    )  # fmt: skip


async def test_owners_reach_their_household_and_nothing_else(session: AsyncSession) -> None:
    parent = await factories.user(session, "parent")
    stranger = await factories.user(session, "stranger")
    me = await create_profile(session, name="Parent", owner_id=parent.id)
    child = await create_profile(session, name="Child", owner_id=parent.id)
    other = await create_profile(session, name="Other", owner_id=stranger.id)
    walk_in = await create_profile(session, name="Walk-in", owner_id=None)
    principal = _principal(parent.id)

    assert (await get_owned_customer(session, principal, child.id)).name == "Child"
    for foreign in (other.id, walk_in.id, uuid.uuid4()):
        with pytest.raises(NotFoundError) as refused:
            await get_owned_customer(session, principal, foreign)
        assert refused.value.status_code == 404

    visible = await session.scalars(only_owned(select(Customer), Customer.id, principal))
    assert {row.id for row in visible} == {me.id, child.id}


async def test_the_same_404_for_someone_elses_and_a_missing_id(session: AsyncSession) -> None:
    owner = await factories.user(session, "owner")
    intruder = await factories.user(session, "intruder")
    profile = await create_profile(session, name="Private", owner_id=owner.id)
    principal = _principal(intruder.id)
    with pytest.raises(NotFoundError) as someone_elses:
        await get_owned_customer(session, principal, profile.id)
    with pytest.raises(NotFoundError) as missing:
        await get_owned_customer(session, principal, uuid.uuid4())
    assert someone_elses.value.detail == missing.value.detail
