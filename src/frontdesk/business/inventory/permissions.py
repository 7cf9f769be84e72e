"""Permissions owned by products and stock."""

from frontdesk.core.permissions import declare

PRODUCTS_READ = declare("products", "read", "View products and stock")
PRODUCTS_MANAGE = declare("products", "manage", "Create and change products")
INVENTORY_ADJUST = declare("inventory", "adjust", "Restock and adjust stock")
