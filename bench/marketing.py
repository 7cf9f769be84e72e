"""The data of the `me_ads` scenario: 100,000 customers and their appointments inserted by
PostgreSQL itself, 100 active ads with varied audiences made through the API, and the
signed-in customer whose ads are fetched.

The crowd is there so the tables the request reads are of a realistic size: it never
changes what the benchmark customer is shown. That customer (`bench-ads-customer`,
registered through the API like any customer) consents to marketing, is tagged `vip`,
holds 100 points through a desk adjustment, and has three completed visits of the bench
service and one confirmed appointment ahead; 70 of the 100 ads are for them (see
`AUDIENCES`), more than a page of 10, so every request chooses among all 70.
"""

from __future__ import annotations

import asyncio
import time as clock
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

import database
from commerce import Api
from common import BenchError, say

CROWD = 100_000
ADS = 100
PAGE = 10  # the request's default page of ads
CUSTOMER = "bench-ads-customer"
CUSTOMER_POINTS = 100
HTTP_TIMEOUT_S = 10.0
# Per ten ads: (how many, the audience with {service}/{since} filled in, for the customer?).
AUDIENCES: tuple[tuple[int, dict[str, Any], bool], ...] = (
    (2, {}, True),
    (2, {"tags": ["vip"]}, True),
    (1, {"tags": ["gold"]}, False),
    (1, {"min_points": 50}, True),
    (1, {"min_points": 1000}, False),
    (1, {"services_booked": ["{service}"]}, True),
    (1, {"last_visit_after": "{since}", "has_upcoming_appointment": True}, True),
    (1, {"tags": ["vip"], "has_upcoming_appointment": False}, False),
)
FOR_CUSTOMER = ADS // 10 * sum(count for count, _, ok in AUDIENCES if ok)

# $1 how many, $2 the bench service, $3 its staff member (bench-user), $4 when the
# appointments end. Customers: two in three consent; tags, points (with their opening
# ledger row, so balances still equal the ledger) and every other one a completed visit,
# two hours apart going back from $4 (never overlapping: one staff member).
CROWD_SQL = """
WITH made AS (
    INSERT INTO customers (id, name, contact_info, preferences, loyalty_points, tags,
                           search_name, created_at, updated_at)
    SELECT gen_random_uuid(), 'bench-ads crowd ' || g, '{}'::jsonb,
           jsonb_build_object('marketing', g % 3 <> 0),
           (g * 37) % 500,
           (ARRAY['["vip"]', '["gold"]', '["vip", "gold"]', '[]', '["new"]'])[1 + g % 5]::jsonb,
           'bench-ads crowd ' || g, now(), now()
    FROM generate_series(1, $1::int) AS g
    RETURNING id, loyalty_points
), opened AS (
    INSERT INTO loyalty_transactions (id, customer_id, points, reason, balance_after, note,
                                      created_at)
    SELECT gen_random_uuid(), id, loyalty_points, 'adjustment', loyalty_points,
           'bench opening balance', now()
    FROM made WHERE loyalty_points > 0
)
INSERT INTO appointments (id, user_id, customer_id, service_id, appointment_date, ends_at,
                          blocked_from, blocked_until, status, created_at, updated_at)
SELECT gen_random_uuid(), $3, id, $2, starts, starts + interval '45 minutes', starts,
       starts + interval '45 minutes', 'completed', now(), now()
FROM (
    SELECT id, $4::timestamptz - make_interval(hours => n::int) AS starts
    FROM (SELECT id, row_number() OVER () AS n FROM made) AS numbered
    WHERE n % 2 = 0
) AS visits
"""
CROWD_COUNT_SQL = "SELECT count(*) FROM customers WHERE name LIKE 'bench-ads crowd %'"
# The customer's own visits: $1 customer, $2 service, $3 staff, $4 the starts, $5 statuses.
VISITS_SQL = """
INSERT INTO appointments (id, user_id, customer_id, service_id, appointment_date, ends_at,
                          blocked_from, blocked_until, status, created_at, updated_at)
SELECT gen_random_uuid(), $3, $1, $2, starts, starts + interval '45 minutes', starts,
       starts + interval '45 minutes', status, now(), now()
FROM unnest($4::timestamptz[], $5::text[]) AS visit (starts, status)
"""
STAFF_SQL = "SELECT id FROM users WHERE username = $1"


@dataclass(frozen=True)
class AdsCustomer:
    """The signed-in customer the scenario fetches ads for."""

    customer_id: uuid.UUID
    headers: Mapping[str, str]


def _call(method: str, url: str, **kwargs: Any) -> Any:
    try:
        response = httpx.request(method, url, timeout=HTTP_TIMEOUT_S, **kwargs)
    except httpx.HTTPError as exc:
        raise BenchError(f"{method} {url} failed: {type(exc).__name__}: {exc}") from exc
    if not response.is_success:
        raise BenchError(f"{method} {url}: HTTP {response.status_code} {response.text}")
    return response.json()


def _service(api: Api) -> uuid.UUID:
    made = api.post(
        "/api/v1/services", {"name": "bench-ads service", "duration_minutes": 45, "price": "30"}
    )
    return uuid.UUID(made["id"])


