"""Everything frontdesk declares: every table (so ``Base.metadata`` is complete) and
every permission (so the registry is complete).

Alembic, the CLI and the schema tests use this; application code imports its own domain.
"""

from __future__ import annotations

from frontdesk.business.customers import models as customers
from frontdesk.business.customers import permissions as _customers_permissions
from frontdesk.business.inventory import models as inventory
from frontdesk.business.inventory import permissions as _inventory_permissions
from frontdesk.business.inventory import service as _inventory_service
from frontdesk.business.inventory import stock as _inventory_stock
from frontdesk.business.orders import models as orders
from frontdesk.business.orders import permissions as _orders_permissions
from frontdesk.business.payments import models as payments
from frontdesk.business.payments import permissions as _payments_permissions
from frontdesk.business.scheduling import models as scheduling
from frontdesk.business.scheduling import overlap as _scheduling_overlap
from frontdesk.business.scheduling import permissions as _scheduling_permissions
from frontdesk.business.settings import models as business_settings
from frontdesk.core import idempotency, outbox_models
from frontdesk.core.db import Base
from frontdesk.core.permissions import REGISTRY as PERMISSIONS
from frontdesk.rewards.ads import models as ads
from frontdesk.rewards.ads import permissions as _ads_permissions
from frontdesk.rewards.catalogue import models as catalogue
from frontdesk.rewards.catalogue import permissions as _catalogue_permissions
from frontdesk.rewards.catalogue import vouchers as _catalogue_vouchers
from frontdesk.rewards.loyalty import ledger as _loyalty_ledger
from frontdesk.rewards.loyalty import models as loyalty
from frontdesk.rewards.loyalty import permissions as _loyalty_permissions
from frontdesk.rewards.offers import errors as _offers_errors
from frontdesk.rewards.offers import models as offers
from frontdesk.rewards.offers import permissions as _offers_permissions
from frontdesk.rewards.referrals import models as referrals
from frontdesk.rewards.referrals import permissions as _referrals_permissions
from frontdesk.rewards.referrals import service as _referrals_service
from frontdesk.security.audit import models as audit
from frontdesk.security.audit import permissions as _audit_permissions
from frontdesk.security.auth import models as auth
from frontdesk.security.auth import permissions as _auth_permissions
from frontdesk.security.rbac import models as rbac
from frontdesk.security.rbac import permissions as _rbac_permissions

DOMAIN_MODULES = (
    auth,
    audit,
    rbac,
    customers,
    scheduling,
    business_settings,
    inventory,
    orders,
    payments,
    loyalty,
    catalogue,
    referrals,
    offers,
    ads,
    idempotency,
    outbox_models,
)
metadata = Base.metadata

# Modules that map database constraints to problems (imported for that effect).
CONSTRAINT_MODULES = (
    _scheduling_overlap,
    _inventory_service,
    _inventory_stock,
    _loyalty_ledger,
    _referrals_service,
    _offers_errors,
    _catalogue_vouchers,
)

PERMISSION_MODULES = (
    _auth_permissions,
    _audit_permissions,
    _rbac_permissions,
    _customers_permissions,
    _scheduling_permissions,
    _inventory_permissions,
    _orders_permissions,
    _payments_permissions,
    _loyalty_permissions,
    _catalogue_permissions,
    _referrals_permissions,
    _offers_permissions,
    _ads_permissions,
)

__all__ = ["CONSTRAINT_MODULES", "DOMAIN_MODULES", "PERMISSIONS", "PERMISSION_MODULES", "metadata"]
