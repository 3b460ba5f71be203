"""Product use cases: create, change price (optimistic lock), lifecycle transitions.

Each takes the caller's unit of work, writes and flushes; the owner commits. The cached
copies go stale when that commit happens (CatalogCache.products_changed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from core.errors import Conflict, NotFound, ValidationFailed
from persistence.catalog_cache import CatalogCache
from persistence.repositories.catalog import products as repo
from persistence.repositories.catalog import structure as structure_repo
from persistence.unit_of_work import UnitOfWork
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


async def create_product(
    uow: UnitOfWork, cache: CatalogCache, editor: Editor, spec: NewProduct
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
    if not await structure_repo.vendor_exists(uow.session, vendor_id):
        raise NotFound("no such vendor", field="vendorId")
    await ensure_can_edit(uow, editor, vendor_id)
    attributes = rules.typed_attributes(spec.attributes, category.attribute_types)
    options = _option_specs(spec.options, currency)
    rules.check_options(options)

    product_id = uuid.uuid4()
    groups = [
        repo.NewOptionGroup(
            uuid.uuid4(),
            option.name,
            [(uuid.uuid4(), value, extra) for value, extra in option.values],
        )
        for option in options
    ]
    prefix = product_id.hex[:8].upper()
    combinations = rules.variant_combinations([group.values for group in groups])
    variants = [
        repo.NewVariant(
            sku=f"{prefix}-{position + 1:03d}",
            option_value_ids=[value_id for value_id, _, _ in combination],
            extra_price=sum((extra for _, _, extra in combination), Decimal("0.00")),
        )
        for position, combination in enumerate(combinations)
    ]
    await repo.insert_product(
        uow.session,
        {
            "id": product_id,
            "vendor_id": vendor_id,
            "category_id": category_id,
            "name": name,
            "description": spec.description.strip(),
            "sale_type": spec.sale_type,
            "price_amount": price,
            "currency": currency,
            "attributes": attributes,
        },
        groups,
        variants,
    )
    return product_id


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


async def change_price(
    uow: UnitOfWork,
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
    vendor_id = await repo.product_vendor(uow.session, pid)
    if vendor_id is None:
        raise NotFound("no such product", field="id")
    await ensure_can_edit(uow, editor, vendor_id)
    await repo.set_actor(uow.session, editor.user_id)
    if not await repo.change_price(
        uow.session, pid, price=price, currency=currency, expected_version=expected_version
    ):
        version, current_currency = await repo.version_and_currency(uow.session, pid)
        if current_currency != currency:
            raise ValidationFailed(f"price must stay in {current_currency}", field="price.currency")
        raise Conflict(
            f"product is at version {version}, not {expected_version}",
            extra={"currentVersion": version},
        )
    cache.products_changed(uow, pid)
    return pid


async def transition(
    uow: UnitOfWork,
    cache: CatalogCache,
    editor: Editor,
    *,
    product_id: str,
    target: str,
    reason: str | None,
) -> uuid.UUID:
    product = await repo.lock_product(uow.session, parse_id(product_id, "id"))
    if product is None:
        raise NotFound("no such product", field="id")
    await ensure_can_edit(uow, editor, product.vendor_id)
    rules.check_transition(product.status, target)
    if reason is not None and len(reason) > 500:
        raise ValidationFailed("reason is longer than 500 characters", field="reason")
    await repo.record_transition(uow.session, product, target, reason, editor.user_id)
    cache.products_changed(uow, product.id)
    return product.id
