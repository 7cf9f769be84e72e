"""The problems an offer answers with: each names the one rule that refused it."""

from __future__ import annotations

from frontdesk.core.errors import ConflictError, register_code, register_constraint

OFFER_NOT_STARTED = register_code("offer_not_started", 409, "The offer has not started yet")
OFFER_EXPIRED = register_code("offer_expired", 409, "The offer has ended")
OFFER_INACTIVE = register_code("offer_inactive", 409, "The offer is not active")
OFFER_EXHAUSTED = register_code(
    "offer_exhausted", 409, "The offer has been used as often as it may be"
)
OFFER_CUSTOMER_LIMIT = register_code(
    "offer_customer_limit", 409, "The customer has used this offer as often as they may"
)
OFFER_CONDITIONS_NOT_MET = register_code(
    "offer_conditions_not_met", 409, "The booking does not meet the offer's conditions"
)
OFFER_UNAVAILABLE = register_code(
    "offer_unavailable", 409, "This copy of the offer can no longer be used"
)
OFFER_CUSTOMER_MISMATCH = register_code(
    "offer_customer_mismatch", 409, "The offer was handed to another customer"
)
OFFER_TERMS_FIXED = register_code(
    "offer_terms_fixed", 409, "The offer's terms are fixed once it is handed out"
)
OFFER_HANDED_OUT = register_code(
    "offer_handed_out", 409, "The offer has been handed out: deactivate it instead"
)


class OfferNotStartedError(ConflictError):
    error = OFFER_NOT_STARTED


class OfferExpiredError(ConflictError):
    error = OFFER_EXPIRED


class OfferInactiveError(ConflictError):
    error = OFFER_INACTIVE


class OfferExhaustedError(ConflictError):
    error = OFFER_EXHAUSTED


class OfferCustomerLimitError(ConflictError):
    error = OFFER_CUSTOMER_LIMIT


class OfferConditionsNotMetError(ConflictError):
    error = OFFER_CONDITIONS_NOT_MET


class OfferUnavailableError(ConflictError):
    error = OFFER_UNAVAILABLE


class OfferCustomerMismatchError(ConflictError):
    error = OFFER_CUSTOMER_MISMATCH


class OfferTermsFixedError(ConflictError):
    error = OFFER_TERMS_FIXED


class OfferHandedOutError(ConflictError):
    error = OFFER_HANDED_OUT


# The backstops of the conditional UPDATE that counts uses: never reached through the
# services, but a write around them still answers the same problem, not a bare 409.
register_constraint("ck_offers_uses_within_limit", OfferExhaustedError)
register_constraint("uq_customer_offers_available", OfferUnavailableError)
