"""API-2 for HUB management (ORD-7): the managers of a page of HUBs load in one batch, so a page
of 10 HUBs and a page of 100 cost the same statements."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import insert

from persistence.models.orders import OriginManager, ShippingOrigin
from tests.accounts import customers, grant_role, new_user
from tests.conftest import Api
from tests.orders.shop import ORDERS
from tests.sql_counter import count_statements


async def test_hub_list_costs_the_same_for_10_or_100_hubs(
    quiet: Api, unique_email: Callable[[str], str]
) -> None:
    operator = await new_user(quiet.client, unique_email("ops"))
    await grant_role(quiet.services, operator.user_id, "admin")
    managers = await customers(quiet.services, 2)
    hubs = [uuid.uuid4() for _ in range(120)]
    async with quiet.services.db.transaction() as uow:  # written directly: only reads count
        session = uow.session
        await session.execute(
            insert(ShippingOrigin),
            [
                {
                    "id": hub,
                    "code": f"ORG-{n:03}",
                    "kind": "ORG_HUB",
                    "name": f"Org HUB {n}",
                    "owner": "Marketing",
                    "location": "Seoul",
                }
                for n, hub in enumerate(hubs)
            ],
        )
        await session.execute(
            insert(OriginManager),
            [{"origin_id": hub, "user_id": user} for hub in hubs for user in managers],
        )
    counts = {}
    for first in (10, 100):
        with count_statements(quiet.services.db.engine) as statements:
            page = await quiet.client.data(
                ORDERS, {"first": first}, operation="Hubs", token=operator.access_token
            )
        nodes = [edge["node"] for edge in page["hubs"]["edges"]]
        assert [n["code"] for n in nodes] == [f"ORG-{n:03}" for n in range(first)]
        assert all(len(n["managers"]) == 2 for n in nodes)
        counts[first] = len(statements)
    assert counts[10] == counts[100], counts
    # the permission check (1), the page (1), the managers of the page (1)
    assert counts[100] <= 3, counts
