"""HUB management (ORD-7) through ../shared/contract/orders.graphql: operators create HUBs and
name their managers; a HUB manager lists only their own HUBs; everyone else is refused."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from persistence.models.audit import AuditLog
from tests.accounts import LoggedIn, grant_role, new_user
from tests.conftest import Api
from tests.orders.shop import ICHEON, ORDERS

OPERATOR = object()


@dataclass
class People:
    api: Api
    operator: LoggedIn  # admin: holds orders.hubs.admin
    manager: LoggedIn  # hub_manager role, named manager of a HUB below
    other_manager: LoggedIn  # hub_manager role, runs no HUB of ours
    support: LoggedIn
    customer: LoggedIn

    def _who(self, caller: object) -> LoggedIn | None:
        """The operator unless told otherwise; None calls anonymously."""
        if caller is OPERATOR:
            return self.operator
        assert caller is None or isinstance(caller, LoggedIn)
        return caller

    async def run(self, operation: str, variables: dict, caller: LoggedIn | None) -> dict:
        return await self.api.client.post(
            ORDERS, variables, operation=operation, token=caller.access_token if caller else None
        )

    async def ok(self, operation: str, variables: dict, caller: object = OPERATOR) -> dict:
        result = await self.run(operation, variables, self._who(caller))
        assert not result.get("errors"), result
        return result["data"]

    async def error(self, operation: str, variables: dict, caller: object = OPERATOR) -> dict:
        result = await self.run(operation, variables, self._who(caller))
        assert result["data"] is None, result
        return result["errors"][0]["extensions"]


@pytest.fixture
async def people(api: Api, unique_email: Callable[[str], str]) -> People:
    accounts = {}
    for name, role in (
        ("operator", "admin"),
        ("manager", "hub_manager"),
        ("other_manager", "hub_manager"),
        ("support", "support"),
        ("customer", None),
    ):
        accounts[name] = await new_user(api.client, unique_email(name))
        if role:
            await grant_role(api.services, accounts[name].user_id, role)
    return People(api, **accounts)


def hub_input(code: str = "org-gangnam-1", **overrides: str) -> dict:
    return {
        "input": {
            "code": code,
            "type": "ORG",
            "name": f"Gangnam Org HUB {code}",
            "owner": "Marketing team",
            "location": "Gangnam-gu, Seoul",
            **overrides,
        }
    }


async def test_operators_create_hubs_with_clear_errors(people: People) -> None:
    hub = (await people.ok("CreateHub", hub_input()))["createHub"]
    assert hub == {
        "id": hub["id"],
        "code": "ORG-GANGNAM-1",  # codes are upper-cased
        "type": "ORG",
        "name": "Gangnam Org HUB org-gangnam-1",
        "owner": "Marketing team",
        "location": "Gangnam-gu, Seoul",
        "managers": [],
    }
    dealer = (
        await people.ok(
            "CreateHub",
            hub_input("DL-SUWON", type="DEALER", name="Suwon Dealer", owner="Suwon Mobile"),
        )
    )["createHub"]
    assert (dealer["type"], dealer["owner"]) == ("DEALER", "Suwon Mobile")
    # The new HUB is a shipping origin customers can choose at checkout.
    origins = await people.ok("ShippingOrigins", {"variantId": str(uuid.uuid4())})
    kinds = {o["id"]: o["kind"] for o in origins["shippingOrigins"]}
    assert (kinds[hub["id"]], kinds[dealer["id"]]) == ("ORG_HUB", "DEALER_HUB")

    same_code = await people.error("CreateHub", hub_input("ORG-GANGNAM-1", name="Another name"))
    assert (same_code["code"], same_code["field"]) == ("CONFLICT", "code")
    same_name = await people.error(
        "CreateHub", hub_input("ORG-OTHER", name="Gangnam Org HUB org-gangnam-1")
    )
    assert (same_name["code"], same_name["field"]) == ("CONFLICT", "name")
    bad_type = await people.error("CreateHub", hub_input("ORG-X", type="WAREHOUSE"))
    assert bad_type["code"] == "VALIDATION"
    bad_code = await people.error("CreateHub", hub_input("no spaces allowed"))
    assert (bad_code["code"], bad_code["field"]) == ("VALIDATION", "code")
    no_owner = await people.error("CreateHub", hub_input("ORG-Y", owner="   "))
    assert (no_owner["code"], no_owner["field"]) == ("VALIDATION", "owner")
    for caller in (people.manager, people.support, people.customer):
        refused = await people.error("CreateHub", hub_input("ORG-Z"), caller)
        assert refused["code"] == "FORBIDDEN", caller.email
    assert (await people.error("CreateHub", hub_input("ORG-Z"), None))["code"] == "UNAUTHENTICATED"
    created = await audit_rows(people.api, "orders.hub_created")
    assert [(r.subject_id, r.actor_user_id) for r in created] == [
        (hub["id"], uuid.UUID(people.operator.user_id)),
        (dealer["id"], uuid.UUID(people.operator.user_id)),
    ]


async def test_managers_are_named_removed_and_see_only_their_hubs(people: People) -> None:
    mine = (await people.ok("CreateHub", hub_input("ORG-A")))["createHub"]
    theirs = (await people.ok("CreateHub", hub_input("ORG-B")))["createHub"]
    named = {"hubId": mine["id"], "userId": people.manager.user_id}
    for _ in range(2):  # naming twice changes nothing and is audited once
        hub = (await people.ok("AddHubManager", named))["addHubManager"]
    assert [m["userId"] for m in hub["managers"]] == [people.manager.user_id]
    await people.ok(
        "AddHubManager", {"hubId": theirs["id"], "userId": people.other_manager.user_id}
    )

    page = (await people.ok("MyHubs", {"first": 10}, people.manager))["myHubs"]
    assert [e["node"]["code"] for e in page["edges"]] == ["ORG-A"]
    page = (await people.ok("MyHubs", {"first": 10}, people.other_manager))["myHubs"]
    assert [e["node"]["code"] for e in page["edges"]] == ["ORG-B"]
    assert (await people.ok("MyHubs", {"first": 10}, people.customer))["myHubs"]["edges"] == []
    assert (await people.error("MyHubs", {"first": 10}, None))["code"] == "UNAUTHENTICATED"

    # Operators page through every HUB by code; nobody else may list them.
    first = (await people.ok("Hubs", {"first": 1}))["hubs"]
    assert [e["node"]["code"] for e in first["edges"]] == ["ORG-A"]
    assert first["pageInfo"]["hasNextPage"]
    rest = (await people.ok("Hubs", {"first": 10, "after": first["pageInfo"]["endCursor"]}))["hubs"]
    assert [e["node"]["code"] for e in rest["edges"]] == ["ORG-B"]
    assert not rest["pageInfo"]["hasNextPage"]
    for caller in (people.manager, people.support, people.customer):
        assert (await people.error("Hubs", {"first": 10}, caller))["code"] == "FORBIDDEN"
        refused = await people.error("AddHubManager", named, caller)
        assert refused["code"] == "FORBIDDEN", caller.email

    unknown_user = await people.error(
        "AddHubManager", {"hubId": mine["id"], "userId": str(uuid.uuid4())}
    )
    assert (unknown_user["code"], unknown_user["field"]) == ("NOT_FOUND", "userId")
    for hub_id in (str(uuid.uuid4()), "not-an-id", ICHEON):  # a logistics centre is no HUB
        unknown_hub = await people.error(
            "AddHubManager", {"hubId": hub_id, "userId": people.manager.user_id}
        )
        assert (unknown_hub["code"], unknown_hub["field"]) == ("NOT_FOUND", "hubId"), hub_id

    for _ in range(2):
        hub = (await people.ok("RemoveHubManager", named))["removeHubManager"]
    assert hub["managers"] == []
    assert (await people.ok("MyHubs", {"first": 10}, people.manager))["myHubs"]["edges"] == []
    added = await audit_rows(people.api, "orders.hub_manager_added")
    removed = await audit_rows(people.api, "orders.hub_manager_removed")
    assert [(r.subject_id, r.data["userId"]) for r in added] == [
        (mine["id"], people.manager.user_id),
        (theirs["id"], people.other_manager.user_id),
    ]
    assert [(r.subject_id, r.actor_user_id) for r in removed] == [
        (mine["id"], uuid.UUID(people.operator.user_id))
    ]


async def audit_rows(api: Api, action: str) -> list:
    async with api.services.db.read() as conn:
        return list(
            await conn.execute(
                select(AuditLog.subject_id, AuditLog.actor_user_id, AuditLog.data)
                .where(AuditLog.action == action)
                .order_by(AuditLog.id)
            )
        )


async def test_concurrent_operators_create_one_hub_and_name_a_manager_once(
    people: People,
) -> None:
    """Ten operators at once with one code: one HUB, nine CONFLICTs (the unique constraint
    decides, never a 500); ten namings of one manager at once: one row, one audit entry."""
    results = await asyncio.gather(
        *(
            people.run("CreateHub", hub_input("ORG-RACE", name=f"Race HUB {n}"), people.operator)
            for n in range(10)
        )
    )
    created = [r["data"]["createHub"] for r in results if r.get("data")]
    codes = sorted(r["errors"][0]["extensions"]["code"] for r in results if r.get("errors"))
    assert len(created) == 1 and codes == ["CONFLICT"] * 9, results
    named = {"hubId": created[0]["id"], "userId": people.manager.user_id}
    results = await asyncio.gather(
        *(people.run("AddHubManager", named, people.operator) for _ in range(10))
    )
    assert all(not r.get("errors") for r in results), results
    assert len(await audit_rows(people.api, "orders.hub_manager_added")) == 1
    hubs = (await people.ok("MyHubs", {"first": 10}, people.manager))["myHubs"]["edges"]
    assert [e["node"]["code"] for e in hubs] == ["ORG-RACE"]
