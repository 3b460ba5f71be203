"""The reservation queue decided by real workers on real Redis and PostgreSQL (RES-1..RES-3)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from resolvers.reservations.requests import request_cancellation, request_reservation
from tests.accounts import customers
from tests.conftest import Api
from tests.reservations.helpers import (
    confirmed_quantity,
    inventory,
    queue_request,
    resource,
    settled,
)


async def test_a_thousand_requests_for_a_hundred_units(api: Api) -> None:
    services = api.services
    stock = await inventory(services, 100)
    buyers = await customers(services, 1000)
    ids = await asyncio.gather(
        *(queue_request(services, b, inventory_id=str(stock), quantity=1) for b in buyers)
    )
    tickets = await settled(services.tickets, list(ids))
    states = [t.state for t in tickets.values()]
    assert states.count("CONFIRMED") == 100
    assert {t.reason for t in tickets.values() if t.state == "REJECTED"} == {"SOLD_OUT"}
    assert await confirmed_quantity(services, stock) == (100, 0)
    # Sold out: the next request is answered without PostgreSQL, at once.
    late = await services.tickets.get(
        await queue_request(services, buyers[0], inventory_id=str(stock), quantity=1)
    )
    assert (late.state, late.reason, late.partition) == ("REJECTED", "SOLD_OUT", -1)


async def test_replayed_request_returns_the_first_ticket(api: Api) -> None:
    services = api.services
    stock = await inventory(services, 5)
    [buyer] = await customers(services, 1)
    first, again = [
        await request_reservation(
            services.db,
            services.tickets,
            buyer,
            idempotency_key="k",
            inventory_id=str(stock),
            quantity=2,
        )
        for _ in range(2)
    ]
    assert first.id == again.id
    await settled(services.tickets, [first.id])
    assert await confirmed_quantity(services, stock) == (2, 3)


async def test_overlapping_slots_are_refused_by_the_database(api: Api) -> None:
    services = api.services
    court = await resource(services)
    players = await customers(services, 6)
    nine = datetime(2027, 1, 5, 9, tzinfo=UTC)
    slots = [(nine, nine + timedelta(hours=1))] * 4 + [
        (nine + timedelta(hours=1), nine + timedelta(hours=2))
    ] * 2
    ids = await asyncio.gather(
        *(
            queue_request(services, p, resource_id=str(court), starts_at=s, ends_at=e)
            for p, (s, e) in zip(players, slots, strict=True)
        )
    )
    tickets = await settled(services.tickets, list(ids))
    decided = [tickets[i] for i in ids]
    assert [t.state for t in decided[:4]].count("CONFIRMED") == 1
    assert {t.reason for t in decided[:4] if t.state == "REJECTED"} == {"SLOT_TAKEN"}
    assert [t.state for t in decided[4:]].count("CONFIRMED") == 1  # the adjacent hour is free once


async def test_cancellation_returns_stock_once(api: Api) -> None:
    services = api.services
    stock = await inventory(services, 1)
    first, second = await customers(services, 2)
    ticket = await settled(
        services.tickets,
        [await queue_request(services, first, inventory_id=str(stock), quantity=1)],
    )
    reservation_id = next(iter(ticket.values())).reservation_id
    assert await confirmed_quantity(services, stock) == (1, 0)
    cancels = [
        (
            await request_cancellation(
                services.db,
                services.tickets,
                first,
                reservation_id=reservation_id,
                idempotency_key=k,
            )
        ).id
        for k in ("c1", "c2")  # two different cancellations of one reservation
    ]
    await settled(services.tickets, cancels)
    assert await confirmed_quantity(services, stock) == (0, 1)
    # The stock is back for the next customer, and the sold-out fast path was lifted.
    retry = await settled(
        services.tickets,
        [await queue_request(services, second, inventory_id=str(stock), quantity=1)],
    )
    assert next(iter(retry.values())).state == "CONFIRMED"
