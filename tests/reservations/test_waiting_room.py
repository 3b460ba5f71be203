"""RES-5: during a burst a queued client watches its position fall live, then gets its outcome."""

from __future__ import annotations

import asyncio

from persistence.streams.reservations import partition_of
from resolvers.reservations import booking
from tests.accounts import bulk_customers, customers
from tests.conftest import Api, ApiFactory
from tests.contract.test_reservations_contract import DOC
from tests.reservations.helpers import inventory, queue_in_line
from workflows.reservations import PartitionConsumer


async def test_position_falls_live_on_the_ticket_subscription(api_factory: ApiFactory) -> None:
    # Positions are pushed at most once per interval; here short, as the line moves fast.
    async with api_factory(
        run_workers_in_process=False, reservation_position_interval_seconds=0.01
    ) as quiet:
        await _watch_the_line(quiet)


async def _watch_the_line(quiet: Api) -> None:
    services = quiet.services
    stock = await inventory(services, 100)
    crowd = await customers(services, 299)
    await queue_in_line(services, crowd, stock)  # a burst is already waiting in line
    [token] = await bulk_customers(services, 1)
    placed = await quiet.client.post(
        DOC,
        {"input": {"inventoryId": str(stock), "quantity": 1, "idempotencyKey": "last"}},
        operation="RequestReservation",
        token=token,
    )
    ticket = placed["data"]["requestReservation"]["ticket"]
    assert (ticket["state"], ticket["position"]) == ("QUEUED", 300)
    consumer = PartitionConsumer(
        services, partition_of(stock), booking.ROOM, lease_seconds=2, batch_size=40
    )
    async with quiet.client.socket(token) as socket:
        await socket.subscribe(DOC, {"id": ticket["id"]}, operation="ReservationTicket")
        first = (await socket.receive())["payload"]["data"]["reservationTicket"]
        assert first["position"] == 300
        worker = asyncio.create_task(consumer.run())
        seen = []
        try:
            while True:
                pushed = (await socket.receive(timeout=30))["payload"]["data"]["reservationTicket"]
                seen.append(pushed)
                if pushed["state"] != "QUEUED":
                    break
        finally:
            worker.cancel()
    positions = [p["position"] for p in seen[:-1]]
    assert (
        len(positions) >= 3 and positions == sorted(positions, reverse=True) and positions[-1] < 300
    )
    assert (seen[-1]["state"], seen[-1]["reason"], seen[-1]["position"]) == (
        "REJECTED",
        "SOLD_OUT",
        0,
    )
