"""Properties of payments (hypothesis, both engines), through the service:

for any sequence of payments (captured or held), captures, voids, failures and refunds,
the outcome of each step is what the rules say, the summary equals an exact Decimal
model of the rows, refunds of a payment never exceed it, and the net never exceeds the
booking's total.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.business.payments import service
from frontdesk.business.payments.models import PaymentTransaction
from frontdesk.business.payments.schemas import PaymentCreate, RefundCreate
from frontdesk.core.db import transaction
from frontdesk.core.errors import AppError
from frontdesk.core.request_context import RequestMeta
from tests.business.payments.conftest import NewBooking
from tests.security.audit.callers import Caller

ZERO = Decimal(0)
# Small against the totals below, so most steps succeed and some run past a limit.
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(60), places=2)
pay = st.tuples(st.just("pay"), amounts, st.booleans())
move = st.tuples(st.just("move"), st.integers(0, 9), st.sampled_from(["capture", "void", "fail"]))
refund_amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(30), places=2)
refund = st.tuples(st.just("refund"), st.integers(0, 9), refund_amounts)


@dataclass
class Modelled:
    amount: Decimal
    status: str
    refunded: Decimal = ZERO


@dataclass
class Model:
    total: Decimal
    payments: list[Modelled]

    def sums(self) -> tuple[Decimal, Decimal, Decimal]:
        """(paid, refunded, held)"""
        paid = sum((p.amount for p in self.payments if p.status == "captured"), ZERO)
        refunded = sum((p.refunded for p in self.payments), ZERO)
        held = sum((p.amount for p in self.payments if p.status == "authorized"), ZERO)
        return paid, refunded, held

    def apply(self, op: tuple[Any, ...]) -> str:
        """What the rules predict: "ok", or the refusal's code."""
        paid, refunded, held = self.sums()
        if op[0] == "pay":
            if op[1] > self.total - (paid - refunded) - held:
                return "amount_exceeds_balance_due"
            self.payments.append(Modelled(op[1], "captured" if op[2] else "authorized"))
            return "ok"
        if not self.payments:
            return "none"
        target = self.payments[op[1] % len(self.payments)]
        if op[0] == "refund":
            if target.status != "captured":
                return "invalid_transition"
            if op[2] > target.amount - target.refunded:
                return "refund_exceeds_captured"
            target.refunded += op[2]
            return "ok"
        if target.status != "authorized":
            return "invalid_transition"
        if op[2] == "capture" and paid - refunded + target.amount > self.total:
            return "amount_exceeds_balance_due"
        target.status = {"capture": "captured", "void": "voided", "fail": "failed"}[op[2]]
        return "ok"


async def _run(
    db: async_sessionmaker[AsyncSession],
    actor: service.Actor,
    booking: uuid.UUID,
    ids: list[uuid.UUID],
    op: tuple[Any, ...],
) -> str:
    try:
        async with transaction(db) as session:
            if op[0] == "pay":
                data = PaymentCreate(
                    amount=op[1], currency="EUR", method="cash" if op[2] else "card",
                    external_reference=None if op[2] else "T-1", capture=op[2],
                )  # fmt: skip
                row = await service.record_payment(
                    session, booking, data, actor=actor, idempotency_key=None
                )
                ids.append(row.id)
            elif op[0] == "refund":
                await service.refund_payment(
                    session, ids[op[1] % len(ids)], RefundCreate(amount=op[2]),
                    actor=actor, idempotency_key=None,
                )  # fmt: skip
            else:
                await service.move_payment(session, ids[op[1] % len(ids)], op[2], actor=actor)
    except AppError as error:
        return error.code
    return "ok"


async def _refunds_never_exceed_payments(db: async_sessionmaker[AsyncSession]) -> None:
    async with db() as session:
        refunds = dict(
            (
                await session.execute(
                    select(PaymentTransaction.refund_of_id, func.sum(PaymentTransaction.amount))
                    .where(PaymentTransaction.kind == "refund")
                    .group_by(PaymentTransaction.refund_of_id)
                )
            ).all()
        )
        for original, refunded in refunds.items():
            payment = await session.get(PaymentTransaction, original)
            assert payment is not None
            assert payment.status == "captured"
            assert refunded <= payment.amount


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    total=st.decimals(min_value=Decimal(1), max_value=Decimal(200), places=2),
    operations=st.tuples(pay, st.lists(st.one_of(pay, move, refund), max_size=12)).map(
        lambda ops: [ops[0], *ops[1]]
    ),
)
async def test_the_summary_is_exact_and_refunds_never_exceed_captures(
    admin: Caller,
    new_booking: NewBooking,
    db: async_sessionmaker[AsyncSession],
    total: Decimal,
    operations: list[tuple[Any, ...]],
) -> None:
    booking = await new_booking(str(total))
    actor = service.Actor(admin.user_id, RequestMeta(None, None, None))
    model, ids = Model(total, []), []
    for op in operations:
        expected = model.apply(op)
        if expected == "none":
            continue
        assert await _run(db, actor, booking, ids, op) == expected, op
        async with db() as session:
            summary = await service.summary(session, booking)
        paid, refunded, held = model.sums()
        assert (summary.paid, summary.refunded, summary.authorized) == (paid, refunded, held)
        assert summary.net == paid - refunded
        assert summary.balance_due == total - (paid - refunded)
        assert ZERO <= summary.net <= total
    await _refunds_never_exceed_payments(db)
