"""Orders subgraph inputs."""

from __future__ import annotations

import strawberry

from schema.orders.types import HubType


@strawberry.input
class AddressInput:
    recipient: str
    phone: str
    line1: str
    postal_code: str
    city: str
    country: str
    line2: str = ""


@strawberry.input
class CheckoutInput:
    shipping_origin_id: strawberry.ID
    shipping_address: AddressInput
    payment_method: str
    idempotency_key: str
    use_points: int = 0


@strawberry.input
class CreateHubInput:
    code: str
    type: HubType
    name: str
    owner: str
    location: str
