"""Item 3 for the catalog: use cases only flush inside their caller's unit of work, never end
it, and cache invalidations survive a crash between the commit and the publish."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable

import pytest
from sqlalchemy import func, select, text

from core.errors import Conflict, ValidationFailed
from persistence.cache import INVALIDATION_EFFECT, INVALIDATION_TOPIC
from persistence.catalog_cache import product_key
from persistence.database import Database
from persistence.models.catalog import InventoryMovement, Variant
from persistence.models.outbox import OutboxEvent
from persistence.unit_of_work import UnitOfWork
from resolvers.catalog import products as product_cases
from resolvers.catalog import structure
from resolvers.catalog.access import ALL_VENDORS, Editor
from resolvers.catalog.stock import apply_stock_change
from server.workers import relay_outbox
from tests.catalog.test_cache import CARD
from tests.catalog.world import World, build_world
from tests.conftest import Api


class ProcessStopped(BaseException):
    """Raised by the first after-commit effect: nothing after the commit runs, as when the
    process dies right after committing."""


async def _stop_process() -> None:
    raise ProcessStopped


async def _variant(world: World, **overrides: object) -> tuple[uuid.UUID, uuid.UUID]:
    product = await world.create_product(options=[], **overrides)
    return uuid.UUID(product["id"]), uuid.UUID(product["variants"][0]["id"])


def _change(
    uow: UnitOfWork, ids: tuple[uuid.UUID, uuid.UUID], delta: int, key: str
) -> Awaitable[bool]:
    """A stock change of (product, variant) inside `uow`, as orders' use cases make them."""
    product_id, variant_id = ids
    return apply_stock_change(
        uow.session,
        variant_id=variant_id,
        product_id=product_id,
        delta=delta,
        reason="test",
        key=key,
        actor=None,
    )


async def _stock_and_keys(db: Database, variant_id: uuid.UUID) -> tuple[int, list[str]]:
    async with db.read() as conn:
        stock = await conn.scalar(select(Variant.stock).where(Variant.id == variant_id))
        keys = await conn.scalars(
            select(InventoryMovement.idempotency_key)
            .where(InventoryMovement.variant_id == variant_id)
            .order_by(InventoryMovement.id)
        )
        return stock, list(keys)


async def test_refused_stock_changes_leave_the_callers_transaction_going(
    quiet: Api, unique_email
) -> None:  # type: ignore[no-untyped-def]
    world = await build_world(quiet, unique_email)
    ids = await _variant(world)
    db = quiet.services.db

    async with db.transaction() as uow:
        assert await _change(uow, ids, 5, "t:in")
        with pytest.raises(ValidationFailed) as refused:
            await _change(uow, ids, -6, "t:too-much")
        assert refused.value.reason == "INSUFFICIENT_STOCK"
        assert not await _change(uow, ids, 5, "t:in")  # a replay applies nothing
        with pytest.raises(Conflict):
            await _change(uow, ids, 4, "t:in")  # the same key for another change
        assert await _change(uow, ids, -2, "t:out")  # the transaction is still usable
    assert uow.commits == 1
    assert await _stock_and_keys(db, ids[1]) == (3, ["t:in", "t:out"])


async def _someone_waits_on_a_lock(db: Database, racing: asyncio.Task[bool]) -> None:
    """Proof that the racing change reached the ledger insert and waits for the other key."""
    async with db.read() as conn:
        for _ in range(200):
            assert not racing.done(), racing
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            if waiting:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the racing stock change never waited for the first key")


async def test_a_key_taken_meanwhile_undoes_only_the_refused_change(
    quiet: Api, unique_email
) -> None:  # type: ignore[no-untyped-def]
    world = await build_world(quiet, unique_email)
    a = await _variant(world)
    b = await _variant(world, name="Other phone")
    db = quiet.services.db
    first, second = db.begin(), db.begin()

    try:
        assert await _change(first, a, 3, "shared")
        assert await _change(second, b, 1, "b:own")
        racing = asyncio.create_task(_change(second, b, 7, "shared"))
        await _someone_waits_on_a_lock(db, racing)
        await first.commit()
        with pytest.raises(Conflict):
            await racing
        await second.commit()  # its own earlier change is kept
    finally:
        await first.close()
        await second.close()
    assert await _stock_and_keys(db, a[1]) == (3, ["shared"])
    assert await _stock_and_keys(db, b[1]) == (1, ["b:own"])


