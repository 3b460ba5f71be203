"""Paying a held reservation (RES-4, ORD-4, API-6): money is never kept without the seats.

Paying is a small workflow whose steps are each their own unit of work (`db.transaction()`),
because the provider is called between them and no transaction may stay open over that call:
1. Intent: one transaction claims the idempotency key, checks the hold (HELD, before its due
   time) and writes a PENDING payment — the durable intent — and commits: no lock is held
   while the provider is called, and a crash from here on leaves a row the reconciler finds.
2. The provider is charged under the payment's own key (`reservation-payment:<payment id>`,
   reference = the payment id), so asking again can never charge twice. No transaction.
3. Settling, one transaction under the payment's and the reservation's row locks: still HELD
   → seats SOLD, payment CHARGED; the hold expired meanwhile (the expiry job runs every
   second) → payment REFUNDING, then the charge is cancelled (step 2 again, then a transaction
   marking it REFUNDED) and the caller gets CONFLICT HOLD_EXPIRED.

The mutation runs the steps one after another and answers with the outcome; it writes
nothing into the request's own unit of work. An unknown answer (timeout, 5xx) or a crash
leaves the payment PENDING; `reconcile_due` (a periodic job) asks the provider under the same
key and settles it with the same steps. The key's result is written when the payment
settles, so a replay gets the final outcome. Seat-map changes go to the outbox in the step
that makes them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import Conflict, DomainError, NotFound, Unavailable, ValidationFailed
from persistence.models.reservations import Reservation, ReservationPayment
from persistence.providers.payments import Charge, PaymentRejected, ProviderUnavailable
from persistence.repositories.reservations import concerts as seats
from persistence.repositories.reservations import payments as repo
from persistence.repositories.reservations import queue
from persistence.unit_of_work import UnitOfWork
from resolvers import idempotency
from resolvers.identity import audit
from resolvers.reservations.concerts import announce_seats, release
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


@dataclass(frozen=True)
class Intent:
    """What step 1 decided: a payment to charge, or a final answer (a reservation or an error
    that was committed with the key, so a replay gets it again)."""

    payment: ReservationPayment | None = None
    reservation: Reservation | None = None
    error: DomainError | None = None


async def pay(
    services: Any,
    user_id: uuid.UUID,
    *,
    reservation_id: str,
    method: str,
    idempotency_key: str,
) -> Reservation:
    """Before paymentDueAt: charge and the seats are SOLD; after it: released, VALIDATION."""
    intent = await _record_intent(
        services,
        user_id,
        reservation_id=reservation_id,
        method=method,
        idempotency_key=idempotency_key,
    )
    if intent.error is not None:
        raise intent.error
    if intent.payment is None:
        assert intent.reservation is not None
        return intent.reservation
    payment = intent.payment
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


async def _record_intent(
    services: Any,
    user_id: uuid.UUID,
    *,
    reservation_id: str,
    method: str,
    idempotency_key: str,
) -> Intent:
    """Step 1, its own unit of work. Errors raised here roll everything back (the key too);
    an error returned in the intent is committed with the key first."""
    async with services.db.transaction() as uow:
        session = uow.session
        claimed = await idempotency.claim(
            session,
            caller=user_id,
            operation="payReservation",
            key=idempotency_key,
            request={"reservationId": reservation_id, "paymentMethod": method},
        )
        if claimed.replayed:
            return Intent(reservation=await _reservation(uow, claimed.first_result()))
        rid = parse_id(reservation_id, "reservationId")
        method = required_text(method, "paymentMethod", 40)
        reservation = await queue.lock_reservation(session, rid)
        if reservation is None or reservation.user_id != user_id or reservation.event_id is None:
            raise NotFound("no such reservation", field="reservationId")
        if reservation.status == "PAID":  # paid already, under another key
            await idempotency.remember(session, claimed, str(rid))
            return Intent(reservation=reservation)
        if reservation.status != "HELD" or _now() >= reservation.payment_due_at:
            if reservation.status == "HELD":
                announce_seats(uow, await release(uow, reservation, "EXPIRED"))
            await idempotency.remember_error(session, claimed, window_closed())
            return Intent(error=window_closed())
        if await repo.live_payment(session, rid) is not None:
            raise Conflict(
                "a payment of this reservation is already under way",
                reason="PAYMENT_IN_PROGRESS",
                field="reservationId",
            )
        event = await seats.get_event(session, reservation.event_id)
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
        return Intent(payment=payment)  # committed: the durable intent, before any money moves


async def _reservation(uow: UnitOfWork, reservation_id: str) -> Reservation:
    reservation = await queue.get_reservation(uow.session, uuid.UUID(reservation_id))
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
    """Step 3: the provider holds the money: seats SOLD if still held, else the charge is
    cancelled and HOLD_EXPIRED raised. Safe to run twice (the payment row decides once)."""
    async with services.db.transaction() as uow:
        reservation, payment = await repo.lock_with_reservation(uow.session, payment_id)
        if payment.status == "CHARGED":
            return reservation
        if payment.status in ("PENDING", "FAILED"):
            payment.provider_reference, payment.updated_at = reference, _now()
            if payment.status == "PENDING" and reservation.status == "HELD":
                return await _sell(uow, payment, reservation)
            # The seats went meanwhile (or the payment was given up): the money goes back.
            payment.status, payment.next_check_at = "REFUNDING", _now()
            if payment.idempotency_id is not None:
                await idempotency.remember_error(
                    uow.session, payment.idempotency_id, hold_expired(refunded=True)
                )
            audit.record(
                uow.session,
                "reservations.payment_without_seats",
                subject_type="reservation",
                subject_id=str(reservation.id),
                actor=payment.user_id,
                data={"payment": str(payment.id), "amount": str(payment.amount)},
            )
    await refund(services, payment_id)
    raise hold_expired(refunded=True)


async def _sell(
    uow: UnitOfWork, payment: ReservationPayment, reservation: Reservation
) -> Reservation:
    payment.status = "CHARGED"
    reservation.status = "PAID"
    sold = await seats.sell_seats(uow.session, reservation.id)
    audit.record(
        uow.session,
        "reservations.paid",
        subject_type="reservation",
        subject_id=str(reservation.id),
        actor=payment.user_id,
        data={"amount": str(payment.amount), "payment": str(payment.id)},
    )
    if payment.idempotency_id is not None:
        await idempotency.remember(uow.session, payment.idempotency_id, str(reservation.id))
    announce_seats(uow, [(str(reservation.event_id), str(seat), "SOLD") for seat in sold])
    return reservation


async def _settle_failed(
    services: Any, payment_id: uuid.UUID, error: DomainError, *, cancel_booking: bool = False
) -> None:
    """Nothing was charged: the payment ends FAILED and a replay gets `error` again. A refused
    payment also cancels the booking and releases its seats (RES-4). One unit of work."""
    async with services.db.transaction() as uow:
        reservation, payment = await repo.lock_with_reservation(uow.session, payment_id)
        if payment.status != "PENDING":
            return
        payment.status, payment.updated_at = "FAILED", _now()
        if payment.idempotency_id is not None:
            await idempotency.remember_error(uow.session, payment.idempotency_id, error)
        if cancel_booking and reservation.status == "HELD":
            announce_seats(uow, await release(uow, reservation, "CANCELLED"))
            audit.record(
                uow.session,
                "reservations.payment_failed",
                subject_type="reservation",
                subject_id=str(reservation.id),
                actor=payment.user_id,
                data={"payment": str(payment.id), "outcome": "BOOKING_CANCELLED"},
            )


async def refund(services: Any, payment_id: uuid.UUID) -> bool:
    """Cancel a REFUNDING payment's charge (idempotent by key); False if the provider did not
    answer (the reconciler tries again). The provider is called between two units of work."""
    async with services.db.transaction() as uow:
        payment = await repo.get_payment(uow.session, payment_id)
        if payment is None or payment.status != "REFUNDING":
            return True
        reference = payment.provider_reference
    try:
        await services.payments.cancel(reference, key=f"reservation-refund:{payment_id}")
    except ProviderUnavailable:
        return False
    async with services.db.transaction() as uow:
        changed = await repo.mark_refunded(uow.session, payment_id, _now())
        if changed is not None:
            audit.record(
                uow.session,
                "reservations.payment_refunded",
                subject_type="reservation",
                subject_id=str(changed),
                data={"payment": str(payment_id)},
            )
    return True


async def refund_later(uow: UnitOfWork, reservation_id: uuid.UUID) -> None:
    """A paid reservation is cancelled (in the caller's unit of work): its charge is handed to
    the reconciler, which cancels it at the provider."""
    await repo.refund_charged(uow.session, reservation_id, _now())


# --- the reconciler --------------------------------------------------------------------------


async def reconcile_due(services: Any, now: datetime | None = None) -> int:
    """Scheduled: settle payments whose answer never came (timeout, crash) and finish refunds
    the provider did not take. Returns how many payments were looked at."""
    now = now or _now()
    async with services.db.transaction() as uow:
        due = await repo.lease_due(uow.session, now, BATCH)
        for payment in due:  # leased until the backoff: another worker skips them meanwhile
            payment.attempts += 1
            delay = min(2**payment.attempts, MAX_BACKOFF_SECONDS)
            payment.next_check_at = now + timedelta(seconds=delay)
            if payment.attempts == ALERT_AFTER_ATTEMPTS:
                raise_alert(
                    uow.session,
                    "RESERVATION_PAYMENT_UNSETTLED",
                    payment=str(payment.id),
                    status=payment.status,
                )
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
    async with services.db.transaction() as uow:
        held = await repo.reservation_status(uow.session, payment.reservation_id)
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
