"""../shared/contract/reservations.graphql over real HTTP and WebSockets."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from resolvers.reservations.concerts import seat_map_topic
from tests.accounts import new_user
from tests.client import GraphQLClient
from tests.conftest import Api
from tests.contract.documents import contract_text, operation_names
from tests.reservations.helpers import close_booking, inventory, overdue, resource
from tests.waiting import eventually, subscribed

DOC = contract_text("reservations")


def test_every_operation_is_exercised() -> None:
    assert set(operation_names("reservations")) == {
        "RequestReservation",
        "ReservationTicket",
        "ReservationTicketState",
        "CancelReservation",
        "MyReservations",
        "Event",
        "HoldSeats",
        "PayReservation",
        "SeatMap",
    }


async def run(client: GraphQLClient, op: str, variables: dict | None, token: str) -> dict:
    return await client.post(DOC, variables, operation=op, token=token)


async def settled(client: GraphQLClient, ticket_id: str, token: str) -> dict:
    for _ in range(200):
        ticket = (await run(client, "ReservationTicketState", {"id": ticket_id}, token))["data"][
            "reservationTicket"
        ]
        if ticket["state"] != "QUEUED":
            return ticket
        await asyncio.sleep(0.05)
    raise AssertionError(ticket)


async def hold(
    client: GraphQLClient, event_id: str, seat_ids: list[str], token: str, key: str
) -> dict:
    """HoldSeats, then its ticket once decided."""
    placed = await run(
        client,
        "HoldSeats",
        {"eventId": event_id, "seatIds": seat_ids, "idempotencyKey": key},
        token,
    )
    return await settled(client, placed["data"]["holdSeats"]["ticket"]["id"], token)


async def _event(
    api: Api, *, opens: timedelta, closes: timedelta, window_minutes: int = 10, seats: int = 4
) -> tuple[str, list[str]]:
    event_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    async with api.services.db.transaction() as uow:
        session = uow.session
        await session.execute(
            text(
                "INSERT INTO reservation_event VALUES (:id, 'Spring concert', :o, :c, :w, 55000, 'KRW')"
            ),
            {"id": event_id, "o": now + opens, "c": now + closes, "w": window_minutes},
        )
        for n in range(seats):
            await session.execute(
                text(
                    "INSERT INTO reservation_seat (id, event_id, section, label, status) VALUES (gen_random_uuid(), :e, 'A', :l, 'AVAILABLE')"
                ),
                {"e": event_id, "l": str(n + 1)},
            )
        seat_ids = [
            str(r[0])
            for r in await session.execute(
                text("SELECT id FROM reservation_seat WHERE event_id = :e ORDER BY label"),
                {"e": event_id},
            )
        ]
    return event_id, seat_ids


async def test_inventory_request_ticket_subscription_and_cancellation(
    api: Api, unique_email
) -> None:
    client = api.client
    user = await new_user(client, unique_email())
    stock = await inventory(api.services, 3)
    placed = await run(
        client,
        "RequestReservation",
        {"input": {"inventoryId": str(stock), "quantity": 2, "idempotencyKey": "a"}},
        user.access_token,
    )
    ticket = placed["data"]["requestReservation"]["ticket"]
    assert ticket["state"] in ("QUEUED", "CONFIRMED")
    async with client.socket(user.access_token) as socket:
        await socket.subscribe(DOC, {"id": ticket["id"]}, operation="ReservationTicket")
        while True:
            pushed = (await socket.receive())["payload"]["data"]["reservationTicket"]
            if pushed["state"] != "QUEUED":
                break
    assert (
        pushed["state"] == "CONFIRMED"
        and pushed["position"] == 0
        and pushed["reservation"]["status"] == "CONFIRMED"
    )
    reservation_id = pushed["reservation"]["id"]
    mine = (await run(client, "MyReservations", {"first": 5}, user.access_token))["data"][
        "myReservations"
    ]["edges"]
    assert [e["node"]["id"] for e in mine] == [reservation_id]
    for key in ("c1", "c1", "c2"):  # a replay, then a second cancellation: both harmless
        cancel = (
            await run(
                client,
                "CancelReservation",
                {"id": reservation_id, "idempotencyKey": key},
                user.access_token,
            )
        )["data"]["cancelReservation"]["ticket"]
        assert (await settled(client, cancel["id"], user.access_token))["state"] == "CONFIRMED"
    async with api.services.db.transaction() as uow:
        session = uow.session
        assert (
            await session.scalar(
                text("SELECT available FROM reservation_inventory WHERE id = :i"), {"i": stock}
            )
            == 3
        )
    stranger = await new_user(client, unique_email())
    hidden = await run(
        client, "ReservationTicketState", {"id": ticket["id"]}, stranger.access_token
    )
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_time_slots(api: Api, unique_email) -> None:
    client = api.client
    court = await resource(api.services)
    a, b = await new_user(client, unique_email()), await new_user(client, unique_email())
    slot = {
        "resourceId": str(court),
        "startsAt": "2027-03-01T10:00:00+09:00",
        "endsAt": "2027-03-01T11:00:00+09:00",
    }
    first = (
        await run(
            client, "RequestReservation", {"input": {**slot, "idempotencyKey": "x"}}, a.access_token
        )
    )["data"]["requestReservation"]["ticket"]
    second = (
        await run(
            client, "RequestReservation", {"input": {**slot, "idempotencyKey": "y"}}, b.access_token
        )
    )["data"]["requestReservation"]["ticket"]
    assert (await settled(client, first["id"], a.access_token))["state"] == "CONFIRMED"
    taken = await settled(client, second["id"], b.access_token)
    assert (taken["state"], taken["reason"]) == ("REJECTED", "SLOT_TAKEN")
    mine = (await run(client, "MyReservations", {"first": 5}, a.access_token))["data"][
        "myReservations"
    ]["edges"]
    assert mine[0]["node"]["startsAt"].startswith("2027-03-01T01:00:00")
    bad = await run(
        client,
        "RequestReservation",
        {"input": {**slot, "endsAt": slot["startsAt"], "idempotencyKey": "z"}},
        a.access_token,
    )
    assert bad["errors"][0]["extensions"]["code"] == "VALIDATION"


async def test_concert_hold_pay_and_seat_map(api: Api, unique_email) -> None:
    client = api.client
    fan = await new_user(client, unique_email())
    event_id, seats = await _event(api, opens=timedelta(minutes=-5), closes=timedelta(hours=1))
    event = (await run(client, "Event", {"id": event_id}, fan.access_token))["data"]["event"]
    assert event["state"] == "OPEN" and {s["status"] for s in event["seats"]} == {"AVAILABLE"}
    async with client.socket() as watcher:  # the seat map is public
        await watcher.subscribe(DOC, {"eventId": event_id}, operation="SeatMap")
        await subscribed(api.services, seat_map_topic(event_id))
        ticket = await hold(client, event_id, seats[:2], fan.access_token, "h")
        assert ticket["state"] == "CONFIRMED" and ticket["reservation"]["status"] == "HELD"
        changes = {
            (await watcher.receive())["payload"]["data"]["seatMap"]["seatId"] for _ in range(2)
        }
        assert changes == set(seats[:2])
        paid = await run(
            client,
            "PayReservation",
            {
                "reservationId": ticket["reservation"]["id"],
                "paymentMethod": "card",
                "idempotencyKey": "p",
            },
            fan.access_token,
        )
        assert paid["data"]["payReservation"]["reservation"]["status"] == "PAID"
        sold = [(await watcher.receive())["payload"]["data"]["seatMap"] for _ in range(2)]
        assert {s["status"] for s in sold} == {"SOLD"}
    rival = await new_user(client, unique_email())
    assert (await hold(client, event_id, seats[1:3], rival.access_token, "h2"))[
        "reason"
    ] == "SEAT_TAKEN"


async def test_payment_after_the_due_time_releases_the_seats(api: Api, unique_email) -> None:
    client = api.client
    fan = await new_user(client, unique_email())
    event_id, seats = await _event(api, opens=timedelta(minutes=-5), closes=timedelta(hours=1))
    reservation_id = (await hold(client, event_id, seats[:1], fan.access_token, "h"))[
        "reservation"
    ]["id"]
    await overdue(api.services, reservation_id=reservation_id)
    late = await run(
        client,
        "PayReservation",
        {"reservationId": reservation_id, "paymentMethod": "card", "idempotencyKey": "p"},
        fan.access_token,
    )
    assert (late["errors"][0]["extensions"]["code"], late["errors"][0]["extensions"]["reason"]) == (
        "VALIDATION",
        "PAYMENT_WINDOW_CLOSED",
    )
    event = (await run(client, "Event", {"id": event_id}, fan.access_token))["data"]["event"]
    assert next(s for s in event["seats"] if s["id"] == seats[0])["status"] == "AVAILABLE"


async def test_unpaid_holds_expire_and_closed_booking_refuses_holds(api: Api, unique_email) -> None:
    client = api.client
    fan = await new_user(client, unique_email())
    event_id, seats = await _event(api, opens=timedelta(minutes=-5), closes=timedelta(hours=1))
    reservation_id = (await hold(client, event_id, seats[:1], fan.access_token, "h"))[
        "reservation"
    ]["id"]
    event = (await run(client, "Event", {"id": event_id}, fan.access_token))["data"]["event"]
    assert event["state"] == "OPEN"
    await close_booking(api.services, event_id)
    event = (await run(client, "Event", {"id": event_id}, fan.access_token))["data"]["event"]
    assert event["state"] == "CLOSED"
    closed = await run(
        client,
        "HoldSeats",
        {"eventId": event_id, "seatIds": seats[1:2], "idempotencyKey": "h2"},
        fan.access_token,
    )
    assert (
        closed["errors"][0]["extensions"]["code"],
        closed["errors"][0]["extensions"]["reason"],
    ) == ("VALIDATION", "BOOKING_CLOSED")
    # The holder can still pay after booking closed, within the payment window.
    paid = await run(
        client,
        "PayReservation",
        {"reservationId": reservation_id, "paymentMethod": "card", "idempotencyKey": "p"},
        fan.access_token,
    )
    assert paid["data"]["payReservation"]["reservation"]["status"] == "PAID"
    # A hold nobody pays: the scheduled job (in-process worker) releases it.
    other_event, other_seats = await _event(
        api, opens=timedelta(minutes=-5), closes=timedelta(hours=1)
    )
    unpaid = (await hold(client, other_event, other_seats[:1], fan.access_token, "h3"))[
        "reservation"
    ]["id"]
    await overdue(api.services, reservation_id=unpaid)

    async def released() -> bool:
        event = (await run(client, "Event", {"id": other_event}, fan.access_token))["data"]["event"]
        return event["seats"][0]["status"] == "AVAILABLE"

    await eventually(released, what="the expiry job releasing the unpaid hold")
