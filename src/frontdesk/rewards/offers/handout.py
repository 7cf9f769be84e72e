"""Handing an offer to customers: named ones, or everyone an audience rule matches.

Each customer gets one ``available`` copy, whatever the number of hand-outs: copies are
inserted with ``ON CONFLICT DO NOTHING`` against the partial unique index on (offer,
customer) where the copy is available, so a second hand-out, or two at once, adds no
duplicate. Erased profiles are never given one, nor customers who have already used the
offer ``max_uses_per_customer`` times. Only an active offer that has not ended and has
uses left can be handed out (409 ``offer_inactive`` / ``offer_expired`` /
``offer_exhausted``); one that has not started yet can, to announce it.

An audience is selected in SQL (``marketing.audience.audience_filter``) in batches of
:data:`BATCH_SIZE` customers in id order, so any number of customers is handed out in
bounded statements, and inserted with the copies' ids made here (UUIDv7, like every id).

With ``notify``, an email about the offer is queued in the outbox, in the same
transaction, for each customer given a new copy who accepts marketing (preferences
``"marketing": true``, not erased) and has an email address. Everyone matched gets the
offer; consent decides only the email.

Lock order: the audit chain, then the offer's row, as for every writer of this package.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers.models import Customer
from frontdesk.business.settings import service as business_settings
from frontdesk.core.db import dialect_insert
from frontdesk.core.errors import ValidationFailedError
from frontdesk.core.ids import new_id
from frontdesk.core.outbox import OutboxDispatcher, enqueue_email
from frontdesk.core.request_context import RequestMeta
from frontdesk.rewards.marketing.audience import (
    AudienceRule,
    audience_filter,
    check_references,
    marketing_consent,
)
from frontdesk.rewards.offers.errors import (
    OfferExhaustedError,
    OfferExpiredError,
    OfferInactiveError,
)
from frontdesk.rewards.offers.models import CustomerOffer, Offer
from frontdesk.rewards.offers.service import get
from frontdesk.security.audit import service as audit

BATCH_SIZE = 500
EMAIL_TEMPLATE = "offer"


@dataclass(frozen=True)
class HandOut:
    matched: int  # live customers named, or matched by the rule
    handed_out: int  # new available copies
    emailed: int


@dataclass(frozen=True)
class Notice:
    """Who writes the emails, and how: None means no email."""

    dispatcher: OutboxDispatcher | None
    zone: ZoneInfo


async def to_customers(
    session: AsyncSession,
    offer_id: uuid.UUID,
    customer_ids: Sequence[uuid.UUID],
    *,
    notify: bool,
    now: datetime,
    actor_id: uuid.UUID,
    meta: RequestMeta,
    dispatcher: OutboxDispatcher | None = None,
) -> HandOut:
    """Hand the offer to the customers named; an unknown id is a 422 and changes nothing."""
    found = set(await session.scalars(select(Customer.id).where(Customer.id.in_(customer_ids))))
    missing = [str(each) for each in customer_ids if each not in found]
    if missing:
        raise ValidationFailedError(
            "Some of those customers do not exist.",
            path="body.customer_ids",
            message=f"unknown customer ids: {', '.join(missing[:20])}",
        )
    offer = await _open_offer(session, offer_id, now)
    named = Customer.id.in_(customer_ids)
    result = await _hand_out(session, offer, named, now, await _notice(session, notify, dispatcher))
    await _audit(session, offer, result, {"customers": len(customer_ids)}, notify, actor_id, meta)
    return result


async def to_audience(
    session: AsyncSession,
    offer_id: uuid.UUID,
    rule: AudienceRule,
    *,
    notify: bool,
    now: datetime,
    actor_id: uuid.UUID,
    meta: RequestMeta,
    dispatcher: OutboxDispatcher | None = None,
) -> HandOut:
    """Hand the offer to every live customer ``rule`` matches at ``now``."""
    await check_references(session, rule, path="body.rule")
    offer = await _open_offer(session, offer_id, now)
    matching = audience_filter(rule, now=now)
    result = await _hand_out(
        session, offer, matching, now, await _notice(session, notify, dispatcher)
    )
    await _audit(session, offer, result, {"rule": rule.stored()}, notify, actor_id, meta)
    return result


async def _open_offer(session: AsyncSession, offer_id: uuid.UUID, now: datetime) -> Offer:
    await audit.lock_chain(session)
    # The offer's row is what a release looks for other available copies under.
    offer = await get(session, offer_id, lock=True)
    if not offer.is_active:
        raise OfferInactiveError("An offer that is not active cannot be handed out.")
    if now >= offer.valid_until:
        raise OfferExpiredError("This offer has ended.", valid_until=offer.valid_until.isoformat())
    if offer.max_uses_total is not None and offer.uses_count >= offer.max_uses_total:
        # Copies nobody could use (until a use is given back): refuse rather than promise.
        raise OfferExhaustedError(
            "This offer has been used as often as it may be.", limit=offer.max_uses_total
        )
    return offer


async def _notice(
    session: AsyncSession, notify: bool, dispatcher: OutboxDispatcher | None
) -> Notice | None:
    if not notify:
        return None
    return Notice(dispatcher, ZoneInfo((await business_settings.get(session)).time_zone))


def _under_limit(offer: Offer) -> ColumnElement[bool]:
    """The customer (of the outer query) may still use the offer."""
    if offer.max_uses_per_customer is None:
        return true()
    used = (
        select(func.count())
        .select_from(CustomerOffer)
        .where(
            CustomerOffer.offer_id == offer.id,
            CustomerOffer.customer_id == Customer.id,
            CustomerOffer.status == "used",
        )
        .scalar_subquery()
    )
    return used < offer.max_uses_per_customer


async def _hand_out(
    session: AsyncSession,
    offer: Offer,
    who: ColumnElement[bool],
    now: datetime,
    notice: Notice | None,
) -> HandOut:
    live = and_(who, Customer.anonymized_at.is_(None))
    eligible = _under_limit(offer).label("eligible")
    matched = handed_out = emailed = 0
    after: uuid.UUID | None = None
    while True:
        page = select(Customer.id, eligible).where(live).order_by(Customer.id).limit(BATCH_SIZE)
        if after is not None:
            page = page.where(Customer.id > after)
        rows = (await session.execute(page)).all()
        if not rows:
            break
        after, matched = rows[-1].id, matched + len(rows)
        given = await _insert(session, offer, [row.id for row in rows if row.eligible], now)
        handed_out += len(given)
        if notice is not None and given:
            emailed += await _email(session, offer, given, notice)
        if len(rows) < BATCH_SIZE:
            break
    return HandOut(matched, handed_out, emailed)


async def _insert(
    session: AsyncSession, offer: Offer, customer_ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, uuid.UUID]:
    """Insert a copy for each customer who has no available one; {customer: copy}."""
    if not customer_ids:
        return {}
    conn = await session.connection()
    rows = [
        {
            "id": new_id(),
            "customer_id": customer_id,
            "offer_id": offer.id,
            "status": "available",
            "created_at": now,
            "updated_at": now,
        }
        for customer_id in customer_ids
    ]
    statement = (
        dialect_insert(conn.dialect.name, CustomerOffer)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(CustomerOffer.customer_id, CustomerOffer.id)
    )
    return {customer_id: copy_id for customer_id, copy_id in await conn.execute(statement)}


async def _email(
    session: AsyncSession, offer: Offer, given: dict[uuid.UUID, uuid.UUID], notice: Notice
) -> int:
    """Queue the offer's email to the customers just given it who accept marketing."""
    consenting = await session.scalars(
        select(Customer)
        .where(Customer.id.in_(list(given)), marketing_consent())
        .order_by(Customer.id)
    )
    queued = 0
    for customer in consenting:
        address = (customer.contact_info or {}).get("email")
        if not isinstance(address, str) or not address:
            continue
        subject, text = compose(offer, customer, notice.zone)
        await enqueue_email(
            session,
            to=address,
            subject=subject,
            text=text,
            meta={
                "template": EMAIL_TEMPLATE,
                "offer_id": str(offer.id),
                "customer_offer_id": str(given[customer.id]),
                "customer_id": str(customer.id),
            },
            dispatcher=notice.dispatcher,
        )
        queued += 1
    return queued


