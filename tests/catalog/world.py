"""A small catalog built through the API: a manager, two vendors with staff, a category tree."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.accounts import LoggedIn, grant_role, new_user
from tests.conftest import Api
from tests.contract.documents import contract_text

CATALOG = contract_text("catalog")

CREATE_CATEGORY = """
mutation($name: String!, $parent: ID, $defs: [AttributeDefinitionInput!]) {
  createCategory(name: $name, parentId: $parent, attributeDefinitions: $defs) { id path }
}
"""
CREATE_VENDOR = "mutation($name: String!) { createVendor(name: $name) { id } }"
ADD_STAFF = "mutation($v: ID!, $u: ID!) { addVendorStaff(vendorId: $v, userId: $u) { id } }"


@dataclass
class World:
    api: Api
    manager: LoggedIn
    staff_a: LoggedIn
    staff_b: LoggedIn
    vendor_a: str
    vendor_b: str
    electronics: str
    phones: str
    books: str

    async def run(
        self, operation: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict:
        return await self.api.client.post(CATALOG, variables, operation=operation, token=token)

    async def create_product(self, token: str | None = None, **overrides: Any) -> dict:
        result = await self.run(
            "CreateProduct",
            {"input": product_input(self, **overrides)},
            token or self.manager.access_token,
        )
        assert not result.get("errors"), result
        return result["data"]["createProduct"]["product"]

    async def launch(self, product_id: str) -> None:
        for status in ("IN_REVIEW", "LAUNCHED"):
            result = await self.run(
                "TransitionProduct", {"id": product_id, "to": status}, self.manager.access_token
            )
            assert not result.get("errors"), result

    async def stock(
        self, variant_id: str, delta: int, key: str | None = None, token: str | None = None
    ) -> dict:
        return await self.run(
            "AdjustStock",
            {
                "variantId": variant_id,
                "delta": delta,
                "reason": "test",
                "idempotencyKey": key or uuid.uuid4().hex,
            },
            token or self.manager.access_token,
        )


def product_input(world: World, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Galaxy Nine",
        "description": "A phone",
        "saleType": "REALTIME",
        "categoryId": world.phones,
        "vendorId": world.vendor_a,
        "price": {"amount": "1000.00", "currency": "KRW"},
        "attributes": [{"key": "brand", "value": "Acme"}, {"key": "screen_inches", "value": "6.1"}],
        "options": [
            {
                "name": "Color",
                "values": [
                    {"value": "Black"},
                    {"value": "White", "extraPrice": {"amount": "50", "currency": "KRW"}},
                ],
            },
            {
                "name": "Storage",
                "values": [
                    {"value": "128GB"},
                    {"value": "256GB", "extraPrice": {"amount": "100", "currency": "KRW"}},
                ],
            },
        ],
    }
    base.update(overrides)
    return base


async def build_world(api: Api, unique_email: Any) -> World:
    client = api.client
    manager = await new_user(client, unique_email("manager"))
    await grant_role(api.services, manager.user_id, "catalog_manager")
    token = manager.access_token
    staff_a = await new_user(client, unique_email("staff-a"))
    staff_b = await new_user(client, unique_email("staff-b"))
    vendors = []
    for name, staff in (("Vendor A", staff_a), ("Vendor B", staff_b)):
        await grant_role(api.services, staff.user_id, "vendor_staff")
        vendor = (
            await client.data(
                CREATE_VENDOR, {"name": f"{name} {uuid.uuid4().hex[:6]}"}, token=token
            )
        )["createVendor"]["id"]
        await client.data(ADD_STAFF, {"v": vendor, "u": staff.user_id}, token=token)
        vendors.append(vendor)
    electronics = (
        await client.data(
            CREATE_CATEGORY,
            {
                "name": "Electronics",
                "defs": [
                    {"key": "brand", "type": "STRING"},
                    {"key": "screen_inches", "type": "NUMBER"},
                    {"key": "wireless", "type": "BOOLEAN"},
                ],
            },
            token=token,
        )
    )["createCategory"]["id"]
    phones = (
        await client.data(CREATE_CATEGORY, {"name": "Phones", "parent": electronics}, token=token)
    )["createCategory"]["id"]
    books = (
        await client.data(
            CREATE_CATEGORY,
            {"name": "Books", "defs": [{"key": "pages", "type": "NUMBER"}]},
            token=token,
        )
    )["createCategory"]["id"]
    return World(api, manager, staff_a, staff_b, vendors[0], vendors[1], electronics, phones, books)