async def test_constraint_violations_keep_the_unit_of_work_usable(quiet: Api, unique_email) -> None:  # type: ignore[no-untyped-def]
    world = await build_world(quiet, unique_email)
    cache = quiet.services.catalog_cache
    name = f"Dup {uuid.uuid4().hex[:6]}"
    async with quiet.services.db.transaction() as uow:
        await structure.create_vendor(uow, cache, name=name, first_party=False)
        with pytest.raises(Conflict):
            await structure.create_vendor(uow, cache, name=name, first_party=True)
        kids = await structure.create_category(
            uow, cache, name="Kids", parent_id=world.books, attributes=[]
        )
        with pytest.raises(Conflict):
            await structure.create_category(
                uow, cache, name="Kids", parent_id=world.books, attributes=[]
            )
        with pytest.raises(ValidationFailed):
            await structure.create_category(
                uow, cache, name="Comics", parent_id=None, attributes=[("Bad-Key", "STRING")]
            )
    vendors = [v.name for v in (await cache.vendors()).values()]
    assert vendors.count(name) == 1
    categories = {c.path: c.id for c in await cache.categories()}
    assert categories["Books/Kids"] == kids.id and "Comics" not in categories


async def _invalidation_rows(db: Database) -> int:
    async with db.read() as conn:
        return await conn.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.topic == INVALIDATION_EFFECT, OutboxEvent.published_at.is_(None))
        )


async def test_a_crash_between_commit_and_invalidation_loses_nothing(
    quiet: Api, unique_email
) -> None:  # type: ignore[no-untyped-def]
    """`quiet` runs no relay: the outbox row waits until this test relays it."""
    world = await build_world(quiet, unique_email)
    product_id, _ = await _variant(world)
    await world.launch(str(product_id))
    services = quiet.services
    price = lambda data: data["product"]["price"]["amount"]
    assert price(await quiet.client.data(CARD, {"id": str(product_id)})) == "1000.00"
    cached = f"{services.keys.namespace}cache:{product_key(product_id)}"
    assert await services.redis.exists(cached)
    rows_before = await _invalidation_rows(services.db)

    editor = Editor(uuid.UUID(world.manager.user_id), frozenset({ALL_VENDORS}))
    uow = services.db.begin()
    uow.after_commit(_stop_process)  # registered first: runs first after the commit
    try:
        await product_cases.change_price(
            uow,
            services.catalog_cache,
            editor,
            product_id=str(product_id),
            amount=1234,
            currency="KRW",
            expected_version=3,
        )
        with pytest.raises(ProcessStopped):
            await uow.commit()
    finally:
        await uow.close()
    # Committed, but nothing after the commit ran: every cache still serves the old price.
    assert await services.redis.exists(cached)
    assert price(await quiet.client.data(CARD, {"id": str(product_id)})) == "1000.00"
    assert await _invalidation_rows(services.db) == rows_before + 1

    async with services.broker.subscribe(INVALIDATION_TOPIC) as events:
        assert await relay_outbox(services) >= 1  # the relay starts after the "crash"
        names: list[str] = []  # earlier writes of the world's set-up are relayed too
        while product_key(product_id) not in names:
            names += (await asyncio.wait_for(events.get(), 10))["names"]
    assert not await services.redis.exists(cached)
    assert await _invalidation_rows(services.db) == 0
    assert price(await quiet.client.data(CARD, {"id": str(product_id)})) == "1234.00"


async def test_a_refused_write_records_no_invalidation(quiet: Api, unique_email) -> None:  # type: ignore[no-untyped-def]
    world = await build_world(quiet, unique_email)
    product_id, _ = await _variant(world)
    before = await _invalidation_rows(quiet.services.db)
    stale = await world.run(
        "ChangeProductPrice",
        {"id": str(product_id), "price": {"amount": "5", "currency": "KRW"}, "expectedVersion": 9},
        world.manager.access_token,
    )
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert await _invalidation_rows(quiet.services.db) == before
    fresh = await world.run(
        "ChangeProductPrice",
        {"id": str(product_id), "price": {"amount": "5", "currency": "KRW"}, "expectedVersion": 1},
        world.manager.access_token,
    )
    assert fresh["data"]["changeProductPrice"]["product"]["price"]["amount"] == "5.00"
    assert await _invalidation_rows(quiet.services.db) == before + 1