def compose(offer: Offer, customer: Customer, zone: ZoneInfo) -> tuple[str, str]:
    """The offer email's subject and plain-text body, dates in the business time zone."""
    name = " ".join(offer.name.split())  # a header stays one line
    percent = format(offer.discount_percent.normalize(), "f")
    start, end = offer.valid_from.astimezone(zone), offer.valid_until.astimezone(zone)
    subject = f"An offer for you: {name}"
    text = (
        f"Hello {customer.name},\n\n"
        f"{name}: {percent}% off.\n"
        + (f"\n{offer.description}\n" if offer.description else "")
        + f"\nValid from {start:%d %B %Y %H:%M} until {end:%d %B %Y %H:%M} ({zone.key}).\n"
        "Apply it to a booking from your account, or mention it at the desk.\n\n"
        "You receive this because you accept offers by email; turn off marketing in "
        "your profile's preferences to stop them.\n"
    )
    return subject, text


async def _audit(
    session: AsyncSession,
    offer: Offer,
    result: HandOut,
    target: dict[str, object],
    notify: bool,
    actor_id: uuid.UUID,
    meta: RequestMeta,
) -> None:
    await audit.record(
        session,
        action="offer.hand_out",
        success=True,
        actor_id=actor_id,
        resource=f"offer:{offer.id}",
        details={
            **target,
            "notify": notify,
            "matched": result.matched,
            "handed_out": result.handed_out,
            "emailed": result.emailed,
        },
        meta=meta,
    )
