"""Marketing consent: who may be shown ads and sent offer emails.

Opt-in only: a customer consents when their ``preferences`` hold ``"marketing": true``
(the JSON ``true`` itself; absent, ``false``, ``1`` or ``"yes"`` all mean no), and their
profile is not erased (erasure clears the preferences anyway; the second condition keeps
an erased profile out even if someone wrote to it afterwards). The same rule twice: in
SQL, to select everyone who consents, and in Python, for one loaded profile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_

from frontdesk.business.customers.models import Customer
from frontdesk.rewards.marketing.json_sql import is_json_true

CONSENT_KEY = "marketing"


def marketing_consent() -> ColumnElement[bool]:
    """SQL over ``customers``: the profile has opted in and is not erased."""
    return and_(is_json_true(Customer.preferences, CONSENT_KEY), Customer.anonymized_at.is_(None))


class Consenting(Protocol):
    """What :func:`allows_marketing` reads (a ``Customer``, or a row of those columns)."""

    @property
    def preferences(self) -> Any: ...
    @property
    def anonymized_at(self) -> datetime | None: ...


def allows_marketing(customer: Consenting) -> bool:
    """The same rule for one loaded profile."""
    preferences = customer.preferences
    return (
        isinstance(preferences, dict)
        and preferences.get(CONSENT_KEY) is True
        and customer.anonymized_at is None
    )
