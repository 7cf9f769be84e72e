"""Route access markers. Every route either requires a permission or is marked public;
a test walks the route table and fails on a route that does neither (deny by default).
"""

from __future__ import annotations

from fastapi import Depends

PERMISSION_ATTRIBUTE = "__frontdesk_permission__"
PUBLIC_ATTRIBUTE = "__frontdesk_public__"


async def _public() -> None:
    """Marks a route as deliberately open to anyone."""


setattr(_public, PUBLIC_ATTRIBUTE, True)
PUBLIC = Depends(_public)
