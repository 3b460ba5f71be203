"""Saga test cases: a customer who bought (or is buying) with points, driven step by step."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from persistence.models.orders import Notification
from persistence.models.outbox import OutboxEvent
from resolvers.orders.sagas import PAYMENT, REFUND
from stand_ins.process import StandIn
from tests.catalog.world import World, build_world
from tests.conftest import Api
from tests.orders.shop import Shop, open_shop
from workflows.alerts import ALERT_TOPIC

STOCK, POINTS, QUANTITY, USE = 10, 5000, 2, 1000
PAYMENT_STEPS = [s.name for s in PAYMENT.steps]
REFUND_STEPS = [s.name for s in REFUND.steps]
PRE_PIVOT_PAYMENT = PAYMENT_STEPS[:4]
POST_PIVOT_PAYMENT = PAYMENT_STEPS[5:]
STEPS = """query($id: ID!) { order(id: $id) { saga { steps {
  name status attempts lastError lastErrorCode } } } }"""


@dataclass
class Clock:
    """An injected clock for the saga engine: tests move time instead of waiting for it."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Case:
    shop: Shop
    order_id: str

    @property
    def services(self):  # type: ignore[no-untyped-def]
        return self.shop.world.api.services

    async def drive(
        self, timeout: float = 60, *, clock: Clock | None = None, tick: float = 0
    ) -> dict:
        """Be the worker until the newest saga of the order has finished (moving `clock` by
        `tick` seconds between rounds, when given)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if clock is not None:
                clock.advance(tick)
            await self.services.sagas.run_due()
            order = await self.shop.order(self.order_id)
            if order["saga"]["state"] in ("COMPLETED", "COMPENSATED", "FAILED"):
                return order
            assert asyncio.get_running_loop().time() < deadline, order
            await asyncio.sleep(0.05)

    async def steps(self) -> dict[str, dict]:
        """The newest saga's steps by name, with their error codes."""
        result = await self.shop.world.api.client.post(
            STEPS, {"id": self.order_id}, token=self.shop.customer.access_token
        )
        assert not result.get("errors"), result
        return {s["name"]: s for s in result["data"]["order"]["saga"]["steps"]}

    async def notifications(self) -> list[str]:
        async with self.services.db.transaction() as uow:
            session = uow.session
            kinds = await session.scalars(
                select(Notification.kind).where(Notification.order_id == uuid.UUID(self.order_id))
            )
            return sorted(kinds)

    async def alerts(self) -> list[dict]:
        """Operator alerts raised so far (outbox events on the alerts topic)."""
        async with self.services.db.transaction() as uow:
            session = uow.session
            payloads = await session.scalars(
                select(OutboxEvent.payload)
                .where(OutboxEvent.topic == ALERT_TOPIC)
                .order_by(OutboxEvent.id)
            )
            return [{k: v for k, v in p.items() if k != "saga"} for p in payloads]

    async def refund(self) -> None:
        result = await self.shop.run(
            "RequestRefund", {"orderId": self.order_id, "reason": "test", "idempotencyKey": "r"}
        )
        assert not result.get("errors"), result

    async def charged(self) -> Decimal:
        charges = await self.shop.ledger(self.order_id)
        return sum(
            (Decimal(c["amount"]) for c in charges if c["status"] == "SUCCEEDED"), Decimal(0)
        )

    async def assert_bought(self) -> dict:
        order = await self.shop.order(self.order_id)
        assert order["status"] == "COMPLETED", order
        assert await self.charged() == Decimal(order["total"]["amount"])
        assert len(await self.shop.ledger(self.order_id)) == 1  # never a second charge
        assert await self.shop.points() == POINTS - USE + order["pointsEarned"]
        assert await self.shop.stock() == STOCK - QUANTITY
        return order

    async def assert_nothing_owed(self, status: str) -> None:
        order = await self.shop.order(self.order_id)
        assert order["status"] == status, order
        assert await self.charged() == 0
        assert await self.shop.points() == POINTS
        assert await self.shop.stock() == STOCK


async def new_case(api: Api, unique_email, provider: StandIn) -> Case:  # type: ignore[no-untyped-def]
    world: World = await build_world(api, unique_email)
    shop = await open_shop(world, provider.url, stock=STOCK, points=POINTS)
    placed = await shop.buy(QUANTITY, use_points=USE)
    assert not placed.get("errors"), placed
    return Case(shop, placed["data"]["checkout"]["order"]["id"])


async def bought_case(api: Api, unique_email, provider: StandIn) -> Case:  # type: ignore[no-untyped-def]
    case = await new_case(api, unique_email, provider)
    await case.drive()
    await case.assert_bought()
    return case
