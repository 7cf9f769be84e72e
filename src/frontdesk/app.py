"""The ASGI application: routers, middleware and error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

import frontdesk.catalog  # noqa: F401  (every table, permission and constraint mapping)
from frontdesk import __version__
from frontdesk.business.customers import service as customers_service
from frontdesk.business.customers.me_router import router as own_customers_router
from frontdesk.business.customers.router import router as customers_router
from frontdesk.business.inventory.router import router as products_router
from frontdesk.business.orders.router import router as bookings_router
from frontdesk.business.orders.sales_router import router as sales_router
from frontdesk.business.payments.router import router as payments_router
from frontdesk.business.scheduling.router import router as services_router
from frontdesk.business.settings.router import router as business_settings_router
from frontdesk.core import health
from frontdesk.core.config import Settings, get_settings
from frontdesk.core.db import autocommit_reader, create_engine, create_sessionmaker
from frontdesk.core.events import bus
from frontdesk.core.fastsql import release_warm_connections
from frontdesk.core.handlers import install_exception_handlers
from frontdesk.core.logging import configure_logging
from frontdesk.core.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from frontdesk.core.openapi import install_openapi
from frontdesk.core.outbox import OutboxDispatcher, sender_from_settings
from frontdesk.core.ratelimit import limiter_from_settings
from frontdesk.meta import router as meta_router
from frontdesk.rewards.ads import handlers as ads_handlers
from frontdesk.rewards.ads.router import me_router as own_ads_router
from frontdesk.rewards.ads.router import router as ads_router
from frontdesk.rewards.catalogue import handlers as catalogue_handlers
from frontdesk.rewards.catalogue.router import me_router as own_rewards_router
from frontdesk.rewards.catalogue.router import router as rewards_router
from frontdesk.rewards.loyalty import earning as loyalty_earning
from frontdesk.rewards.loyalty import points_payments
from frontdesk.rewards.loyalty.router import router as loyalty_router
from frontdesk.rewards.offers import handlers as offers_handlers
from frontdesk.rewards.offers.router import me_router as own_offers_router
from frontdesk.rewards.offers.router import router as offers_router
from frontdesk.rewards.referrals import handlers as referrals_handlers
from frontdesk.rewards.referrals.router import me_router as own_referrals_router
from frontdesk.rewards.referrals.router import router as referrals_router
from frontdesk.security.audit.router import router as audit_router
from frontdesk.security.auth import throttle
from frontdesk.security.auth.admin_router import router as admin_accounts_router
from frontdesk.security.auth.deps import SessionReader
from frontdesk.security.auth.router import router as auth_router
from frontdesk.security.auth.tokens import VerifiedTokenCache
from frontdesk.security.rbac.deps import PermissionReader
from frontdesk.security.rbac.router import router as rbac_admin_router

API_PREFIX = "/api/v1"

log = logging.getLogger("frontdesk")


API_ROUTERS: tuple[APIRouter, ...] = (
    meta_router,
    auth_router,
    admin_accounts_router,
    rbac_admin_router,
    audit_router,
    business_settings_router,
    services_router,
    customers_router,
    own_customers_router,
    bookings_router,
    payments_router,
    sales_router,
    products_router,
    loyalty_router,
    rewards_router,
    own_rewards_router,
    referrals_router,
    own_referrals_router,
    offers_router,
    own_offers_router,
    ads_router,
    own_ads_router,
)


def _subscribe_event_handlers() -> None:
    """Higher layers react to lower layers' events; subscribing twice is harmless."""
    customers_service.subscribe(bus)
    loyalty_earning.subscribe(bus)
    catalogue_handlers.subscribe(bus)
    referrals_handlers.subscribe(bus)
    offers_handlers.subscribe(bus)
    ads_handlers.subscribe(bus)
    points_payments.register()


MAX_LOGIN_FAILURES_PER_HOUR = 100  # SECURITY.md 6


def _check_throttle_settings(settings: Settings) -> None:
    bound = throttle.max_failures_per_hour(settings)
    if bound > MAX_LOGIN_FAILURES_PER_HOUR:
        raise ValueError(
            f"The login throttling settings allow up to {bound} failures per hour per "
            f"account; at most {MAX_LOGIN_FAILURES_PER_HOUR} are allowed. Raise "
            "FRONTDESK_LOGIN_WAIT_INCREMENT_SECONDS or lower FRONTDESK_LOGIN_MAX_FAILURES."
        )


def create_app(settings: Settings | None = None, *, engine: AsyncEngine | None = None) -> FastAPI:
    """Build the app. Pass ``engine`` to share one (tests); otherwise the app owns its own."""
    settings = settings or get_settings()
    _check_throttle_settings(settings)
    configure_logging(json_lines=settings.is_production, level=settings.log_level)
    owns_engine = engine is None
    if engine is None:
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    rate_limiter = limiter_from_settings(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        log.info("frontdesk %s serving (%s)", __version__, settings.environment.value)
        outbox: OutboxDispatcher = _app.state.outbox
        outbox.start()
        yield
        await outbox.close()
        await rate_limiter.close()
        if owns_engine:
            await release_warm_connections(engine)
            await engine.dispose()

    app = FastAPI(
        title="frontdesk",
        version=__version__,
        description="The back office of an appointment-based business.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = autocommit_reader(engine)
    app.state.token_cache = VerifiedTokenCache()
    app.state.session_reader = SessionReader(engine)
    app.state.permission_reader = PermissionReader(engine)
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_sessionmaker = create_sessionmaker(app.state.read_engine)
    app.state.outbox = OutboxDispatcher(app.state.sessionmaker, sender_from_settings(settings))
    app.state.rate_limiter = rate_limiter

    _subscribe_event_handlers()
    app.include_router(health.router)
    # Straight onto the app, not through an /api/v1 router: every level of nesting is
    # one more walk over candidates when a request is routed.
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    install_exception_handlers(app)
    install_openapi(app)
    # Added last = outermost: the request id and the last-resort 500 wrap everything.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    return app
