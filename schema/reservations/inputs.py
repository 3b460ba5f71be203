"""Reservations subgraph inputs."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.input
class ReservationRequestInput:
    idempotency_key: str
    inventory_id: strawberry.ID | None = None
    quantity: int | None = None
    resource_id: strawberry.ID | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@strawberry.input
class SectionInput:
    name: str
    seats: int
