"""Reservations (RES-1..RES-6): stock-counted inventories, time-slot resources, concert events
with seats, the reservations themselves and the tickets that track queued requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import TSTZRANGE, UUID, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.base import Base, one_of
from persistence.models.catalog import MONEY

RESERVATION_STATUSES = ("CONFIRMED", "HELD", "PAID", "CANCELLED", "EXPIRED")
SEAT_STATUSES = ("AVAILABLE", "HELD", "SOLD", "BLOCKED")


class Inventory(Base):
    """Many users, one stock (RES-1): `available` can never go below zero."""

    __tablename__ = "reservation_inventory"
    __table_args__ = (CheckConstraint("available >= 0 AND available <= total", name="available"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    total: Mapped[int] = mapped_column(Integer)
    available: Mapped[int] = mapped_column(Integer)


class Resource(Base):
    """Something booked by time slot (a room, a court, a table)."""

    __tablename__ = "reservation_resource"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))


class Event(Base):
    """A concert (RES-4): holds only while booking is open; holders pay within the window."""

    __tablename__ = "reservation_event"
    __table_args__ = (
        CheckConstraint("booking_opens_at < booking_closes_at", name="window"),
        CheckConstraint("payment_window_minutes > 0", name="payment_window"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    booking_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    booking_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payment_window_minutes: Mapped[int] = mapped_column(Integer)
    price_amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))


class Seat(Base):
    __tablename__ = "reservation_seat"
    __table_args__ = (
        UniqueConstraint("event_id", "section", "label"),
        CheckConstraint(one_of("status", SEAT_STATUSES), name="status"),
        # A held or sold seat always names its reservation; a free one never does.
        CheckConstraint(
            "(status IN ('HELD', 'SOLD')) = (reservation_id IS NOT NULL)", name="holder"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_event.id", ondelete="CASCADE"), index=True
    )
    section: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), server_default="AVAILABLE")
    reservation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reservation_reservation.id"), index=True
    )


class Reservation(Base):
    __tablename__ = "reservation_reservation"
    __table_args__ = (
        CheckConstraint(one_of("status", RESERVATION_STATUSES), name="status"),
        CheckConstraint("quantity > 0", name="quantity"),
        # RES-2: two live bookings of one resource never overlap; the database enforces it.
        ExcludeConstraint(
            ("resource_id", "="),
            ("period", "&&"),
            name="ex_reservation_reservation_no_overlap",
            using="gist",
            where=text("status IN ('CONFIRMED', 'HELD', 'PAID')"),
        ),
        Index("ix_reservation_reservation_user", "user_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    # The ticket (queued request) that made it: re-processing a request finds it instead of booking twice.
    ticket_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_user.id"))
    status: Mapped[str] = mapped_column(String(12))
    inventory_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reservation_inventory.id"))
    quantity: Mapped[int] = mapped_column(Integer, server_default="1")
    resource_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reservation_resource.id"))
    period: Mapped[object | None] = mapped_column(TSTZRANGE)
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reservation_event.id"))
    payment_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CancelRequest(Base):
    """A cancellation applied once: its inventory return and the status change share a transaction."""

    __tablename__ = "reservation_cancel"
    __table_args__ = (UniqueConstraint("reservation_id"),)

    ticket_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    reservation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reservation_reservation.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


PAYMENT_STATUSES = ("PENDING", "CHARGED", "REFUNDING", "REFUNDED", "FAILED")


class ReservationPayment(Base):
    """A payment of a held reservation (RES-4, ORD-4), written before the provider is called:
    a crash or an unknown answer leaves a PENDING row that the reconciler settles (the seats
    become SOLD, or the charge is cancelled), so money is never kept without the seats."""

    __tablename__ = "reservation_payment"
    __table_args__ = (
        CheckConstraint(one_of("status", PAYMENT_STATUSES), name="status"),
        # At most one payment in flight or taken per reservation.
        Index(
            "uq_reservation_payment_live",
            "reservation_id",
            unique=True,
            postgresql_where=text("status IN ('PENDING', 'CHARGED')"),
        ),
        Index(
            "ix_reservation_payment_unsettled",
            "next_check_at",
            postgresql_where=text("status IN ('PENDING', 'REFUNDING')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    reservation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reservation_reservation.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # The payReservation call it answers (its result is written when the payment settles).
    idempotency_id: Mapped[int | None] = mapped_column(
        ForeignKey("idempotency_key.id", ondelete="SET NULL")
    )
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), server_default="PENDING")
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_check_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
