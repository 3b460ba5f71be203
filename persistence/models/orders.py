"""Orders tables (ORD-1..ORD-8, ID-14): shipping origins and their stock, carts, orders with
shipping, payments, points, and the persisted sagas that drive payment and refund."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.base import Base, one_of
from persistence.models.catalog import MONEY

ORIGIN_KINDS = ("LOGISTICS_CENTER", "ORG_HUB", "DEALER_HUB")
ORDER_STATUSES = ("PENDING", "PAID", "COMPLETED", "CANCELLED", "REFUNDED", "FAILED")
SAGA_STATES = ("RUNNING", "COMPENSATING", "COMPLETED", "COMPENSATED", "FAILED")
STEP_STATUSES = ("PENDING", "DONE", "FAILED", "COMPENSATED", "SKIPPED")
HUB_CODE_PATTERN = "^[A-Z0-9][A-Z0-9-]{1,39}$"


class ShippingOrigin(Base):
    __tablename__ = "order_shipping_origin"
    __table_args__ = (
        CheckConstraint(one_of("kind", ORIGIN_KINDS), name="kind"),
        CheckConstraint(f"code ~ '{HUB_CODE_PATTERN}'", name="code_format"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    primary: Mapped[bool] = mapped_column(
        server_default="false"
    )  # where catalog stock changes land
    # HUB management (ORD-7): a unique code, the owning department or dealer, where it is.
    code: Mapped[str] = mapped_column(
        String(40),
        unique=True,
        server_default=text("'HUB-' || upper(substr(md5(gen_random_uuid()::text), 1, 12))"),
    )
    owner: Mapped[str] = mapped_column(String(100), server_default="")
    location: Mapped[str] = mapped_column(String(200), server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OriginManager(Base):
    """Who runs a HUB (the marketing team for organisation HUBs, a dealer for dealer HUBs)."""

    __tablename__ = "order_origin_manager"

    origin_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("order_shipping_origin.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class OriginStock(Base):
    """Per-origin stock; a trigger keeps catalog_variant.stock equal to the sum over origins."""

    __tablename__ = "order_origin_stock"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    origin_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("order_shipping_origin.id"), primary_key=True
    )
    variant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_variant.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    quantity: Mapped[int] = mapped_column(Integer, server_default="0")


class Cart(Base):
    __tablename__ = "order_cart"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), unique=True
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CartLine(Base):
    __tablename__ = "order_cart_line"
    __table_args__ = (CheckConstraint("quantity > 0 AND quantity <= 999", name="quantity"),)

    cart_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("order_cart.id", ondelete="CASCADE"), primary_key=True
    )
    variant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_variant.id", ondelete="CASCADE"), primary_key=True
    )
    quantity: Mapped[int] = mapped_column(Integer)


class Order(Base):
    __tablename__ = "order_order"
    __table_args__ = (
        CheckConstraint(one_of("status", ORDER_STATUSES), name="status"),
        CheckConstraint("total_amount >= 0 AND subtotal_amount >= 0", name="amounts"),
        CheckConstraint("points_used >= 0 AND points_earned >= 0", name="points"),
        Index("ix_order_order_user_placed", "user_id", "placed_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_user.id"))
    status: Mapped[str] = mapped_column(String(12), server_default="PENDING")
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_amount: Mapped[Decimal] = mapped_column(MONEY)
    total_amount: Mapped[Decimal] = mapped_column(
        MONEY
    )  # what the provider charges: subtotal - points
    points_used: Mapped[int] = mapped_column(Integer, server_default="0")
    points_earned: Mapped[int] = mapped_column(Integer, server_default="0")
    payment_method: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OrderLine(Base):
    __tablename__ = "order_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("order_order.id", ondelete="CASCADE"), primary_key=True
    )
    variant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_variant.id"), primary_key=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    vendor_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    quantity: Mapped[int] = mapped_column(Integer)


class Shipment(Base):
    """Written in the same transaction as its order (ORD-1)."""

    __tablename__ = "order_shipment"
    __table_args__ = (
        CheckConstraint("char_length(recipient) BETWEEN 1 AND 100", name="recipient"),
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("order_order.id", ondelete="CASCADE"), primary_key=True
    )
    origin_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order_shipping_origin.id"))
    status: Mapped[str] = mapped_column(String(12), server_default="PREPARING")
    recipient: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(30))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), server_default="")
    postal_code: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))


class Payment(Base):
    __tablename__ = "order_payment"

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("order_order.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(40))
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(
        String(12)
    )  # PENDING, CHARGED, CANCELLED, FAILED, NOT_NEEDED
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PointsAccount(Base):
    __tablename__ = "order_points_account"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), primary_key=True
    )
    balance: Mapped[int] = mapped_column(BigInteger, server_default="0")


class PointsEntry(Base):
    """Every points movement, once per idempotency key (ORD-6)."""

    __tablename__ = "order_points_entry"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), index=True
    )
    delta: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(
        String(20)
    )  # GRANT, USE, CANCEL_USE, ACCRUE, CANCEL_ACCRUAL, EXPIRE
    order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Saga(Base):
    """A persisted saga: a worker claims it (lease), runs its current step, records the outcome."""

    __tablename__ = "order_saga"
    __table_args__ = (
        CheckConstraint(one_of("state", SAGA_STATES), name="state"),
        UniqueConstraint("order_id", "kind", "idempotency_key"),
        Index(
            "ix_order_saga_runnable",
            "next_run_at",
            postgresql_where=text("state IN ('RUNNING', 'COMPENSATING')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(10))  # PAYMENT, REFUND
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("order_order.id", ondelete="CASCADE"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12), server_default="RUNNING")
    step: Mapped[int] = mapped_column(
        Integer, server_default="0"
    )  # index of the step to run or compensate
    data: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    next_run_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SagaStep(Base):
    __tablename__ = "order_saga_step"
    __table_args__ = (CheckConstraint(one_of("status", STEP_STATUSES), name="status"),)

    saga_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("order_saga.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(14))  # QUERY, COMPENSATABLE, PIVOT, RETRYABLE
    status: Mapped[str] = mapped_column(String(12), server_default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    # What a client may see: a stable code and a safe message (details go to the logs only).
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_code: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Notification(Base):
    """E-mails to customers, once per (order, kind); delivered by the messaging outbox later."""

    __tablename__ = "order_notification"
    __table_args__ = (UniqueConstraint("order_id", "kind"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order_order.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