async def _fill(
    url: str, service_id: uuid.UUID, staff: str, ends: datetime
) -> tuple[uuid.UUID, int]:
    conn = await database.connect(url)
    try:
        staff_id = await conn.fetchval(STAFF_SQL, staff)
        if staff_id is None:
            raise BenchError(f"no user {staff} to hold the bench-ads appointments")
        if not await conn.fetchval(CROWD_COUNT_SQL):
            started = clock.monotonic()
            await conn.execute(CROWD_SQL, CROWD, service_id, staff_id, ends)
            say(f"me_ads: {CROWD:,} customers inserted ({clock.monotonic() - started:.1f} s)")
        return staff_id, int(await conn.fetchval(CROWD_COUNT_SQL))
    finally:
        await conn.close()


async def _visits(
    url: str, customer_id: uuid.UUID, service_id: uuid.UUID, staff_id: uuid.UUID, now: datetime
) -> None:
    starts = [now - timedelta(days=days) for days in (30, 60, 90)] + [now + timedelta(days=30)]
    statuses = ["completed"] * 3 + ["confirmed"]
    conn = await database.connect(url)
    try:
        await conn.execute(VISITS_SQL, customer_id, service_id, staff_id, starts, statuses)
    finally:
        await conn.close()


def _customer(api: Api, base_url: str, password: str) -> AdsCustomer:
    """Register the customer, sign in, opt in to marketing; the desk tags them and
    adjusts their points."""
    _call(
        "POST",
        f"{base_url}/api/v1/auth/register",
        json={
            "username": CUSTOMER,
            "email": f"{CUSTOMER}@example.com",
            "password": password,
            "name": "Bench Ads Customer",
        },
    )
    token = _call(
        "POST",
        f"{base_url}/api/v1/auth/login",
        json={"identifier": CUSTOMER, "password": password},
    )["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    (profile,) = _call("GET", f"{base_url}/api/v1/me/customers", headers=headers)
    customer_id = profile["id"]
    _call(
        "PATCH",
        f"{base_url}/api/v1/me/customers/{customer_id}",
        headers=headers,
        json={"preferences": {"marketing": True}},
    )
    tags = {"tags": ["vip"]}
    _call("PATCH", f"{base_url}/api/v1/customers/{customer_id}", headers=api.headers, json=tags)
    api.post(
        f"/api/v1/customers/{customer_id}/points/adjustments",
        {"points": CUSTOMER_POINTS, "reason": "bench: points for the audience rules"},
    )
    return AdsCustomer(uuid.UUID(customer_id), headers)


def _filled(value: Any, service_id: uuid.UUID, since: str) -> Any:
    if value == ["{service}"]:
        return [str(service_id)]
    return since if value == "{since}" else value


def _ads(api: Api, service_id: uuid.UUID, now: datetime) -> None:
    since = (now - timedelta(days=400)).isoformat()
    number = 0
    for _ in range(ADS // 10):
        for count, audience, _for_customer in AUDIENCES:
            for _ in range(count):
                number += 1
                rule = {key: _filled(value, service_id, since) for key, value in audience.items()}
                api.post(
                    "/api/v1/admin/ads",
                    {
                        "title": f"bench ad {number:03}",
                        "content": "Everything you need, at the desk or online.",
                        "link_url": "https://example.com/bench",
                        "target_audience": rule,
                        "starts_at": (now - timedelta(days=1)).isoformat(),
                    },
                )


def _check_shown(base_url: str, customer: AdsCustomer) -> None:
    """One request before the load: a full page, and exactly FOR_CUSTOMER ads are for
    the customer."""
    url = f"{base_url}/api/v1/me/ads"
    page = _call("GET", url, headers=customer.headers)["items"]
    every = _call("GET", url, headers=customer.headers, params={"limit": 50})["items"]
    if len(page) != PAGE or len(every) != min(50, FOR_CUSTOMER):
        raise BenchError(f"GET {url} shows {len(page)} (page) and {len(every)} (up to 50) ads")


def prepare(api: Api, base_url: str, database_url: str, password: str, staff: str) -> AdsCustomer:
    """Everything the scenario needs, once per bench database; the customer's headers."""
    now = datetime.now(UTC)
    service_id = _service(api)
    say(f"me_ads: inserting {CROWD:,} customers and their visits")
    # The crowd's visits end three years ago: clear of the customer's own, all recent.
    crowd_ends = now - timedelta(days=3 * 365)
    staff_id, crowd = asyncio.run(_fill(database_url, service_id, staff, crowd_ends))
    customer = _customer(api, base_url, password)
    asyncio.run(_visits(database_url, customer.customer_id, service_id, staff_id, now))
    say(f"me_ads: creating {ADS} ads, {FOR_CUSTOMER} of them for {CUSTOMER}")
    _ads(api, service_id, now)
    _check_shown(base_url, customer)
    say(f"me_ads: {crowd:,} other customers; {CUSTOMER} is shown {PAGE} of {FOR_CUSTOMER} ads")
    return customer
