"""Object-level rules (CAT-3, ID-12): vendor staff edit only their own vendor's catalog."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.errors import Forbidden
from persistence.models.catalog import VendorStaff

ALL_VENDORS = "catalog.all_vendors"


@dataclass(frozen=True)
class Editor:
    user_id: uuid.UUID
    permissions: frozenset[str]

    @property
    def all_vendors(self) -> bool:
        return ALL_VENDORS in self.permissions


async def is_vendor_staff(
    db: AsyncSession | AsyncConnection, user_id: uuid.UUID, vendor_id: uuid.UUID
) -> bool:
    found = await db.execute(
        select(VendorStaff.user_id).where(
            VendorStaff.user_id == user_id, VendorStaff.vendor_id == vendor_id
        )
    )
    return found.first() is not None


async def ensure_can_edit(session: AsyncSession, editor: Editor, vendor_id: uuid.UUID) -> None:
    if editor.all_vendors or await is_vendor_staff(session, editor.user_id, vendor_id):
        return
    raise Forbidden(
        "only this vendor's staff or catalog managers may change it", reason="NOT_YOUR_VENDOR"
    )
