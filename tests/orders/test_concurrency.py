"""200 customers race for 50 units at one HUB over real HTTP: exactly 50 orders (ORD-7, API-6)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select, text

from persistence.models.orders import Order
from stand_ins.process import StandIn
from tests.accounts import bulk_customers
from tests.catalog.world import World
from tests.orders.shop import ADDRESS, ORDERS, open_shop

CUSTOMERS = 200
UNITS = 50


async def test_two_hundred_checkouts_for_fifty_units(
    world: World, payment_provider: StandIn
) -> None:
    shop = await open_shop(world, payment_provider.url, stock=UNITS)
    hub_id = str(uuid.uuid4())
    async with world.api.services.db.transaction() as uow:
        session = uow.session
        await session.execute(
            text(
                "INSERT INTO order_shipping_origin (id, kind, name) VALUES (:id, 'ORG_HUB', 'Gangnam Org HUB')"
            ),
            {"id": hub_id},
        )
        # Move all the stock to the HUB (as a transfer would).
        await session.execute(
            text("UPDATE order_origin_stock SET quantity = 0 WHERE variant_id = :v"),
            {"v": shop.variant_id},
        )
        await session.execute(
            text("INSERT INTO order_origin_stock VALUES (:h, :v, :q)"),
            {"h": hub_id, "v": shop.variant_id, "q": UNITS},
        )
    tokens = await bulk_customers(world.api.services, CUSTOMERS)
    keys = [uuid.uuid4().hex for _ in tokens]
    limits = httpx.Limits(max_connections=CUSTOMERS)
    async with httpx.AsyncClient(base_url=world.api.base_url, timeout=120, limits=limits) as http:

        async def call(operation: str, variables: dict, token: str) -> dict:
            body = {"query": ORDERS, "operationName": operation, "variables": variables}
            return (
                await http.post("/graphql", json=body, headers={"authorization": f"Bearer {token}"})
            ).json()

        async def race(token: str, key: str) -> dict:
            await call("AddToCart", {"variantId": shop.variant_id, "quantity": 1}, token)
            checkout = {
                "shippingOriginId": hub_id,
                "shippingAddress": ADDRESS,
                "paymentMethod": "card",
                "idempotencyKey": key,
            }
            return await call("Checkout", {"input": checkout}, token)

        results = await asyncio.gather(*(race(t, k) for t, k in zip(tokens, keys, strict=True)))
        won = [
            (t, k, r) for t, k, r in zip(tokens, keys, results, strict=True) if not r.get("errors")
        ]
        lost = [r for r in results if r.get("errors")]
        assert len(won) == UNITS
        assert {r["errors"][0]["extensions"]["code"] for r in lost} == {"VALIDATION"}
        # Out of stock at the HUB, or (once the last unit went) the whole product is SOLD_OUT.
        assert {r["errors"][0]["extensions"]["reason"] for r in lost} <= {
            "INSUFFICIENT_STOCK",
            "NOT_ON_SALE",
        }
        # Replaying the winners' keys creates nothing new and answers the same orders.
        replays = await asyncio.gather(*(race(t, k) for t, k, _ in won[:10]))
        assert [r["data"]["checkout"]["order"]["id"] for r in replays] == [
            r["data"]["checkout"]["order"]["id"] for _, _, r in won[:10]
        ]
    async with world.api.services.db.transaction() as uow:
        session = uow.session
        assert await session.scalar(select(func.count()).select_from(Order)) == UNITS
        hub_stock = await session.scalar(
            text("SELECT quantity FROM order_origin_stock WHERE origin_id = :h"), {"h": hub_id}
        )
        negative = await session.scalar(
            text("SELECT count(*) FROM order_origin_stock WHERE quantity < 0")
        )
        variant_stock = await session.scalar(
            text("SELECT stock FROM catalog_variant WHERE id = :v"), {"v": shop.variant_id}
        )
    assert (hub_stock, negative, variant_stock) == (0, 0, 0)
