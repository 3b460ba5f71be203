"""API-1: a federation schema with entity keys; supergraph and subgraph SDL; _service and _entities."""

from __future__ import annotations

import subprocess
import sys

from schema import SUBGRAPHS, build_schema
from tests.accounts import grant_role, new_user
from tests.conftest import Api

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }"


def test_every_subgraph_builds_alone_and_the_supergraph_has_them_all() -> None:
    supergraph = build_schema().as_str()
    for name in SUBGRAPHS:
        sdl = build_schema(subgraph=name).as_str()
        assert '@link(url: "https://specs.apollo.dev/federation/' in sdl
    assert 'type User @key(fields: "id")' in supergraph
    assert '@requiresPermission(permission: "identity.roles.manage")' in supergraph


def test_a_subgraph_holds_another_subgraphs_entity_as_its_key_alone() -> None:
    orders = build_schema(subgraph="orders").as_str()
    catalog = build_schema(subgraph="catalog").as_str()
    assert 'type Product @key(fields: "id") {\n  id: ID!\n}' in orders
    assert "type Category" not in orders  # nothing of the catalog's below the reference
    assert 'type Product @key(fields: "id") {\n  id: ID!\n  name: String!' in catalog
    for shared in ("Money", "PageInfo", "Variant"):
        assert f"type {shared} @shareable" in orders


def test_cli_prints_the_sdl() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "server.cli", "sdl", "--subgraph", "identity"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert 'type User @key(fields: "id")' in out
    bad = subprocess.run(
        [sys.executable, "-m", "server.cli", "sdl", "--subgraph", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0 and "unknown subgraph" in bad.stderr


async def test_service_sdl_and_entities(api: Api, unique_email) -> None:
    client = api.client
    sdl = (await client.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert 'type User @key(fields: "id")' in sdl
    user = await new_user(client, unique_email())
    other = await new_user(client, unique_email())
    representations = [
        {"__typename": "User", "id": user.user_id},
        {"__typename": "User", "id": other.user_id},
    ]
    # A customer resolves only their own entity; the other one is hidden.
    own = (await client.data(ENTITIES, {"r": representations}, token=user.access_token))[
        "_entities"
    ]
    assert own == [{"id": user.user_id, "email": user.email}, None]
    await grant_role(api.services, user.user_id, "support")
    both = (await client.data(ENTITIES, {"r": representations}, token=user.access_token))[
        "_entities"
    ]
    assert [entity["email"] for entity in both] == [user.email, other.email]
