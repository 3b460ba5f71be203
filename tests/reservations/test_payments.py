"""Paying for held seats (RES-4, ORD-4): money is never kept without the seats, whatever the
provider does (slow, timeout, 5xx) or wherever the request dies; the provider's own ledger is
the witness."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, update

from persistence.models.reservations import Reservation, ReservationPayment, Seat
from resolvers.reservations import booking
from resolvers.reservations.concerts import expire_holds
from resolvers.reservations.payments import reconcile_due
from resolvers.reservations.requests import request_cancellation
from stand_ins.process import StandIn
from tests.accounts import LoggedIn, new_user
from tests.conftest import Api
from tests.contract.test_reservations_contract import DOC, _event
from tests.reservations.helpers import held

LATER = timedelta(minutes=10)  # past every retry delay and the settle horizon


class Fan:
    def __init__(self, api: Api, provider: StandIn, user: LoggedIn, reservation_id: str) -> None:
        self.api, self.provider, self.user, self.reservation_id = (
            api,
            provider,
            user,
            reservation_id,
        )

    @property
    def services(self):  # type: ignore[no-untyped-def]
        return self.api.services

    async def pay(self, key: str = "pay-1", method: str = "card") -> dict:
        return await self.api.client.post(
            DOC,
            {"reservationId": self.reservation_id, "paymentMethod": method, "idempotencyKey": key},
            operation="PayReservation",
            token=self.user.access_token,
        )

    async def payments(self) -> list[tuple[uuid.UUID, str]]:
        """(id, status) of this reservation's payments."""
        async with self.services.db.transaction() as uow:
            session = uow.session
            rows = await session.execute(
                select(ReservationPayment.id, ReservationPayment.status).where(
                    ReservationPayment.reservation_id == uuid.UUID(self.reservation_id)
                )
            )
            return [(row.id, row.status) for row in rows]

    async def charges(self) -> list[dict]:
        """What the provider holds for this reservation's payments."""
        found = []
        async with httpx.AsyncClient(base_url=self.provider.url) as http:
            for payment_id, _ in await self.payments():
                answer = await http.get("/v1/charges", params={"reference": str(payment_id)})
                found += answer.json()["charges"]
        return found

    async def kept(self) -> Decimal:
        return sum(
            (Decimal(c["amount"]) for c in await self.charges() if c["status"] == "SUCCEEDED"),
            Decimal(0),
        )

    async def state(self) -> tuple[str, set[str]]:
        """The reservation's status and its seats' statuses."""
        async with self.services.db.transaction() as uow:
            session = uow.session
            reservation = await session.get(Reservation, uuid.UUID(self.reservation_id))
            assert reservation is not None
            seats = set(
                await session.scalars(
                    select(Seat.status).where(Seat.event_id == reservation.event_id)
                )
            )
            return reservation.status, seats

    async def expire_hold(self) -> None:
        """The hold's due time passes and the expiry job runs."""
        async with self.services.db.transaction() as uow:
            session = uow.session
            await session.execute(
                update(Reservation)
                .where(Reservation.id == uuid.UUID(self.reservation_id))
                .values(payment_due_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        assert await expire_holds(self.services.db) == 1

    async def fault(self, mode: str, times: int = 1, seconds: float = 3) -> None:
        async with httpx.AsyncClient(base_url=self.provider.url) as http:
            await http.post(
                "/_faults",
                json={"operation": "charge", "mode": mode, "times": times, "seconds": seconds},
            )

    async def reconcile(self) -> None:
        await reconcile_due(self.services, datetime.now(UTC) + LATER)


@pytest.fixture
async def fan(quiet: Api, payment_provider: StandIn, unique_email) -> Fan:  # type: ignore[no-untyped-def]
    """A customer holding two seats (made directly: no queue worker runs here)."""
    event_id, seats = await _event(quiet, opens=timedelta(minutes=-1), closes=timedelta(hours=1))
    user = await new_user(quiet.client, unique_email())
    reservation_id = await held(quiet.services, uuid.UUID(user.user_id), event_id, seats[:2])
    yield Fan(quiet, payment_provider, user, str(reservation_id))
    async with httpx.AsyncClient(base_url=payment_provider.url) as http:
        await http.delete("/_faults")


def error_of(result: dict) -> tuple[str, str | None]:
    extensions = result["errors"][0]["extensions"]
    return extensions["code"], extensions.get("reason")


async def test_hold_expiring_during_a_slow_charge_is_refunded(fan: Fan) -> None:
    """The provider takes 1.5 s; the hold expires meanwhile: the customer gets HOLD_EXPIRED and
    the charge is cancelled at once (today's bug: success, money taken, seats released)."""
    await fan.fault("delay", seconds=1.5)
    paying = asyncio.create_task(fan.pay())
    while not await fan.payments():  # the durable intent is written before the provider call
        await asyncio.sleep(0.02)
    await fan.expire_hold()
    answer = await paying
    assert error_of(answer) == ("CONFLICT", "HOLD_EXPIRED")
    assert "refunded" in answer["errors"][0]["message"]
    assert [c["status"] for c in await fan.charges()] == ["CANCELLED"]
    assert await fan.kept() == 0
    assert [status for _, status in await fan.payments()] == ["REFUNDED"]
    assert await fan.state() == ("EXPIRED", {"AVAILABLE"})
    assert error_of(await fan.pay()) == ("CONFLICT", "HOLD_EXPIRED")  # a replay: the same answer


async def test_a_refused_payment_cancels_the_booking_and_releases_the_seats(fan: Fan) -> None:
    """RES-4: the card is declined: nothing is charged, the booking is cancelled, its seats are
    free for others at once, and a replay of the key gives the same refusal."""
    await fan.fault("decline")
    answer = await fan.pay()
    assert error_of(answer) == ("VALIDATION", "PAYMENT_REJECTED")
    assert await fan.kept() == 0
    assert [status for _, status in await fan.payments()] == ["FAILED"]
    assert await fan.state() == ("CANCELLED", {"AVAILABLE"})
    assert error_of(await fan.pay()) == ("VALIDATION", "PAYMENT_REJECTED")
    assert error_of(await fan.pay(key="pay-2"))[0] in {"VALIDATION", "NOT_FOUND", "CONFLICT"}
    assert await fan.kept() == 0


async def test_a_timeout_is_reconciled_never_validation(fan: Fan) -> None:
    """The provider charges but answers after the client's timeout: the caller hears the outcome
    is pending (retryable), the reconciler asks the provider under the same key and the seats
    are sold with exactly one charge; a replay then returns the paid reservation."""
    await fan.fault("succeed_then_timeout", seconds=3)
    answer = await fan.pay()
    assert error_of(answer) == ("UNAVAILABLE", "PAYMENT_PENDING")
    assert answer["errors"][0]["extensions"]["retryable"] is True
    await fan.reconcile()
    assert await fan.state() == ("PAID", {"SOLD", "AVAILABLE"})
    assert [c["status"] for c in await fan.charges()] == ["SUCCEEDED"]
    replay = await fan.pay()
    assert replay["data"]["payReservation"]["reservation"]["status"] == "PAID"


@pytest.mark.parametrize(("mode", "charged"), [("succeed_then_timeout", True), ("fail", False)])
async def test_unknown_outcome_and_expired_hold_keep_no_money(
    fan: Fan, mode: str, charged: bool
) -> None:
    """Timeout (the charge happened) or 5xx (it did not), then the hold expires before anyone
    knows: the reconciler cancels a charge it finds and, past the settle horizon, gives up on
    one that never came; either way no money is kept and a replay says HOLD_EXPIRED."""
    await fan.fault(mode, seconds=3)
    assert error_of(await fan.pay()) == ("UNAVAILABLE", "PAYMENT_PENDING")
    await fan.expire_hold()
    await fan.reconcile()
    assert [c["status"] for c in await fan.charges()] == (["CANCELLED"] if charged else [])
    assert [status for _, status in await fan.payments()] == ["REFUNDED" if charged else "FAILED"]
    assert await fan.kept() == 0
    assert error_of(await fan.pay()) == ("CONFLICT", "HOLD_EXPIRED")


@pytest.mark.parametrize("phase", ["before", "after"])
async def test_a_request_dying_around_the_charge_leaves_no_charge_without_seats(
    fan: Fan, phase: str
) -> None:
    """The request dies just before or just after the provider call: the durable intent lets
    the reconciler finish the payment, with exactly one charge."""
    await fan.services.faults.arm(f"RESERVATION_PAYMENT:charge:{phase}", "error")
    assert error_of(await fan.pay())[0] == "INTERNAL"
    assert [status for _, status in await fan.payments()] == ["PENDING"]
    await fan.reconcile()
    assert await fan.state() == ("PAID", {"SOLD", "AVAILABLE"})
    assert [c["status"] for c in await fan.charges()] == ["SUCCEEDED"]
    assert (await fan.pay())["data"]["payReservation"]["reservation"]["status"] == "PAID"


async def test_twenty_concurrent_payments_with_one_key_charge_once(fan: Fan) -> None:
    results = await asyncio.gather(*(fan.pay() for _ in range(20)))
    assert [r["data"]["payReservation"]["reservation"]["status"] for r in results] == ["PAID"] * 20
    assert [c["status"] for c in await fan.charges()] == ["SUCCEEDED"]
    assert await fan.kept() == Decimal("110000.00")  # two seats at 55,000
    reused = await fan.pay(method="bank")
    assert error_of(reused) == ("CONFLICT", "IDEMPOTENCY_KEY_REUSED")


async def test_cancelling_a_paid_reservation_refunds_it_and_frees_the_seats(fan: Fan) -> None:
    """RES-3 for concerts: the cancellation (decided by the queue's batch) releases the seats
    and hands the charge to the reconciler, which cancels it at the provider."""
    assert (await fan.pay())["data"]["payReservation"]["reservation"]["status"] == "PAID"
    ticket = await request_cancellation(
        fan.services.db,
        fan.services.tickets,
        uuid.UUID(fan.user.user_id),
        reservation_id=fan.reservation_id,
        idempotency_key="cancel-1",
    )
    async with fan.services.db.transaction() as uow:
        outcome = await booking.decide(uow, [ticket])
    assert [d.state for d in outcome.decisions] == ["CONFIRMED"]
    assert await fan.state() == ("CANCELLED", {"AVAILABLE"})
    await fan.reconcile()
    assert [status for _, status in await fan.payments()] == ["REFUNDED"]
    assert [c["status"] for c in await fan.charges()] == ["CANCELLED"]
