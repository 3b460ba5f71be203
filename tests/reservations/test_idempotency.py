"""Reservation tickets under idempotency keys (API-6): scoped by caller and operation and
fingerprinted in the same Redis step that queues the request."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from persistence.streams.reservations import partition_of
from tests.accounts import bulk_customers
from tests.client import GraphQLClient
from tests.conftest import Api
from tests.contract.documents import contract_text
from tests.contract.test_reservations_contract import _event
from tests.reservations.helpers import confirmed_quantity, inventory, settled

DOC = contract_text("reservations")
CONCURRENT = 20


async def request(client: GraphQLClient, token: str, key: str, **fields: object) -> dict:
    return await client.post(
        DOC,
        {"input": {"idempotencyKey": key, **fields}},
        operation="RequestReservation",
        token=token,
    )


def conflict_reason(result: dict) -> tuple[str, str]:
    extensions = result["errors"][0]["extensions"]
    return extensions["code"], extensions["reason"]


async def test_two_callers_with_one_key_each_get_a_ticket(quiet: Api) -> None:
    stock = await inventory(quiet.services, 10)
    first, second = await bulk_customers(quiet.services, 2)
    a = await request(quiet.client, first, "1", inventoryId=str(stock), quantity=1)
    b = await request(quiet.client, second, "1", inventoryId=str(stock), quantity=1)
    ids = {a["data"]["requestReservation"]["ticket"]["id"]}
    ids.add(b["data"]["requestReservation"]["ticket"]["id"])
    assert len(ids) == 2


async def test_twenty_concurrent_replays_queue_one_request(api: Api) -> None:
    stock = await inventory(api.services, 10)
    [token] = await bulk_customers(api.services, 1)
    results = await asyncio.gather(
        *(
            request(api.client, token, "same", inventoryId=str(stock), quantity=3)
            for _ in range(CONCURRENT)
        )
    )
    assert all(not r.get("errors") for r in results), [r for r in results if r.get("errors")]
    ids = {r["data"]["requestReservation"]["ticket"]["id"] for r in results}
    assert len(ids) == 1
    await settled(api.services.tickets, list(ids))
    assert await confirmed_quantity(api.services, stock) == (3, 7)  # booked once
    replay = await request(api.client, token, "same", inventoryId=str(stock), quantity=3)
    assert replay["data"]["requestReservation"]["ticket"]["id"] in ids
    reused = await request(api.client, token, "same", inventoryId=str(stock), quantity=4)
    assert conflict_reason(reused) == ("CONFLICT", "IDEMPOTENCY_KEY_REUSED")


async def test_keys_are_per_operation_and_fingerprinted_for_holds(quiet: Api) -> None:
    """A key used for a reservation is free for a hold; a hold's key with other seats is a
    CONFLICT and queues nothing."""
    event_id, seats = await _event(quiet, opens=timedelta(minutes=-1), closes=timedelta(hours=1))
    [token] = await bulk_customers(quiet.services, 1)
    stock = await inventory(quiet.services, 10)
    assert not (await request(quiet.client, token, "k", inventoryId=str(stock))).get("errors")

    async def hold(seat_ids: list[str]) -> dict:
        return await quiet.client.post(
            DOC,
            {"eventId": event_id, "seatIds": seat_ids, "idempotencyKey": "k"},
            operation="HoldSeats",
            token=token,
        )

    # The reservation above may share the event's partition (8 partitions): count from here.
    stream = quiet.services.tickets.stream(partition_of(uuid.UUID(event_id)))
    queued_before = await quiet.services.redis.xlen(stream)
    first = await hold(seats[:2])
    assert not first.get("errors"), first
    assert (await hold(list(reversed(seats[:2]))))["data"] == first["data"]  # same seats
    assert conflict_reason(await hold(seats[1:3])) == ("CONFLICT", "IDEMPOTENCY_KEY_REUSED")
    assert await quiet.services.redis.xlen(stream) == queued_before + 1
