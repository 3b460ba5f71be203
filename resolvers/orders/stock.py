"""What orders do to catalog stock: hand an order's stock back (the cached products go stale
through the catalog's outbox-backed invalidation)."""

from __future__ import annotations

from persistence.catalog_cache import CatalogCache
from persistence.models.orders import Order
from persistence.repositories.orders import orders as repo
from persistence.unit_of_work import UnitOfWork
from resolvers.catalog.stock import apply_stock_change


async def release_stock(uow: UnitOfWork, cache: CatalogCache, order: Order) -> None:
    """Return the order's stock to its origin (once per line: keyed ledger rows) and cancel its
    shipment."""
    session = uow.session
    origin_id = await repo.shipment_origin(session, order.id)
    lines = await repo.lines(session, order.id)
    for line in lines:
        await apply_stock_change(
            session,
            variant_id=line.variant_id,
            product_id=line.product_id,
            delta=line.quantity,
            reason=f"order {order.id} released",
            key=f"release:{order.id}:{line.variant_id}",
            actor=None,
            origin_id=origin_id,
        )
    await repo.set_shipment_status(session, order.id, "CANCELLED")
    cache.products_changed(uow, *(line.product_id for line in lines))
