"""RES-6: a queue entry that cannot be decided sinks only itself. Good requests around it are
decided in order; after `reservation_max_deliveries` failed deliveries it is dead-lettered,
its ticket REJECTED with a reason, an alert logged; the partition keeps flowing."""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import suppress

import pytest

from persistence.streams.reservations import Request, partition_of
from server.workers import run_reservation_workers
from tests.accounts import customers, new_user
from tests.conftest import ApiFactory
from tests.contract.documents import contract_text
from tests.reservations.helpers import confirmed_quantity, inventory, queue_in_line, settled
from workflows.dead_letters import ALERT, REASON

MAX_DELIVERIES = 3


async def _poison(services, user_id: uuid.UUID, partition: int, request: dict) -> str:  # type: ignore[no-untyped-def]
    """A crafted entry in the partition's stream that deciding cannot digest."""
    key = uuid.uuid4().hex
    claim = Request(str(user_id), "requestReservation", key, fingerprint=key)
    ticket = await services.tickets.submit(claim, "INVENTORY", request, partition)
    return ticket.id


async def test_poison_entries_are_dead_lettered_and_the_line_moves_on(
    api_factory: ApiFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with api_factory(
        run_workers_in_process=False, reservation_max_deliveries=MAX_DELIVERIES
    ) as api:
        services = api.services
        stock = await inventory(services, 10)
        line = partition_of(stock)
        people = await customers(services, 11)
        # queued before any consumer runs, so bad and good entries share batches
        before = await queue_in_line(services, people[:5], stock)
        bad_id = await _poison(
            services, people[5], line, {"inventory": "not-a-uuid", "quantity": 1}
        )
        middle = await queue_in_line(services, people[6:8], stock)
        missing = await _poison(services, people[8], line, {"quantity": 1})  # no inventory at all
        after = await queue_in_line(services, people[9:], stock)
        good = before + middle + after

        workers = asyncio.create_task(run_reservation_workers(services))
        try:
            with caplog.at_level(logging.ERROR, logger="workflows.dead_letters"):
                decided = await settled(services.tickets, [*good, bad_id, missing])
            assert [decided[t].state for t in good] == ["CONFIRMED"] * 9
            for poison in (bad_id, missing):
                assert (decided[poison].state, decided[poison].reason) == ("REJECTED", REASON)
            assert await confirmed_quantity(services, stock) == (9, 1)

            letters = {d["ticket"]: d for d in await services.tickets.dead_letters()}
            assert set(letters) == {bad_id, missing}
            assert {d["deliveries"] for d in letters.values()} == {str(MAX_DELIVERIES)}
            assert {d["partition"] for d in letters.values()} == {str(line)}
            alerts = [r for r in caplog.records if getattr(r, "alert", None) == ALERT]
            assert {r.ticket for r in alerts} == {bad_id, missing}

            # the partition still flows: the next request is decided at once
            (late,) = await queue_in_line(services, people[10:], stock)
            assert (await settled(services.tickets, [late]))[late].state == "CONFIRMED"
            assert await services.redis.xlen(services.tickets.stream(line)) == 0
        finally:
            workers.cancel()
            with suppress(asyncio.CancelledError):
                await workers


RESERVE = contract_text("reservations")


@pytest.mark.parametrize("quantity", [0, -1, 21])
async def test_quantity_outside_1_to_20_is_a_validation_error(
    api_factory: ApiFactory, unique_email, quantity: int
) -> None:
    async with api_factory(run_workers_in_process=False) as api:
        stock = await inventory(api.services, 100)
        buyer = await new_user(api.client, unique_email())
        answer = await api.client.post(
            RESERVE,
            {
                "input": {
                    "inventoryId": str(stock),
                    "quantity": quantity,
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
            operation="RequestReservation",
            token=buyer.access_token,
        )
        (error,) = answer["errors"]
        assert error["extensions"]["code"] == "VALIDATION", error
        assert error["extensions"].get("field") == "quantity", error
        assert await api.services.redis.xlen(api.services.tickets.stream(partition_of(stock))) == 0
