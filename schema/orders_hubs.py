"""HUB management (ORD-7), part of the orders subgraph: operators create HUBs and name their
managers; a HUB manager lists only the HUBs they run. Stock transfers stay in schema/orders.py."""

from __future__ import annotations

import enum
import uuid
from typing import Any

import strawberry

from core.errors import NotFound
from persistence.repositories import orders as repo
from resolvers.orders import hubs
from schema.context import Info
from schema.pagination import Connection, check_page_size, connection, cursor_key, encode_cursor
from schema.permissions import requires

HUB_ADMIN = "orders.hubs.admin"


@strawberry.enum
class HubType(enum.Enum):
    ORG = "ORG"
    DEALER = "DEALER"


@strawberry.type
class HubManager:
    user_id: strawberry.ID
    display_name: str


@strawberry.type
class Hub:
    id: strawberry.ID
    code: str
    type: HubType
    name: str
    owner: str = strawberry.field(description="The owning department (ORG) or dealer (DEALER).")
    location: str

    @classmethod
    def of(cls, row: Any) -> Hub:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            type=HubType.ORG if row.kind == "ORG_HUB" else HubType.DEALER,
            name=row.name,
            owner=row.owner,
            location=row.location,
        )

    @strawberry.field
    async def managers(self, info: Info) -> list[HubManager]:
        rows = await info.context.loaders.orders.hub_managers.load(uuid.UUID(self.id))
        return [
            HubManager(user_id=strawberry.ID(str(r.id)), display_name=r.display_name) for r in rows
        ]


@strawberry.input
class CreateHubInput:
    code: str
    type: HubType
    name: str
    owner: str
    location: str


async def _hub(info: Info, hub_id: uuid.UUID) -> Hub:
    async with info.context.services.db.read() as conn:
        found = await repo.hubs_by_ids(conn, [hub_id])
    if hub_id not in found:
        raise NotFound("no such HUB", field="hubId")
    return Hub.of(found[hub_id])


async def _page(
    info: Info, manager_id: uuid.UUID | None, first: int, after: str | None
) -> Connection[Hub]:
    limit = check_page_size(first)
    after_code = cursor_key(after, str)
    async with info.context.services.db.read() as conn:
        rows = await repo.hub_page(
            conn, manager_id=manager_id, after_code=after_code, limit=limit + 1
        )
    return connection(rows, limit, lambda r: encode_cursor(r.code), Hub.of)


@strawberry.type
class HubsQuery:
    @strawberry.field(extensions=requires(HUB_ADMIN), description="Every HUB, by code (ORD-7).")
    async def hubs(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Hub]:
        return await _page(info, None, first, after)

    @strawberry.field(extensions=requires(), description="The HUBs the caller manages, by code.")
    async def my_hubs(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Hub]:
        principal = await info.context.principal()
        return await _page(info, principal.user_id, first, after)


@strawberry.type
class HubsMutation:
    @strawberry.mutation(
        extensions=requires(HUB_ADMIN),
        description="A new organisation or dealer HUB; a code or name in use fails with CONFLICT.",
    )
    async def create_hub(self, info: Info, input: CreateHubInput) -> Hub:
        ctx = info.context
        hub_id = await hubs.create_hub(
            ctx.db(),
            (await ctx.principal()).user_id,
            ctx.meta,
            code=input.code,
            hub_type=input.type.value,
            name=input.name,
            owner=input.owner,
            location=input.location,
        )
        return await _hub(info, hub_id)

    @strawberry.mutation(extensions=requires(HUB_ADMIN), description="Name a HUB manager.")
    async def add_hub_manager(
        self, info: Info, hub_id: strawberry.ID, user_id: strawberry.ID
    ) -> Hub:
        return await _change_manager(info, hub_id, user_id, add=True)

    @strawberry.mutation(extensions=requires(HUB_ADMIN), description="Remove a HUB manager.")
    async def remove_hub_manager(
        self, info: Info, hub_id: strawberry.ID, user_id: strawberry.ID
    ) -> Hub:
        return await _change_manager(info, hub_id, user_id, add=False)


async def _change_manager(info: Info, hub_id: str, user_id: str, *, add: bool) -> Hub:
    ctx = info.context
    hub = await hubs.change_manager(
        ctx.db(), (await ctx.principal()).user_id, ctx.meta, hub_id=hub_id, user_id=user_id, add=add
    )
    return await _hub(info, hub)
