"""Seat-map changes are outbox rows written with the change (issue 10, item 3): a process that
dies right after its commit, before any publish, loses none of them; the relay publishes them
once it runs. No relay runs here (`quiet`) until the test starts one."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx

from persistence.streams.reservations import partition_of
from resolvers.reservations import booking
from resolvers.reservations.concerts import expire_holds, request_hold, seat_map_topic
from stand_ins.process import StandIn
from tests.accounts import customers, new_user
from tests.conftest import Api
from tests.contract.test_reservations_contract import DOC, _event
from tests.reservations.helpers import held, overdue, settled, unpublished
from workflows.outbox import relay_once
from workflows.reservations import PartitionConsumer


async def _relayed(quiet: Api, changes: asyncio.Queue[dict], count: int) -> list[dict]:
    """Run the relay once and take the `count` seat changes it publishes."""
    assert await relay_once(quiet.services.db, quiet.services.broker) >= count
    return [await asyncio.wait_for(changes.get(), 10) for _ in range(count)]


async def test_expired_holds_reach_the_seat_map_through_the_outbox(quiet: Api) -> None:
    services = quiet.services
    event_id, seats = await _event(quiet, opens=timedelta(minutes=-1), closes=timedelta(hours=1))
    [user] = await customers(services, 1)
    reservation_id = await held(services, user, event_id, seats[:2])
    await overdue(services, reservation_id=str(reservation_id))
    topic = seat_map_topic(event_id)
    async with services.broker.subscribe(topic) as changes:
        assert await expire_holds(services.db) == 1  # committed; the job publishes nothing itself
        pending = await unpublished(services, topic)
        assert sorted(p["seatId"] for p in pending) == sorted(seats[:2])
        assert changes.empty()
        published = await _relayed(quiet, changes, 2)
    assert {(c["seatId"], c["status"]) for c in published} == {(s, "AVAILABLE") for s in seats[:2]}
    assert await unpublished(services, topic) == []


async def test_sold_and_refused_seats_reach_the_seat_map_through_the_outbox(
    quiet: Api, payment_provider: StandIn, unique_email
) -> None:
    """Payments write their seat changes in their settling step: SOLD for a paid hold,
    AVAILABLE for a refused card; the relay delivers both."""
    services = quiet.services
    event_id, seats = await _event(quiet, opens=timedelta(minutes=-1), closes=timedelta(hours=1))
    buyer = await new_user(quiet.client, unique_email())
    paid = await held(services, uuid.UUID(buyer.user_id), event_id, seats[:1])
    refused = await held(services, uuid.UUID(buyer.user_id), event_id, seats[1:2])
    topic = seat_map_topic(event_id)

    async def pay(reservation_id: uuid.UUID, key: str) -> dict:
        return await quiet.client.post(
            DOC,
            {"reservationId": str(reservation_id), "paymentMethod": "card", "idempotencyKey": key},
            operation="PayReservation",
            token=buyer.access_token,
        )

    async with services.broker.subscribe(topic) as changes:
        assert (await pay(paid, "p1"))["data"]["payReservation"]["reservation"]["status"] == "PAID"
        async with httpx.AsyncClient(base_url=payment_provider.url) as http:
            await http.post("/_faults", json={"operation": "charge", "mode": "decline"})
            try:
                answer = await pay(refused, "p2")
            finally:
                await http.delete("/_faults")
        assert answer["errors"][0]["extensions"]["reason"] == "PAYMENT_REJECTED"
        expected = {(seats[0], "SOLD"), (seats[1], "AVAILABLE")}
        pending = await unpublished(services, topic)
        assert {(p["seatId"], p["status"]) for p in pending} == expected
        assert changes.empty()
        published = await _relayed(quiet, changes, 2)
    assert {(c["seatId"], c["status"]) for c in published} == expected


async def test_a_queue_worker_dying_after_its_commit_loses_no_seat_change(quiet: Api) -> None:
    """The batch commits, then the worker fails before acknowledging or publishing anything.
    The entry is redelivered and decided again (no change, no second outbox row), and the
    seat changes of the first commit reach the seat map through the relay."""
    services = quiet.services
    event_id, seats = await _event(quiet, opens=timedelta(minutes=-1), closes=timedelta(hours=1))
    [user] = await customers(services, 1)
    ticket = await request_hold(
        services.db,
        services.tickets,
        user,
        event_id=event_id,
        seat_ids=seats[:2],
        idempotency_key="hold",
    )
    topic = seat_map_topic(event_id)
    await services.faults.arm("RESERVATIONS:batch:after_commit", "error")
    consumer = PartitionConsumer(services, partition_of(event_id), booking.ROOM, lease_seconds=2)
    async with services.broker.subscribe(topic) as changes:
        worker = asyncio.create_task(consumer.run())
        try:
            decided = (await settled(services.tickets, [ticket.id]))[ticket.id]
        finally:
            worker.cancel()
        assert decided.state == "CONFIRMED"
        pending = await unpublished(services, topic)
        assert sorted((p["seatId"], p["status"]) for p in pending) == [
            (s, "HELD") for s in sorted(seats[:2])
        ]
        assert changes.empty()
        published = await _relayed(quiet, changes, 2)
    assert {(c["seatId"], c["status"]) for c in published} == {(s, "HELD") for s in seats[:2]}
