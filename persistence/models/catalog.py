"""Catalog tables (CAT-1..CAT-9): categories, vendors, products, options, variants,
price history, lifecycle transitions and the append-only inventory ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.base import Base, one_of

MONEY = Numeric(14, 2)
SALE_TYPES = ("RESERVATION", "REALTIME")
STATUSES = ("DRAFT", "IN_REVIEW", "LAUNCHED", "SOLD_OUT", "DISCONTINUED")
ATTRIBUTE_TYPES = ("STRING", "NUMBER", "BOOLEAN")


class Category(Base):
    __tablename__ = "catalog_category"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("catalog_category.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # Ancestors then self: subtree filters and breadcrumbs without recursion.
    lineage: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    path: Mapped[str] = mapped_column(Text)


class AttributeDefinition(Base):
    """A typed attribute products of this category (and its subtree) may carry (CAT-5)."""

    __tablename__ = "catalog_attribute_definition"
    __table_args__ = (
        UniqueConstraint("category_id", "key"),
        CheckConstraint(one_of("type", ATTRIBUTE_TYPES), name="type"),
        CheckConstraint("key ~ '^[a-z][a-z0-9_]{0,39}$'", name="key_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_category.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(10))


class Vendor(Base):
    __tablename__ = "catalog_vendor"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    first_party: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class VendorStaff(Base):
    """Which users act for which vendor (object-level authorization, CAT-3)."""

    __tablename__ = "catalog_vendor_staff"

    vendor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_vendor.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Product(Base):
    __tablename__ = "catalog_product"
    __table_args__ = (
        CheckConstraint(one_of("sale_type", SALE_TYPES), name="sale_type"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency"),
        Index(
            "ix_catalog_product_attributes",
            "attributes",
            postgresql_using="gin",
            postgresql_ops={"attributes": "jsonb_path_ops"},
        ),
        Index("ix_catalog_product_search", "search", postgresql_using="gin"),
        Index(
            "ix_catalog_product_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        Index("ix_catalog_product_category_seq", "category_id", "seq"),
        Index("ix_catalog_product_vendor_seq", "vendor_id", "seq"),
        Index("ix_catalog_product_status_price", "status", "price_amount"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    # Stable keyset order for pagination (ids are random).
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    vendor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_vendor.id"))
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_category.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    sale_type: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), server_default="DRAFT")
    price_amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    attributes: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    search: Mapped[str] = mapped_column(
        TSVECTOR, Computed("to_tsvector('simple', name || ' ' || description)", persisted=True)
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OptionGroup(Base):
    __tablename__ = "catalog_option_group"
    __table_args__ = (UniqueConstraint("product_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(Integer)


class OptionValue(Base):
    __tablename__ = "catalog_option_value"
    __table_args__ = (
        UniqueConstraint("group_id", "value"),
        CheckConstraint("extra_price >= 0", name="extra_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_option_group.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(50))
    extra_price: Mapped[Decimal] = mapped_column(MONEY, server_default="0")
    position: Mapped[int] = mapped_column(Integer)


class Variant(Base):
    """A sellable combination of option values (CAT-4); stock can never go negative."""

    __tablename__ = "catalog_variant"
    __table_args__ = (
        Index(
            "ix_catalog_variant_in_stock",
            "product_id",
            postgresql_where=text("stock > 0 AND on_sale"),
        ),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("extra_price >= 0", name="extra_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    option_value_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), server_default="{}"
    )
    extra_price: Mapped[Decimal] = mapped_column(MONEY, server_default="0")
    stock: Mapped[int] = mapped_column(Integer, server_default="0")
    on_sale: Mapped[bool] = mapped_column(Boolean, server_default="true")
    position: Mapped[int] = mapped_column(Integer, server_default="0")


class PriceHistory(Base):
    """Written by a trigger on every change of a product's price (CAT-1)."""

    __tablename__ = "catalog_price_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True
    )
    old_amount: Mapped[Decimal] = mapped_column(MONEY)
    new_amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    changed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LifecycleTransition(Base):
    __tablename__ = "catalog_lifecycle_transition"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InventoryMovement(Base):
    """Append-only ledger of every stock change (CAT-1, API-6)."""

    __tablename__ = "catalog_inventory_ledger"
    # stockLedger reads a variant's movements newest first (CAT-8).
    __table_args__ = (Index("ix_catalog_inventory_ledger_variant_newest", "variant_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    variant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_variant.id"), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    stock_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    # The shipping origin whose stock moved (orders migration adds the column).
    origin_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
