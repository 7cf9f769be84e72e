"""Time-ordered UUIDv7 identifiers: unguessable in URLs, index-friendly in B-trees."""

from __future__ import annotations

import uuid

from uuid_utils import compat


def new_id() -> uuid.UUID:
    return compat.uuid7()
