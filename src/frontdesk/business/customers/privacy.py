"""What the system holds about a person, and erasing it (SECURITY.md 25).

Export walks the schema rather than a hand-kept list: every table with a foreign key to
``customers`` contributes the rows that point at the profile, so a table added later is
exported without anyone remembering to. Erasure pseudonymizes the profile and clears the
free text kept next to it (appointment and booking notes) and deletes the reminder emails
written to the person, sent or pending; bookings, payments, the
loyalty ledger, referrals and audit rows stay, for the accounts and the chain, without
the person. The referral code goes too (a code points at a person), and
``customer.erased`` tells the rewards layer to forget its marketing data.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, Table, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.scheduling import reminders
from frontdesk.core.db import Base
from frontdesk.core.errors import NotFoundError
from frontdesk.core.events import DomainEvent, bus
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit
from frontdesk.security.auth.sessions import end_user_sessions

# Free-text columns next to a customer's rows that may hold personal details.
FREE_TEXT_COLUMNS = ("notes",)
MAX_EXPORT_ROWS_PER_TABLE = 10_000
CUSTOMER_ERASED = "customer.erased"


@cache
def _tables_pointing_at_customers() -> list[tuple[Table, list[str]]]:
    """(table, its columns that reference customers.id), in a stable order; read from
    the complete metadata once (the app imports every domain's models at start-up)."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [
            fk.parent.name
            for fk in table.foreign_keys
            if fk.column.table.name == Customer.__tablename__ and table.name != "customers"
        ]
        if columns:
            found.append((table, sorted(set(columns))))
    return found


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, Any]:
    """The profile and every row that points at it, table by table, as plain values."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError("No such customer.")
    profile = {column.name: getattr(customer, column.key) for column in Customer.__table__.c}
    related: dict[str, list[dict[str, Any]]] = {}
    for table, columns in _tables_pointing_at_customers():
        points_here = or_(*(table.c[name] == customer_id for name in columns))
        query = select(table).where(points_here).limit(MAX_EXPORT_ROWS_PER_TABLE)
        rows = (await session.execute(query)).mappings().all()
        if rows:
            related[table.name] = [dict(row) for row in rows]
    return {"customer": profile, "related": related}


def _pseudonym(customer_id: uuid.UUID) -> str:
    return f"Erased customer {customer_id.hex[-8:]}"


async def erase(
    session: AsyncSession,
    customer_id: uuid.UUID,
    *,
    now: datetime,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> Customer:
    """Pseudonymize the profile; end the owning account's sessions if this was its last
    profile. Idempotent: erasing an erased profile changes nothing more."""
    await audit.lock_chain(session)  # the chain before the customer row: one lock order
    customer = await session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        raise NotFoundError("No such customer.")
    if customer.anonymized_at is not None:
        return customer
    customer.name = _pseudonym(customer.id)
    customer.search_name = customer.name.casefold()
    customer.contact_info = {}
    customer.preferences = {}
    customer.tags = []
    customer.notes = None
    customer.email_normalized = None
    customer.phone_normalized = None
    customer.referral_code = None
    customer.anonymized_at = now
    cleared = await _clear_free_text(session, customer.id)
    if emails := await reminders.forget_customer(session, customer.id):
        cleared["outbox_messages"] = emails
    sessions_ended = 0
    if customer.user_id is not None and not await _other_live_profiles(session, customer):
        sessions_ended = await end_user_sessions(
            session,
            customer.user_id,
            status="revoked",
            reason="customer_erased",
            now=now,
            meta=meta,
        )
    await session.flush()
    await audit.record(
        session,
        action="customer.erase",
        success=True,
        actor_id=actor_id,
        resource=f"customer:{customer.id}",
        details={"cleared_rows": cleared, "sessions_ended": sessions_ended},
        meta=meta,
    )
    # Last, in the same transaction: a handler's failure undoes the erasure with it.
    payload = {"customer_id": customer.id, "actor_id": actor_id}
    await bus.publish(session, DomainEvent(CUSTOMER_ERASED, payload))
    return customer


async def _clear_free_text(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, int]:
    cleared: dict[str, int] = {}
    for table, columns in _tables_pointing_at_customers():
        for name in FREE_TEXT_COLUMNS:
            if name not in table.c:
                continue
            for column in columns:
                result = await session.execute(
                    update(table)
                    .where(table.c[column] == customer_id, table.c[name].is_not(None))
                    .values({name: None})
                )
                count = cast(CursorResult[Any], result).rowcount
                if count:
                    cleared[table.name] = cleared.get(table.name, 0) + count
    return cleared


async def _other_live_profiles(session: AsyncSession, customer: Customer) -> bool:
    count = await session.scalar(
        select(func.count())
        .select_from(Customer)
        .where(
            Customer.user_id == customer.user_id,
            Customer.id != customer.id,
            Customer.anonymized_at.is_(None),
        )
    )
    return bool(count)
