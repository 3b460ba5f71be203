"""Product use cases: create, change price (optimistic lock), lifecycle transitions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound, ValidationFailed
from persistence.catalog_cache import CatalogCache
from persistence.models.catalog import (
    LifecycleTransition,
    OptionGroup,
    OptionValue,
    Product,
    Variant,
    Vendor,
)
from resolvers.catalog import rules
from resolvers.catalog.access import Editor, ensure_can_edit
from resolvers.validation import parse_id, required_text


@dataclass(frozen=True)
class NewProduct:
    name: str
    description: str
    sale_type: str
    category_id: str
    vendor_id: str
    price: tuple[Decimal, str]
    attributes: list[tuple[str, str]]
    options: list[tuple[str, list[tuple[str, Decimal, str]]]]  # (name, [(value, extra, currency)])


async def set_actor(session: AsyncSession, user_id: uuid.UUID | None) -> None:
    """Tell database triggers (price history) who acts in this transaction."""
    await session.execute(
        text("SELECT set_config('tessera.actor', :actor, true)"), {"actor": str(user_id or "")}
    )


async def create_product(
    session: AsyncSession, cache: CatalogCache, editor: Editor, spec: NewProduct
) -> uuid.UUID:
    name = required_text(spec.name, "name", 200)
    if len(spec.description) > 10_000:
        raise ValidationFailed("description is longer than 10000 characters", field="description")
    price, currency = rules.money(*spec.price, field="price")
    category_id = parse_id(spec.category_id, "categoryId")
    vendor_id = parse_id(spec.vendor_id, "vendorId")
    category = next((c for c in await cache.categories() if c.id == category_id), None)
    if category is None:
        raise NotFound("no such category", field="categoryId")
    if await session.get(Vendor, vendor_id) is None:
        raise NotFound("no such vendor", field="vendorId")
    await ensure_can_edit(session, editor, vendor_id)
    attributes = rules.typed_attributes(spec.attributes, category.attribute_types)
    options = _option_specs(spec.options, currency)
    rules.check_options(options)

    product = Product(
        id=uuid.uuid4(),
        vendor_id=vendor_id,
        category_id=category_id,
        name=name,
        description=spec.description.strip(),
        sale_type=spec.sale_type,
        price_amount=price,
        currency=currency,
        attributes=attributes,
    )
    session.add(product)
    await session.flush()
    value_rows: list[list[OptionValue]] = []
    for position, option in enumerate(options):
        group = OptionGroup(
            id=uuid.uuid4(), product_id=product.id, name=option.name, position=position
        )
        session.add(group)
        rows = [
            OptionValue(
                id=uuid.uuid4(), group_id=group.id, value=value, extra_price=extra, position=index
            )
            for index, (value, extra) in enumerate(option.values)
        ]
        value_rows.append(rows)
    await session.flush()
    session.add_all(value for rows in value_rows for value in rows)
    prefix = product.id.hex[:8].upper()
    for position, combination in enumerate(rules.variant_combinations(value_rows)):
        session.add(
            Variant(
                product_id=product.id,
                sku=f"{prefix}-{position + 1:03d}",
                option_value_ids=[value.id for value in combination],
                extra_price=sum((value.extra_price for value in combination), Decimal("0.00")),
                stock=0,
                on_sale=True,
                position=position,
            )
        )
    await session.commit()
    return product.id


def _option_specs(
    raw: list[tuple[str, list[tuple[str, Decimal, str]]]], currency: str
) -> list[rules.OptionSpec]:
    specs = []
    for index, (name, values) in enumerate(raw):
        group_name = required_text(name, f"options[{index}].name", 50)
        parsed = []
        for value_index, (value, extra, extra_currency) in enumerate(values):
            field = f"options[{index}].values[{value_index}]"
            text_value = required_text(value, f"{field}.value", 50)
            amount, money_currency = rules.money(extra, extra_currency, field=f"{field}.extraPrice")
            if money_currency != currency:
                raise ValidationFailed(
                    f"extra price must be in {currency}", field=f"{field}.extraPrice.currency"
                )
            parsed.append((text_value, amount))
        specs.append(rules.OptionSpec(group_name, parsed))
    return specs


async def _product_for_edit(session: AsyncSession, editor: Editor, product_id: str) -> Product:
    product = await session.get(Product, parse_id(product_id, "id"), with_for_update=True)
    if product is None:
        raise NotFound("no such product", field="id")
    await ensure_can_edit(session, editor, product.vendor_id)
    return product


async def change_price(
    session: AsyncSession,
    cache: CatalogCache,
    editor: Editor,
    *,
    product_id: str,
    amount: Decimal,
    currency: str,
    expected_version: int,
) -> uuid.UUID:
    """ORD-8: the update only applies to the version the editor saw; a stale one is CONFLICT."""
    price, currency = rules.money(amount, currency, field="price")
    pid = parse_id(product_id, "id")
    vendor_id = await session.scalar(select(Product.vendor_id).where(Product.id == pid))
    if vendor_id is None:
        raise NotFound("no such product", field="id")
    await ensure_can_edit(session, editor, vendor_id)
    await set_actor(session, editor.user_id)
    updated = await session.execute(
        update(Product)
        .where(Product.id == pid, Product.version == expected_version, Product.currency == currency)
        .values(price_amount=price, version=Product.version + 1, updated_at=func.now())
        .returning(Product.version)
    )
    if updated.first() is None:
        current = (
            await session.execute(
                select(Product.version, Product.currency).where(Product.id == pid)
            )
        ).one()
        if current.currency != currency:
            raise ValidationFailed(f"price must stay in {current.currency}", field="price.currency")
        raise Conflict(
            f"product is at version {current.version}, not {expected_version}",
            extra={"currentVersion": current.version},
        )
    await session.commit()
    await cache.invalidate_products(pid)
    return pid


async def transition(
    session: AsyncSession,
    cache: CatalogCache,
    editor: Editor,
    *,
    product_id: str,
    target: str,
    reason: str | None,
) -> uuid.UUID:
    product = await _product_for_edit(session, editor, product_id)
    rules.check_transition(product.status, target)
    if reason is not None and len(reason) > 500:
        raise ValidationFailed("reason is longer than 500 characters", field="reason")
    record_transition(session, product, target, reason, editor.user_id)
    await session.commit()
    await cache.invalidate_products(product.id)
    return product.id


def record_transition(
    session: AsyncSession,
    product: Product,
    target: str,
    reason: str | None,
    actor: uuid.UUID | None,
) -> None:
    session.add(
        LifecycleTransition(
            product_id=product.id,
            from_status=product.status,
            to_status=target,
            reason=reason,
            actor_user_id=actor,
        )
    )
    product.status = target
    product.version += 1
