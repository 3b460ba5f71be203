"""Who is asking, for the catalog's fields: the editor and the products they may see."""

from __future__ import annotations

import uuid

from persistence.views.catalog import ProductBundle
from resolvers.catalog.access import Editor, may_view
from schema.context import Info


async def editor(info: Info) -> Editor:
    principal = await info.context.principal()
    permissions = await info.context.loaders.identity.permissions.load(principal.user_id)
    return Editor(principal.user_id, frozenset(permissions))


async def visible_bundle(info: Info, raw_id: str) -> ProductBundle | None:
    """The product with its options and variants, if the caller may see it (CAT-3, CAT-6)."""
    try:
        product_id = uuid.UUID(raw_id)
    except ValueError:
        return None
    bundle = await info.context.loaders.catalog.bundle.load(product_id)
    if bundle is None:
        return None
    if bundle.product.is_public:
        return bundle
    if await info.context.optional_principal() is None:
        return None
    caller = await editor(info)
    staffed = (
        frozenset()
        if caller.all_vendors
        else await info.context.loaders.catalog.staffed_vendors.load(caller.user_id)
    )
    return bundle if may_view(bundle.product, caller, staffed) else None
