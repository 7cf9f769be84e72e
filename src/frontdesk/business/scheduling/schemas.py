"""Services as the API creates, changes and shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from frontdesk.core.schemas import MoneyAmount, RequestModel, ResponseModel

Name = Annotated[str, Field(min_length=1, max_length=200)]
Category = Annotated[str, Field(min_length=1, max_length=100)]
Description = Annotated[str, Field(max_length=2000)]
Duration = Annotated[int, Field(ge=5, le=24 * 60, description="Minutes the service takes")]
Buffer = Annotated[int, Field(ge=0, le=240, description="Minutes kept free around it")]
Price = Annotated[MoneyAmount, Field(ge=0)]


class ServiceCreate(RequestModel):
    name: Name
    category: Category | None = None
    description: Description | None = None
    duration_minutes: Duration
    buffer_before_minutes: Buffer = 0
    buffer_after_minutes: Buffer = 0
    price: Price
    is_active: bool = True


class ServiceUpdate(RequestModel):
    """Only the fields sent change; ``category`` and ``description`` may be cleared."""

    name: Name | None = None
    category: Category | None = None
    description: Description | None = None
    duration_minutes: Duration | None = None
    buffer_before_minutes: Buffer | None = None
    buffer_after_minutes: Buffer | None = None
    price: Price | None = None
    is_active: bool | None = None

    def changes(self) -> dict[str, object]:
        clearable = {"category", "description"}
        return {
            name: value
            for name, value in self.model_dump(exclude_unset=True).items()
            if value is not None or name in clearable
        }


class ServiceRead(ResponseModel):
    id: uuid.UUID
    name: str
    category: str | None
    description: str | None
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    price: MoneyAmount
    currency: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
