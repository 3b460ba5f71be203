"""Orders benchmark: checkouts/s through the full payment saga (8 persisted steps, the provider
stand-in answering at once) against a baseline in the same run that performs the same database
writes and provider calls in straight-line code, without saga bookkeeping."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import select, update

from auth.rbac import sync_builtin_roles
from bench.harness import bench_stores
from core.settings import Settings
from persistence.demo_catalog import seed_catalog
from persistence.models.catalog import Product, Variant
from persistence.models.orders import Order
from persistence.repositories.origin_stock import PRIMARY_ORIGIN
from resolvers.catalog import stock as catalog_stock
from resolvers.orders import checkout as checkout_cases
from resolvers.orders import points
from resolvers.orders.sagas import PAYMENT
from server.runtime import running_services
from tests.accounts import customers
from workflows.saga import StepContext

ADDRESS = checkout_cases.Address(
    "Kim", "+82 10 1234 5678", "1 Sejong-daero", "", "04524", "Seoul", "KR"
)


class _NoSagas:
    """The baseline places the same order but runs the steps itself."""

    async def start(self, *args: Any, **kwargs: Any) -> None:
        return None


async def _customers(services: Any, count: int) -> list[uuid.UUID]:
    """Customers with points to spend."""
    ids = await customers(services, count)
    async with services.db.transaction() as uow:
        for user_id in ids:
            await points.move(uow.session, user_id, 1_000_000, "GRANT", f"bench:{user_id}")
    return ids


async def _place(services: Any, user_id: uuid.UUID, variant_id: str) -> uuid.UUID:
    async with services.db.transaction() as uow:
        await checkout_cases.add_to_cart(uow, user_id, variant_id, 1)
    async with services.db.transaction() as uow:
        return await checkout_cases.checkout(
            services,
            uow,
            user_id,
            origin_id=str(PRIMARY_ORIGIN),
            address=ADDRESS,
            use_points=100,
            payment_method="card",
            idempotency_key=uuid.uuid4().hex,
        )


async def _straight_line(services: Any, order_id: uuid.UUID) -> None:
    context = StepContext(uuid.uuid4(), order_id, 1, {}, services)
    for step in PAYMENT.steps:
        await step.run(context)


async def _run(concurrency: int, orders: int, work: Any) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(orders):
        queue.put_nowait(n)

    async def client() -> None:
        while not queue.empty():
            await work(queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - started


async def _bench(settings: Settings, orders: int, concurrency: int) -> None:
    async with running_services(settings) as services:
        async with services.db.transaction() as uow:
            session = uow.session
            await sync_builtin_roles(session)
        await seed_catalog(services.db, 20)
        async with services.db.transaction() as uow:
            session = uow.session
            variant = (await session.execute(select(Variant.id, Variant.product_id).limit(1))).one()
            await catalog_stock.apply_stock_change(
                session,
                variant_id=variant.id,
                product_id=variant.product_id,
                delta=10 * orders,
                reason="bench",
                key="bench-stock",
                actor=None,
            )
            await session.execute(
                update(Product).where(Product.id == variant.product_id).values(status="LAUNCHED")
            )
        buyers = await _customers(services, 2 * orders)
        saga_buyers, plain_buyers = buyers[:orders], buyers[orders:]

        async def with_saga(n: int) -> None:
            await _place(services, saga_buyers[n], str(variant.id))

        async def workers(stop: asyncio.Event) -> None:
            while not stop.is_set():
                if not await services.sagas.run_due():
                    await asyncio.sleep(0.005)

        stop = asyncio.Event()
        worker_tasks = [asyncio.create_task(workers(stop)) for _ in range(concurrency)]
        started = time.perf_counter()
        await _run(concurrency, orders, with_saga)
        while True:  # until every saga finished
            async with services.db.transaction() as uow:
                session = uow.session
                left = await session.scalar(
                    select(Order.id)
                    .where(Order.user_id.in_(saga_buyers), Order.status != "COMPLETED")
                    .limit(1)
                )
            if left is None:
                break
            await asyncio.sleep(0.02)
        saga_seconds = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*worker_tasks)

        plain = replace(services, sagas=_NoSagas())

        async def straight(n: int) -> None:
            order_id = await _place(plain, plain_buyers[n], str(variant.id))
            await _straight_line(plain, order_id)

        plain_seconds = await _run(concurrency, orders, straight)
    saga_rate, plain_rate = orders / saga_seconds, orders / plain_seconds
    print(
        f"{orders} checkouts per target, {concurrency} concurrent clients, provider stand-in on loopback"
    )
    print(f"{'target':<44}{'checkouts/s':>12}")
    print(f"{'checkout + payment saga (8 persisted steps)':<44}{saga_rate:>12.1f}")
    print(f"{'checkout + same steps, straight-line':<44}{plain_rate:>12.1f}")
    print(
        f"saga overhead: the saga path runs at {100 * saga_rate / plain_rate:.0f}% of the straight-line baseline"
    )


def run(orders: int = 300, concurrency: int = 8, seconds: int = 0) -> None:
    with bench_stores("tessera_bench_orders") as stores:
        settings = stores.settings("orders", db_pool_size=20, db_max_overflow=20)
        asyncio.run(_bench(settings, orders, concurrency))
