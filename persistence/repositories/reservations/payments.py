"""SQL of payments for held seats (RES-4). Every function runs in its caller's transaction
and never commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.models.reservations import Reservation, ReservationPayment


async def live_payment(session: AsyncSession, reservation_id: uuid.UUID) -> uuid.UUID | None:
    """A payment of the reservation still under way or done (PENDING or CHARGED)."""
    return await session.scalar(
        select(ReservationPayment.id).where(
            ReservationPayment.reservation_id == reservation_id,
            ReservationPayment.status.in_(("PENDING", "CHARGED")),
        )
    )


async def lock_with_reservation(
    session: AsyncSession, payment_id: uuid.UUID
) -> tuple[Reservation, ReservationPayment]:
    """The payment and its reservation, locked in the order every path takes (reservation,
    then payment): no deadlock with a cancellation batch or the expiry job."""
    reservation_id = await session.scalar(
        select(ReservationPayment.reservation_id).where(ReservationPayment.id == payment_id)
    )
    reservation = await session.get(Reservation, reservation_id, with_for_update=True)
    payment = await session.get(ReservationPayment, payment_id, with_for_update=True)
    assert reservation is not None and payment is not None, "a payment has its reservation"
    return reservation, payment


async def get_payment(session: AsyncSession, payment_id: uuid.UUID) -> ReservationPayment | None:
    return await session.get(ReservationPayment, payment_id)


async def reservation_status(session: AsyncSession, reservation_id: uuid.UUID) -> str | None:
    return await session.scalar(select(Reservation.status).where(Reservation.id == reservation_id))


async def mark_refunded(
    session: AsyncSession, payment_id: uuid.UUID, now: datetime
) -> uuid.UUID | None:
    """REFUNDING -> REFUNDED; the reservation's id, or None if it was not REFUNDING."""
    return await session.scalar(
        update(ReservationPayment)
        .where(ReservationPayment.id == payment_id, ReservationPayment.status == "REFUNDING")
        .values(status="REFUNDED", updated_at=now)
        .returning(ReservationPayment.reservation_id)
    )


async def refund_charged(session: AsyncSession, reservation_id: uuid.UUID, now: datetime) -> None:
    """The reservation's charged payment goes to the reconciler to be cancelled."""
    await session.execute(
        update(ReservationPayment)
        .where(
            ReservationPayment.reservation_id == reservation_id,
            ReservationPayment.status == "CHARGED",
        )
        .values(status="REFUNDING", next_check_at=now, updated_at=now)
    )


async def lease_due(session: AsyncSession, now: datetime, limit: int) -> list[ReservationPayment]:
    """Unsettled payments whose check is due, locked (SKIP LOCKED: workers side by side)."""
    rows = await session.scalars(
        select(ReservationPayment)
        .where(
            ReservationPayment.status.in_(("PENDING", "REFUNDING")),
            ReservationPayment.next_check_at <= now,
        )
        .order_by(ReservationPayment.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)
