"""Object-level rules (CAT-3, ID-12): vendor staff edit only their own vendor's catalog."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.errors import Forbidden, NotFound
from persistence.repositories.catalog import products as product_repo
from persistence.repositories.catalog import structure as structure_repo
from persistence.unit_of_work import UnitOfWork
from persistence.views.catalog import ProductView
from resolvers.validation import parse_id

ALL_VENDORS = "catalog.all_vendors"


@dataclass(frozen=True)
class Editor:
    user_id: uuid.UUID
    permissions: frozenset[str]

    @property
    def all_vendors(self) -> bool:
        return ALL_VENDORS in self.permissions


async def ensure_can_edit(uow: UnitOfWork, editor: Editor, vendor_id: uuid.UUID) -> None:
    if editor.all_vendors or await structure_repo.is_vendor_staff(
        uow.session, editor.user_id, vendor_id
    ):
        return
    raise Forbidden(
        "only this vendor's staff or catalog managers may change it", reason="NOT_YOUR_VENDOR"
    )


def may_view(product: ProductView, editor: Editor | None, staffed: frozenset[uuid.UUID]) -> bool:
    """Launched and sold-out products are public; others only to who may edit them."""
    if product.is_public:
        return True
    return editor is not None and (editor.all_vendors or product.vendor_id in staffed)


async def ensure_can_read_ledger(uow: UnitOfWork, editor: Editor, product_id: str) -> uuid.UUID:
    """The ledger (CAT-8) is for catalog managers and the owning vendor's staff only."""
    pid = parse_id(product_id, "productId")
    vendor_id = await product_repo.product_vendor(uow.session, pid)
    if vendor_id is None:
        raise NotFound("no such product", field="productId")
    await ensure_can_edit(uow, editor, vendor_id)
    return pid
