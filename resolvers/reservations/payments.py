"""Paying a held reservation (RES-4, ORD-4, API-6): money is never kept without the seats.

1. One transaction claims the idempotency key, checks the hold (HELD, before its due time)
   and writes a PENDING payment — the durable intent — then commits: no lock is held while
   the provider is called, and a crash from here on leaves a row the reconciler finds.
2. The provider is charged under the payment's own key (`reservation-payment:<payment id>`,
   reference = the payment id), so asking again can never charge twice.
3. Settling, under the payment's and the reservation's row locks: still HELD → seats SOLD,
   payment CHARGED; the hold expired meanwhile (the expiry job runs every second) → payment
   REFUNDING, the charge is cancelled, the caller gets CONFLICT HOLD_EXPIRED.

An unknown answer (timeout, 5xx) or a crash leaves the payment PENDING; `reconcile_due` (a
periodic job) asks the provider under the same key and settles it the same way. The key's
result is written when the payment settles, so a replay gets the final outcome.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, DomainError, NotFound, Unavailable, ValidationFailed
from persistence.models.reservations import Event, Reservation, ReservationPayment, Seat
from persistence.providers.payments import Charge, PaymentRejected, ProviderUnavailable
from resolvers import idempotency
from resolvers.identity import audit
from resolvers.reservations.concerts import publish_seats, release
from resolvers.validation import parse_id, required_text
from workflows.alerts import raise_alert

_log = logging.getLogger(__name__)
# A payment nobody settled is looked at this long after the provider's timeout; an unanswered
# charge is given up as "never happened" only after SETTLE_HORIZON (late requests have landed).
CHECK_AFTER = timedelta(seconds=1)
SETTLE_HORIZON = timedelta(minutes=5)
MAX_BACKOFF_SECONDS = 300
ALERT_AFTER_ATTEMPTS = 20
BATCH = 20


def hold_expired(refunded: bool) -> Conflict:
    outcome = "the payment is refunded automatically" if refunded else "nothing was charged"
    return Conflict(
        f"the hold on these seats expired before the payment completed; {outcome}",
        reason="HOLD_EXPIRED",
        field="reservationId",
    )


def window_closed() -> ValidationFailed:
    return ValidationFailed(
        "the payment window has closed", reason="PAYMENT_WINDOW_CLOSED", field="reservationId"
    )


def rejected() -> ValidationFailed:
    return ValidationFailed(
        "the payment was refused; the booking is cancelled and its seats released",
        reason="PAYMENT_REJECTED",
        field="paymentMethod",
    )


async def pay(
    services: Any,
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    reservation_id: str,
    method: str,
    idempotency_key: str,
) -> Reservation:
    """Before paymentDueAt: charge and the seats are SOLD; after it: released, VALIDATION."""
    claimed = await idempotency.claim(
        session,
        caller=user_id,
        operation="payReservation",
        key=idempotency_key,
        request={"reservationId": reservation_id, "paymentMethod": method},
    )
    if claimed.replayed:
        return await _reservation(session, claimed.first_result())
    rid = parse_id(reservation_id, "reservationId")
    method = required_text(method, "paymentMethod", 40)
    reservation = await session.get(Reservation, rid, with_for_update=True)
    if reservation is None or reservation.user_id != user_id or reservation.event_id is None:
        raise NotFound("no such reservation", field="reservationId")
    if reservation.status == "PAID":  # paid already, under another key
        await idempotency.remember(session, claimed, str(rid))
        await session.commit()
        return reservation
    if reservation.status != "HELD" or _now() >= reservation.payment_due_at:
        changes = (
            await release(session, reservation, "EXPIRED") if reservation.status == "HELD" else []
        )
        await idempotency.remember_error(session, claimed, window_closed())
        await session.commit()
        await publish_seats(services.broker, changes)
        raise window_closed()
    live = await session.scalar(
        select(ReservationPayment.id).where(
            ReservationPayment.reservation_id == rid,
            ReservationPayment.status.in_(("PENDING", "CHARGED")),
        )
    )
    if live is not None:
        raise Conflict(
            "a payment of this reservation is already under way",
            reason="PAYMENT_IN_PROGRESS",
            field="reservationId",
        )
    event = await session.get(Event, reservation.event_id)
    assert event is not None
    payment = ReservationPayment(
        id=uuid.uuid4(),
        reservation_id=rid,
        user_id=user_id,
        idempotency_id=claimed.id,
        amount=event.price_amount * reservation.quantity,
        currency=event.currency,
        method=method,
        status="PENDING",
        next_check_at=_now()
        + timedelta(seconds=services.settings.payment_timeout_seconds)
        + CHECK_AFTER,
    )
    session.add(payment)
    await session.commit()  # the durable intent, before any money moves
    await services.faults.hit("RESERVATION_PAYMENT:charge:before")
    try:
        charge = await _charge(services, payment)
    except PaymentRejected:
        await _settle_failed(services, payment.id, rejected(), cancel_booking=True)
        raise rejected() from None
    except ProviderUnavailable:
        raise Unavailable(
            "the payment's outcome is not known yet and is being checked; "
            "ask again with the same idempotencyKey",
            reason="PAYMENT_PENDING",
            extra={"retryable": True},
        ) from None
    await services.faults.hit("RESERVATION_PAYMENT:charge:after")
    return await settle_charged(services, payment.id, charge.id)


async def _reservation(session: AsyncSession, reservation_id: str) -> Reservation:
    reservation = await session.get(Reservation, uuid.UUID(reservation_id))
    assert reservation is not None
    return reservation


async def _charge(services: Any, payment: ReservationPayment) -> Charge:
    return await services.payments.charge(
        amount=payment.amount,
        currency=payment.currency,
        method=payment.method,
        reference=str(payment.id),
        key=f"reservation-payment:{payment.id}",
    )


async def settle_charged(services: Any, payment_id: uuid.UUID, reference: str) -> Reservation:
    """The provider holds the money: seats SOLD if still held, else the charge is cancelled
    and HOLD_EXPIRED raised. Safe to run twice (the payment row decides once)."""
    async with services.db.unit_of_work() as session:
        # Locks in the order every path takes (reservation, then payment): no deadlock with
        # a cancellation batch or the expiry job.
        reservation_id = await session.scalar(
            select(ReservationPayment.reservation_id).where(ReservationPayment.id == payment_id)
        )
        reservation = await session.get(Reservation, reservation_id, with_for_update=True)
        payment = await session.get(ReservationPayment, payment_id, with_for_update=True)
        assert reservation is not None and payment is not None
        if payment.status == "CHARGED":
            return reservation
        if payment.status in ("PENDING", "FAILED"):
            payment.provider_reference, payment.updated_at = reference, _now()
            if payment.status == "PENDING" and reservation.status == "HELD":
                return await _sell(services, session, payment, reservation)
            # The seats went meanwhile (or the payment was given up): the money goes back.
            payment.status, payment.next_check_at = "REFUNDING", _now()
            if payment.idempotency_id is not None:
                await idempotency.remember_error(
                    session, payment.idempotency_id, hold_expired(refunded=True)
                )
            audit.record(
                session,
                "reservations.payment_without_seats",
                subject_type="reservation",
                subject_id=str(reservation.id),
                actor=payment.user_id,
                data={"payment": str(payment.id), "amount": str(payment.amount)},
            )
            await session.commit()
    await refund(services, payment_id)
    raise hold_expired(refunded=True)


async def _sell(
    services: Any, session: AsyncSession, payment: ReservationPayment, reservation: Reservation
) -> Reservation:
    payment.status = "CHARGED"
    reservation.status = "PAID"
    await session.execute(
        update(Seat).where(Seat.reservation_id == reservation.id).values(status="SOLD")
    )
    audit.record(
        session,
        "reservations.paid",
        subject_type="reservation",
        subject_id=str(reservation.id),
        actor=payment.user_id,
        data={"amount": str(payment.amount), "payment": str(payment.id)},
    )
    if payment.idempotency_id is not None:
        await idempotency.remember(session, payment.idempotency_id, str(reservation.id))
    sold = [
        (str(reservation.event_id), str(seat), "SOLD")
        for seat in await session.scalars(
            select(Seat.id).where(Seat.reservation_id == reservation.id)
        )
    ]
    await session.commit()
    await publish_seats(services.broker, sold)
    return reservation


async def _settle_failed(
    services: Any, payment_id: uuid.UUID, error: DomainError, *, cancel_booking: bool = False
) -> None:
    """Nothing was charged: the payment ends FAILED and a replay gets `error` again. A refused
    payment also cancels the booking and releases its seats (RES-4)."""
    changes: list[tuple[str, str, str]] = []
    async with services.db.unit_of_work() as session:
        reservation_id = await session.scalar(
            select(ReservationPayment.reservation_id).where(ReservationPayment.id == payment_id)
        )
        # Reservation, then payment: the lock order every settling path takes.
        reservation = await session.get(Reservation, reservation_id, with_for_update=True)
        payment = await session.get(ReservationPayment, payment_id, with_for_update=True)
        assert payment is not None and reservation is not None
        if payment.status != "PENDING":
            return
        payment.status, payment.updated_at = "FAILED", _now()
        if payment.idempotency_id is not None:
            await idempotency.remember_error(session, payment.idempotency_id, error)
        if cancel_booking and reservation.status == "HELD":
            changes = await release(session, reservation, "CANCELLED")
            audit.record(
                session,
                "reservations.payment_failed",
                subject_type="reservation",
                subject_id=str(reservation.id),
                actor=payment.user_id,
                data={"payment": str(payment.id), "outcome": "BOOKING_CANCELLED"},
            )
        await session.commit()
    await publish_seats(services.broker, changes)


async def refund(services: Any, payment_id: uuid.UUID) -> bool:
    """Cancel a REFUNDING payment's charge (idempotent by key); False if the provider did not
    answer (the reconciler tries again)."""
    async with services.db.unit_of_work() as session:
        payment = await session.get(ReservationPayment, payment_id)
        if payment is None or payment.status != "REFUNDING":
            return True
        reference = payment.provider_reference
    try:
        await services.payments.cancel(reference, key=f"reservation-refund:{payment_id}")
    except ProviderUnavailable:
        return False
    async with services.db.unit_of_work() as session:
        changed = await session.scalar(
            update(ReservationPayment)
            .where(ReservationPayment.id == payment_id, ReservationPayment.status == "REFUNDING")
            .values(status="REFUNDED", updated_at=_now())
            .returning(ReservationPayment.reservation_id)
        )
        if changed is not None:
            audit.record(
                session,
                "reservations.payment_refunded",
                subject_type="reservation",
                subject_id=str(changed),
                data={"payment": str(payment_id)},
            )
        await session.commit()
    return True


async def refund_later(session: AsyncSession, reservation_id: uuid.UUID) -> None:
    """A paid reservation is cancelled (in the caller's transaction): its charge is handed to
    the reconciler, which cancels it at the provider."""
    await session.execute(
        update(ReservationPayment)
        .where(
            ReservationPayment.reservation_id == reservation_id,
            ReservationPayment.status == "CHARGED",
        )
        .values(status="REFUNDING", next_check_at=_now(), updated_at=_now())
    )


# --- the reconciler --------------------------------------------------------------------------


async def reconcile_due(services: Any, now: datetime | None = None) -> int:
    """Scheduled: settle payments whose answer never came (timeout, crash) and finish refunds
    the provider did not take. Returns how many payments were looked at."""
    now = now or _now()
    async with services.db.unit_of_work() as session:
        due = list(
            await session.scalars(
                select(ReservationPayment)
                .where(
                    ReservationPayment.status.in_(("PENDING", "REFUNDING")),
                    ReservationPayment.next_check_at <= now,
                )
                .order_by(ReservationPayment.next_check_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for payment in due:  # leased until the backoff: another worker skips them meanwhile
            payment.attempts += 1
            delay = min(2**payment.attempts, MAX_BACKOFF_SECONDS)
            payment.next_check_at = now + timedelta(seconds=delay)
            if payment.attempts == ALERT_AFTER_ATTEMPTS:
                raise_alert(
                    session,
                    "RESERVATION_PAYMENT_UNSETTLED",
                    payment=str(payment.id),
                    status=payment.status,
                )
        await session.commit()
    for payment in due:
        try:
            await _reconcile(services, payment, now)
        except DomainError:
            pass  # settled with an outcome for the customer (HOLD_EXPIRED, rejected)
        except ProviderUnavailable:
            _log.info("payment provider still unavailable", extra={"payment": str(payment.id)})
    return len(due)


async def _reconcile(services: Any, payment: ReservationPayment, now: datetime) -> None:
    if payment.status == "REFUNDING":
        await refund(services, payment.id)
        return
    async with services.db.unit_of_work() as session:
        held = await session.scalar(
            select(Reservation.status).where(Reservation.id == payment.reservation_id)
        )
    if held == "HELD":  # the customer asked to pay and the seats wait: ask again, same key
        try:
            charge = await _charge(services, payment)
        except PaymentRejected:
            await _settle_failed(services, payment.id, rejected(), cancel_booking=True)
            return
        await settle_charged(services, payment.id, charge.id)
        return
    found = [c for c in await services.payments.find(str(payment.id)) if c.status == "SUCCEEDED"]
    if found:
        await settle_charged(services, payment.id, found[0].id)
    elif now - payment.created_at >= SETTLE_HORIZON:
        await _settle_failed(services, payment.id, hold_expired(refunded=False))


def _now() -> datetime:
    return datetime.now(UTC)
