"""What orders do to catalog stock: hand an order's stock back, and make the cached products
stale once the unit of work that changed them commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from persistence.catalog_cache import CatalogCache
from persistence.models.orders import Order
from persistence.repositories.orders import orders as repo
from persistence.unit_of_work import UnitOfWork
from resolvers.catalog.stock import apply_stock_change


def products_changed(uow: UnitOfWork, cache: CatalogCache, ids: Iterable[uuid.UUID]) -> None:
    """The products' cached copies go stale after `uow` commits (never before: a reader could
    cache the old stock again). Catalog's outbox-backed invalidation takes this over at merge
    (CatalogCache.products_changed, issue 10 item 3)."""
    names = sorted(set(ids))
    if names:
        uow.after_commit(lambda: cache.invalidate_products(*names))


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
    products_changed(uow, cache, (line.product_id for line in lines))
