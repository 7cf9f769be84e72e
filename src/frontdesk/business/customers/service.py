"""Customer profiles: create, change, search; folded copies keep search indexed.

Every new profile gets a referral code and is announced as ``customer.created`` (in the
same transaction), carrying the referrer when a code was used: the rewards layer opens
the referral, and an error there undoes the whole creation.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.business.customers import referral_codes
from frontdesk.business.customers.models import Customer
from frontdesk.core import events
from frontdesk.core.events import DomainEvent, EventBus
from frontdesk.core.request_context import RequestMeta
from frontdesk.security.audit import service as audit

CUSTOMER_CREATED = "customer.created"


def _fold(value: str | None) -> str | None:
    return value.casefold().strip() if value else None


def _digits(phone: str | None) -> str | None:
    if not phone:
        return None
    kept = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    return kept or None


def _contact(email: str | None, phone: str | None) -> dict[str, Any]:
    return {key: value for key, value in (("email", email), ("phone", phone)) if value}


async def create_profile(
    session: AsyncSession,
    *,
    name: str,
    owner_id: uuid.UUID | None,
    email: str | None = None,
    phone: str | None = None,
    tags: list[str] | None = None,
    notes: str | None = None,
    preferences: dict[str, Any] | None = None,
    referred_by: str | None = None,
    referral_path: str = "body.referred_by",
    actor_id: uuid.UUID | None = None,
) -> Customer:
    """A new profile of the account ``owner_id`` (None: a desk customer), with its own
    referral code. ``referred_by`` is another customer's code (422 problems at
    ``referral_path`` when unknown or the household's own), checked before anything is
    written."""
    referrer = None
    if referred_by is not None:
        referrer = await referral_codes.find_referrer(
            session, referred_by, path=referral_path, owner_id=owner_id
        )
    customer = Customer(
        user_id=owner_id,
        name=name.strip(),
        search_name=name.casefold().strip(),
        contact_info=_contact(email, phone),
        preferences=preferences or {},
        tags=tags or [],
        notes=notes,
        email_normalized=_fold(email),
        phone_normalized=_digits(phone),
        referral_code=referral_codes.new_code(),
    )
    session.add(customer)
    await session.flush()
    payload = {
        "customer_id": customer.id,
        "user_id": owner_id,
        "referral_code_used": referrer.referral_code if referrer else None,
        "referrer_id": referrer.id if referrer else None,
        "actor_id": actor_id,
    }
    await events.bus.publish(session, DomainEvent(CUSTOMER_CREATED, payload))
    return customer


def snapshot(customer: Customer) -> dict[str, Any]:
    """The fields a change can touch, as the API shows them (for before/after audits)."""
    contact = customer.contact_info or {}
    return {
        "name": customer.name,
        "email": contact.get("email"),
        "phone": contact.get("phone"),
        "tags": list(customer.tags or []),
        "notes": customer.notes,
        "preferences": dict(customer.preferences or {}),
    }


def apply_changes(customer: Customer, changes: dict[str, Any]) -> None:
    """Apply validated ``changes`` and refresh the folded search copies."""
    current = snapshot(customer)
    merged = {**current, **changes}
    customer.name = merged["name"].strip()
    customer.search_name = customer.name.casefold()
    customer.contact_info = _contact(merged["email"], merged["phone"])
    customer.email_normalized = _fold(merged["email"])
    customer.phone_normalized = _digits(merged["phone"])
    customer.tags = merged["tags"]
    customer.notes = merged["notes"]
    customer.preferences = merged["preferences"]


async def update_profile(
    session: AsyncSession,
    customer: Customer,
    changes: dict[str, Any],
    *,
    actor_id: uuid.UUID,
    meta: RequestMeta,
    self_service: bool = False,
) -> None:
    """Apply ``changes`` and audit them by field name only: the values are personal
    data, and the audit log outlives erasure."""
    await audit.lock_chain(session)  # before the row lock the flush takes: one lock order
    before = snapshot(customer)
    apply_changes(customer, changes)
    await session.flush()
    changed = sorted(audit.changed_fields(before, snapshot(customer))["after"])
    details: dict[str, Any] = {"changed": changed}
    if self_service:
        details["self_service"] = True
    await audit.record(
        session,
        action="customer.update",
        success=True,
        actor_id=actor_id,
        resource=f"customer:{customer.id}",
        details=details,
        meta=meta,
    )


def _prefix(text: str) -> str:
    """A LIKE prefix pattern; the caller's % and _ match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def search(query: str | None, *, include_erased: bool = False) -> Select[Any]:
    """Profiles whose name, email or phone starts with ``query`` (case-insensitive; the
    phone compared by its digits), over the folded, indexed columns."""
    statement = select(Customer)
    if not include_erased:
        statement = statement.where(Customer.anonymized_at.is_(None))
    if query:
        folded = query.casefold().strip()
        matches = [
            Customer.search_name.like(_prefix(folded), escape="\\"),
            Customer.email_normalized.like(_prefix(folded), escape="\\"),
        ]
        digits = _digits(query)
        if digits and len(digits.lstrip("+")) >= 3:
            matches.append(Customer.phone_normalized.like(_prefix(digits), escape="\\"))
        statement = statement.where(or_(*matches))
    return statement


async def on_user_registered(session: AsyncSession, event: DomainEvent) -> None:
    """A new self-service account gets its first profile: the person who registered,
    referred by the code given at registration, if any."""
    payload = event.payload
    await create_profile(
        session,
        name=payload["name"],
        owner_id=payload["user_id"],
        email=payload.get("email"),
        phone=payload.get("phone"),
        referred_by=payload.get("referral_code"),
        referral_path="body.referral_code",
        actor_id=payload["user_id"],
    )


def subscribe(bus: EventBus) -> None:
    bus.subscribe("user.registered", on_user_registered)
