"""Live updates are never lost: a subscription subscribes first and reads the state after, so
a change made between the caller's first look and the subscription still reaches the client.

A fault point pauses the server exactly in that window; the test changes the state there,
proves the change was published (it hears it itself), then lets the subscription go on."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import suppress

from resolvers.orders.status import change, order_topic
from server.workers import run_reservation_workers
from tests.accounts import bulk_customers
from tests.conftest import Api
from tests.contract import seeds
from tests.contract.documents import contract_text
from tests.reservations.helpers import inventory, queue_request, settled

ORDERS = contract_text("orders")
RESERVATIONS = contract_text("reservations")


async def test_an_order_change_while_subscribing_reaches_the_client(api: Api) -> None:
    services, point = api.services, "ORDERS:updates:subscribing"
    call = await seeds.my_orders(api, 1)  # one PAID order
    page = await api.client.data(ORDERS, call.variables, operation="MyOrders", token=call.token)
    order_id = page["myOrders"]["edges"][0]["node"]["id"]
    await services.faults.arm(point, "pause")
    async with api.client.socket(call.token) as socket:
        await socket.subscribe(ORDERS, {"orderId": order_id}, operation="OrderUpdates")
        assert await services.faults.reached(point)
        async with services.broker.subscribe(order_topic(order_id)) as published:
            async with services.db.transaction() as unit:
                session = unit.session
                assert await change(
                    session, uuid.UUID(order_id), "COMPLETED", allowed_from=("PAID",)
                )
            assert (await asyncio.wait_for(published.get(), 20))["status"] == "COMPLETED"
        await services.faults.release(point)
        first = await socket.receive(timeout=20)
        assert first["payload"]["data"]["orderUpdates"]["status"] == "COMPLETED", first


async def test_a_ticket_decided_while_subscribing_reaches_the_client(quiet: Api) -> None:
    services, point = quiet.services, "RESERVATIONS:ticket:subscribing"
    stock = await inventory(services, 5)
    [token] = await bulk_customers(services, 1)
    user_id = (await quiet.client.data("{ me { id } }", token=token))["me"]["id"]
    ticket_id = await queue_request(
        services, uuid.UUID(user_id), inventory_id=str(stock), quantity=1
    )
    await services.faults.arm(point, "pause")
    async with quiet.client.socket(token) as socket:
        await socket.subscribe(RESERVATIONS, {"id": ticket_id}, operation="ReservationTicket")
        assert await services.faults.reached(point)
        workers = asyncio.create_task(run_reservation_workers(services))
        try:
            assert (await settled(services.tickets, [ticket_id]))[ticket_id].state == "CONFIRMED"
        finally:
            workers.cancel()
            with suppress(asyncio.CancelledError):
                await workers
        await services.faults.release(point)
        first = await socket.receive(timeout=20)
        assert first["payload"]["data"]["reservationTicket"]["state"] == "CONFIRMED", first
