"""Idempotency keys as one mechanism (API-6) on the mutations that move money or stock: keys
are per caller and operation, remember the request's fingerprint and the first result."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from core.errors import Conflict
from persistence.models.catalog import InventoryMovement
from persistence.models.orders import Order
from resolvers import idempotency
from stand_ins.process import StandIn
from tests.accounts import grant_role, new_user
from tests.catalog.world import World, build_world
from tests.conftest import Api
from tests.orders.shop import ADDRESS, GRANT, ICHEON, Shop, open_shop

CONCURRENT = 20


def reason(result: dict) -> tuple[str, str | None]:
    extensions = result["errors"][0]["extensions"]
    return extensions["code"], extensions.get("reason")


async def support_agent(world: World) -> str:
    agent = await new_user(world.api.client, f"support-{uuid.uuid4().hex[:8]}@example.com")
    await grant_role(world.api.services, agent.user_id, "support")
    return agent.access_token


async def grant(world: World, token: str, user_id: str, points: int, key: str) -> dict:
    return await world.api.client.post(GRANT, {"u": user_id, "p": points, "k": key}, token=token)


async def test_two_granters_with_one_key_each_get_their_own_effect(world: World) -> None:
    customer = await new_user(world.api.client, f"c-{uuid.uuid4().hex[:8]}@example.com")
    first, second = await support_agent(world), await support_agent(world)
    assert not (await grant(world, first, customer.user_id, 100, "1")).get("errors")
    granted = await grant(world, second, customer.user_id, 100, "1")
    assert granted["data"]["grantPoints"]["balance"] == 200  # not one silent no-op


async def test_grant_replay_reuse_and_twenty_concurrent_replays(world: World) -> None:
    customer = await new_user(world.api.client, f"c-{uuid.uuid4().hex[:8]}@example.com")
    agent = await support_agent(world)
    results = await asyncio.gather(
        *(grant(world, agent, customer.user_id, 70, "goodwill") for _ in range(CONCURRENT))
    )
    assert {r["data"]["grantPoints"]["balance"] for r in results if not r.get("errors")} == {70}
    assert all(not r.get("errors") for r in results), [r for r in results if r.get("errors")]
    replay = await grant(world, agent, customer.user_id, 70, "goodwill")
    assert replay["data"]["grantPoints"]["balance"] == 70  # applied once
    assert reason(await grant(world, agent, customer.user_id, 71, "goodwill")) == (
        "CONFLICT",
        "IDEMPOTENCY_KEY_REUSED",
    )


async def checkout(shop: Shop, key: str, **address: str) -> dict:
    return await shop.run(
        "Checkout",
        {
            "input": {
                "shippingOriginId": ICHEON,
                "shippingAddress": {**ADDRESS, **address},
                "usePoints": 0,
                "paymentMethod": "card",
                "idempotencyKey": key,
            }
        },
    )


async def test_twenty_concurrent_checkouts_with_one_key_make_one_order(
    world: World, payment_provider: StandIn
) -> None:
    shop = await open_shop(world, payment_provider.url, stock=10)
    assert not (await shop.run("AddToCart", {"variantId": shop.variant_id, "quantity": 2})).get(
        "errors"
    )
    results = await asyncio.gather(*(checkout(shop, "k-1") for _ in range(CONCURRENT)))
    assert all(not r.get("errors") for r in results), [r for r in results if r.get("errors")]
    assert len({r["data"]["checkout"]["order"]["id"] for r in results}) == 1
    async with world.api.services.db.transaction() as uow:
        session = uow.session
        orders = await session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.user_id == uuid.UUID(shop.customer.user_id))
        )
    assert orders == 1
    assert await shop.stock() == 8  # taken once
    replay = await checkout(shop, "k-1")
    assert (
        replay["data"]["checkout"]["order"]["id"] == results[0]["data"]["checkout"]["order"]["id"]
    )
    assert reason(await checkout(shop, "k-1", city="Busan")) == (
        "CONFLICT",
        "IDEMPOTENCY_KEY_REUSED",
    )


async def test_stock_adjustments_are_keyed_per_caller(world: World) -> None:
    product = await world.create_product(options=[])
    variant_id = product["variants"][0]["id"]
    other = await new_user(world.api.client, f"m-{uuid.uuid4().hex[:8]}@example.com")
    await grant_role(world.api.services, other.user_id, "catalog_manager")
    results = await asyncio.gather(
        *(world.stock(variant_id, 5, key="1") for _ in range(CONCURRENT))
    )
    assert all(not r.get("errors") for r in results), [r for r in results if r.get("errors")]
    second = await world.stock(variant_id, 5, key="1", token=other.access_token)
    assert second["data"]["adjustStock"]["variant"]["stock"] == 10  # its own effect
    assert reason(await world.stock(variant_id, 6, key="1")) == (
        "CONFLICT",
        "IDEMPOTENCY_KEY_REUSED",
    )
    async with world.api.services.db.transaction() as uow:
        session = uow.session
        movements = await session.scalar(
            select(func.count())
            .select_from(InventoryMovement)
            .where(InventoryMovement.variant_id == uuid.UUID(variant_id))
        )
    assert movements == 2


async def test_refund_while_the_payment_saga_runs_is_refused(
    quiet: Api, unique_email, payment_provider: StandIn
) -> None:  # type: ignore[no-untyped-def]
    """ORD-4: the payment saga is past its pivot (PAID) but not finished (no worker runs it
    here): a refund is refused with a clear code instead of racing it."""
    world = await build_world(quiet, unique_email)
    shop = await open_shop(world, payment_provider.url, stock=5)
    order_id = (await shop.buy(1))["data"]["checkout"]["order"]["id"]
    async with world.api.services.db.transaction() as uow:  # as if the pivot just passed
        session = uow.session
        await session.execute(
            text("UPDATE order_order SET status = 'PAID' WHERE id = :o"), {"o": order_id}
        )
    refused = await shop.run(
        "RequestRefund", {"orderId": order_id, "reason": "changed my mind", "idempotencyKey": "r"}
    )
    assert reason(refused) == ("CONFLICT", "PAYMENT_IN_PROGRESS")


async def test_a_replay_waits_for_the_first_request_then_is_told_in_progress(
    world: World,
) -> None:
    """The first request's transaction holds its key uncommitted: a replay waits (bounded) and
    gets IN_PROGRESS; once the first commits, the replay gets its result."""
    db = world.api.services.db
    names = {"caller": "u-1", "operation": "grantPoints", "key": "k", "request": {"p": 1}}
    first, replay = db.begin(), db.begin()
    try:
        claimed = await idempotency.claim(first.session, **names)
        started = asyncio.get_running_loop().time()
        with pytest.raises(Conflict) as waited:
            await idempotency.claim(replay.session, **names, wait_seconds=0.5)
        assert waited.value.reason == "IN_PROGRESS"
        assert asyncio.get_running_loop().time() - started >= 0.5
        await idempotency.remember(first.session, claimed, "first result")
        await first.commit()
    finally:
        await first.close()
        await replay.close()
    async with db.transaction() as later_uow:
        later = later_uow.session
        again = await idempotency.claim(later, **names)
        assert (again.replayed, again.first_result()) == (True, "first result")


async def test_finished_keys_are_kept_24_hours_then_purged(world: World) -> None:
    db = world.api.services.db
    async with db.transaction() as uow:
        session = uow.session
        done = await idempotency.claim(
            session, caller="u-2", operation="grantPoints", key="old", request={}
        )
        await idempotency.remember(session, done, "x")
        await idempotency.claim(  # still running (a payment waiting on its provider)
            session, caller="u-2", operation="payReservation", key="old", request={}
        )
    now = datetime.now(UTC)
    assert await idempotency.purge_expired(db, now + timedelta(hours=23)) == 0
    assert await idempotency.purge_expired(db, now + timedelta(hours=25)) == 1
    async with db.transaction() as uow:  # the unfinished one stays
        session = uow.session
        with pytest.raises(Conflict) as waited:
            await idempotency.claim(
                session,
                caller="u-2",
                operation="payReservation",
                key="old",
                request={},
                wait_seconds=0.2,
            )
    assert waited.value.reason == "IN_PROGRESS"
