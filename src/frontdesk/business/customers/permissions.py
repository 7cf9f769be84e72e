"""Permissions owned by customer profiles."""

from frontdesk.core.permissions import declare

CUSTOMERS_READ = declare("customers", "read", "Search and view customer profiles")
CUSTOMERS_CREATE = declare("customers", "create", "Create customer profiles")
CUSTOMERS_UPDATE = declare("customers", "update", "Change customer profiles")
CUSTOMERS_EXPORT = declare("customers", "export", "Export everything held about a customer")
CUSTOMERS_ERASE = declare("customers", "erase", "Pseudonymize a customer's personal data")
