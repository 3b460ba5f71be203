"""A shop to buy from: a launched product in stock and a customer with points."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.accounts import LoggedIn, grant_role, new_user
from tests.catalog.world import World
from tests.contract.documents import contract_text
from tests.waiting import eventually

ORDERS = contract_text("orders")
ICHEON = "00000000-0000-4000-8000-000000000001"
GRANT = "mutation($u: ID!, $p: Int!, $k: String!) { grantPoints(userId: $u, points: $p, idempotencyKey: $k) { balance } }"
ADDRESS = {
    "recipient": "Kim Minji",
    "phone": "+82 10-1234-5678",
    "line1": "1 Sejong-daero",
    "postalCode": "04524",
    "city": "Seoul",
    "country": "KR",
}


@dataclass
class Shop:
    world: World
    customer: LoggedIn
    product_id: str
    variant_id: str
    provider_url: str

    async def run(
        self, operation: str, variables: dict | None = None, token: str | None = None
    ) -> dict:
        return await self.world.api.client.post(
            ORDERS, variables, operation=operation, token=token or self.customer.access_token
        )

    async def buy(
        self,
        quantity: int = 1,
        *,
        use_points: int = 0,
        origin: str = ICHEON,
        key: str | None = None,
        token: str | None = None,
        method: str = "card",
    ) -> dict:
        added = await self.run(
            "AddToCart", {"variantId": self.variant_id, "quantity": quantity}, token
        )
        assert not added.get("errors"), added
        return await self.run(
            "Checkout",
            {
                "input": {
                    "shippingOriginId": origin,
                    "shippingAddress": ADDRESS,
                    "usePoints": use_points,
                    "paymentMethod": method,
                    "idempotencyKey": key or uuid.uuid4().hex,
                }
            },
            token,
        )

    async def order(self, order_id: str, token: str | None = None) -> dict:
        result = await self.run("Order", {"id": order_id}, token)
        assert not result.get("errors"), result
        return result["data"]["order"]

    async def settled(
        self, order_id: str, *, token: str | None = None, timeout: float = 30
    ) -> dict:
        """Wait until the order's newest saga has finished."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            order = await self.order(order_id, token)
            if order["saga"]["state"] in ("COMPLETED", "COMPENSATED", "FAILED"):
                return order
            assert asyncio.get_running_loop().time() < deadline, order
            await asyncio.sleep(0.1)

    async def ledger(self, reference: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.provider_url) as http:
            return (await http.get("/v1/charges", params={"reference": reference})).json()[
                "charges"
            ]

    async def fault(self, operation: str, mode: str, times: int = 1, seconds: float = 3) -> None:
        async with httpx.AsyncClient(base_url=self.provider_url) as http:
            await http.post(
                "/_faults",
                json={"operation": operation, "mode": mode, "times": times, "seconds": seconds},
            )

    async def clear_faults(self) -> None:
        async with httpx.AsyncClient(base_url=self.provider_url) as http:
            await http.delete("/_faults")

    async def delayed_requests_landed(self) -> None:
        """Wait until every delayed request the provider received has done its work."""
        async with httpx.AsyncClient(base_url=self.provider_url) as http:
            await eventually(
                lambda: _no_delayed(http), timeout=30, what="the delayed request to land"
            )

    async def points(self, token: str | None = None) -> int:
        return (await self.run("MyPoints", token=token))["data"]["myPoints"]["balance"]

    async def stock(self) -> int:
        detail = await self.world.run(
            "Product", {"id": self.product_id}, self.world.manager.access_token
        )
        return detail["data"]["product"]["variants"][0]["stock"]


async def open_shop(world: World, provider_url: str, *, stock: int = 100, points: int = 0) -> Shop:
    product = await world.create_product(options=[], price={"amount": "10000", "currency": "KRW"})
    await world.launch(product["id"])
    variant_id = product["variants"][0]["id"]
    await world.stock(variant_id, stock)
    customer = await new_user(world.api.client, f"buyer-{uuid.uuid4().hex[:8]}@example.com")
    shop = Shop(world, customer, product["id"], variant_id, provider_url)
    if points:
        support = await new_user(world.api.client, f"support-{uuid.uuid4().hex[:8]}@example.com")
        await grant_role(world.api.services, support.user_id, "support")
        granted = await world.api.client.post(
            GRANT,
            {"u": customer.user_id, "p": points, "k": uuid.uuid4().hex},
            token=support.access_token,
        )
        assert not granted.get("errors"), granted
    return shop


async def _no_delayed(http: httpx.AsyncClient) -> bool:
    return (await http.get("/_faults/in-flight")).json()["delayed"] == 0
