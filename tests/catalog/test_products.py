"""Product use cases over HTTP: creation, authorization per vendor, price, lifecycle, stock."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from persistence.models.catalog import InventoryMovement, Product
from tests.accounts import new_user
from tests.catalog.world import World, product_input


def code(result: dict) -> str:
    return result["errors"][0]["extensions"]["code"]


async def test_create_product_makes_every_variant(world: World) -> None:
    product = await world.create_product()
    assert product["status"] == "DRAFT"
    assert product["category"]["path"] == "Electronics/Phones"
    assert product["attributes"] == [
        {"key": "brand", "value": "Acme"},
        {"key": "screen_inches", "value": "6.1"},
    ]
    variants = {tuple(v["optionValues"]): v for v in product["variants"]}
    assert set(variants) == {
        ("Black", "128GB"),
        ("Black", "256GB"),
        ("White", "128GB"),
        ("White", "256GB"),
    }
    assert variants[("White", "256GB")]["price"] == {"amount": "1150.00", "currency": "KRW"}
    assert all(v["stock"] == 0 and v["available"] is False for v in product["variants"])
    assert len({v["sku"] for v in product["variants"]}) == 4


async def test_vendor_staff_edit_only_their_own_vendor(world: World) -> None:
    own = await world.create_product(token=world.staff_a.access_token)
    assert own["vendor"]["id"] == world.vendor_a
    other = await world.run(
        "CreateProduct",
        {"input": product_input(world, vendorId=world.vendor_b)},
        world.staff_a.access_token,
    )
    assert code(other) == "FORBIDDEN"
    # Object-level checks on existing products too: B's staff cannot touch A's product.
    price = await world.run(
        "ChangeProductPrice",
        {"id": own["id"], "price": {"amount": "1", "currency": "KRW"}, "expectedVersion": 1},
        world.staff_b.access_token,
    )
    assert code(price) == "FORBIDDEN"
    stock = await world.stock(own["variants"][0]["id"], 5, token=world.staff_b.access_token)
    assert code(stock) == "FORBIDDEN"
    assert (await world.stock(own["variants"][0]["id"], 5, token=world.staff_a.access_token))[
        "data"
    ]
    # Anonymous callers and customers have no catalog permission at all.
    anonymous = await world.run("CreateProduct", {"input": product_input(world)})
    assert code(anonymous) == "UNAUTHENTICATED"
    customer = await new_user(world.api.client, f"shopper-{own['id'][:8]}@example.com")
    denied = await world.run(
        "CreateProduct", {"input": product_input(world)}, customer.access_token
    )
    assert code(denied) == "FORBIDDEN"


async def test_bad_input_names_the_field_and_writes_nothing(world: World) -> None:
    cases = {
        "price.amount": {"price": {"amount": "-5", "currency": "KRW"}},
        "name": {"name": "   "},
        "attributes.colour": {"attributes": [{"key": "colour", "value": "red"}]},
        "attributes.screen_inches": {"attributes": [{"key": "screen_inches", "value": "big"}]},
        "options[0].values": {
            "options": [{"name": "Color", "values": [{"value": "Red"}, {"value": "Red"}]}]
        },
        "options[0].values[0].extraPrice.currency": {
            "options": [
                {
                    "name": "Color",
                    "values": [{"value": "Red", "extraPrice": {"amount": "1", "currency": "USD"}}],
                }
            ]
        },
    }
    for field, override in cases.items():
        result = await world.run(
            "CreateProduct", {"input": product_input(world, **override)}, world.manager.access_token
        )
        assert (code(result), result["errors"][0]["extensions"]["field"]) == (
            "VALIDATION",
            field,
        ), result
    for field, override in {
        "categoryId": {"categoryId": "nope"},
        "vendorId": {"vendorId": "5b6c0d38-0000-4000-8000-000000000000"},
    }.items():
        result = await world.run(
            "CreateProduct", {"input": product_input(world, **override)}, world.manager.access_token
        )
        assert (code(result), result["errors"][0]["extensions"]["field"]) == ("NOT_FOUND", field)
    async with world.api.services.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(Product)) == 0


async def test_price_change_records_history_and_guards_versions(world: World) -> None:
    product = await world.create_product()
    changed = await world.run(
        "ChangeProductPrice",
        {"id": product["id"], "price": {"amount": "1200", "currency": "KRW"}, "expectedVersion": 1},
        world.manager.access_token,
    )
    assert changed["data"]["changeProductPrice"]["product"] == {
        "id": product["id"],
        "version": 2,
        "price": {"amount": "1200.00", "currency": "KRW"},
    }
    stale = await world.run(
        "ChangeProductPrice",
        {"id": product["id"], "price": {"amount": "900", "currency": "KRW"}, "expectedVersion": 1},
        world.manager.access_token,
    )
    assert code(stale) == "CONFLICT" and stale["errors"][0]["extensions"]["currentVersion"] == 2
    await world.launch(product["id"])
    detail = (await world.run("Product", {"id": product["id"]}))["data"]["product"]
    assert detail["priceHistory"] == [
        {
            "oldPrice": {"amount": "1000.00", "currency": "KRW"},
            "newPrice": {"amount": "1200.00", "currency": "KRW"},
            "changedAt": detail["priceHistory"][0]["changedAt"],
        }
    ]
    async with world.api.services.db.read() as conn:
        actor = await conn.scalar(text("SELECT changed_by::text FROM catalog_price_history"))
    assert actor == world.manager.user_id


async def test_two_managers_same_version_exactly_one_wins(world: World) -> None:
    product = await world.create_product()
    attempts = await asyncio.gather(
        *(
            world.run(
                "ChangeProductPrice",
                {
                    "id": product["id"],
                    "price": {"amount": str(2000 + n), "currency": "KRW"},
                    "expectedVersion": 1,
                },
                world.manager.access_token,
            )
            for n in range(20)
        )
    )
    winners = [a for a in attempts if not a.get("errors")]
    assert len(winners) == 1
    assert {code(a) for a in attempts if a.get("errors")} == {"CONFLICT"}
    async with world.api.services.db.read() as conn:
        history = await conn.scalar(text("SELECT count(*) FROM catalog_price_history"))
    assert history == 1


async def test_lifecycle_transitions_are_enforced_and_recorded(world: World) -> None:
    product = await world.create_product()
    illegal = await world.run(
        "TransitionProduct", {"id": product["id"], "to": "LAUNCHED"}, world.manager.access_token
    )
    assert (
        code(illegal) == "VALIDATION"
        and illegal["errors"][0]["extensions"]["reason"] == "ILLEGAL_TRANSITION"
    )
    await world.run(
        "TransitionProduct",
        {"id": product["id"], "to": "IN_REVIEW", "reason": "ready"},
        world.manager.access_token,
    )
    await world.run(
        "TransitionProduct", {"id": product["id"], "to": "LAUNCHED"}, world.manager.access_token
    )
    detail = (await world.run("Product", {"id": product["id"]}))["data"]["product"]
    assert [(e["from"], e["to"], e["reason"]) for e in detail["lifecycle"]] == [
        ("DRAFT", "IN_REVIEW", "ready"),
        ("IN_REVIEW", "LAUNCHED", None),
    ]
    assert (
        code(
            await world.run(
                "TransitionProduct", {"id": "nope", "to": "LAUNCHED"}, world.manager.access_token
            )
        )
        == "NOT_FOUND"
    )


async def test_drafts_are_hidden_from_the_public(world: World) -> None:
    product = await world.create_product()
    assert code(await world.run("Product", {"id": product["id"]})) == "NOT_FOUND"
    assert (await world.run("Product", {"id": product["id"]}, world.staff_a.access_token))["data"][
        "product"
    ]["id"]
    assert (
        code(await world.run("Product", {"id": product["id"]}, world.staff_b.access_token))
        == "NOT_FOUND"
    )


async def test_stock_ledger_idempotency_and_automatic_sold_out(world: World) -> None:
    product = await world.create_product(options=[])
    [variant] = product["variants"]
    await world.launch(product["id"])
    added = await world.stock(variant["id"], 3, key="restock-1")
    assert added["data"]["adjustStock"]["variant"] == {
        "id": variant["id"],
        "stock": 3,
        "available": True,
    }
    replay = await world.stock(variant["id"], 3, key="restock-1")
    assert replay["data"]["adjustStock"]["variant"]["stock"] == 3  # the replay applied nothing
    reused = await world.stock(variant["id"], 7, key="restock-1")
    assert code(reused) == "CONFLICT"
    too_many = await world.stock(variant["id"], -4)
    assert (
        code(too_many) == "VALIDATION"
        and too_many["errors"][0]["extensions"]["reason"] == "INSUFFICIENT_STOCK"
    )
    await world.stock(variant["id"], -3)
    detail = (await world.run("Product", {"id": product["id"]}))["data"]["product"]
    assert detail["status"] == "SOLD_OUT"
    assert detail["lifecycle"][-1]["reason"] == "stock exhausted"
    await world.stock(variant["id"], 1)
    assert (await world.run("Product", {"id": product["id"]}))["data"]["product"][
        "status"
    ] == "LAUNCHED"
    async with world.api.services.db.read() as conn:
        ledger = (
            await conn.execute(
                select(InventoryMovement.delta, InventoryMovement.stock_after).order_by(
                    InventoryMovement.id
                )
            )
        ).all()
    assert [tuple(row) for row in ledger] == [(3, 3), (-3, 0), (1, 1)]


async def test_concurrent_stock_changes_never_go_negative(world: World) -> None:
    product = await world.create_product(options=[])
    [variant] = product["variants"]
    await world.stock(variant["id"], 10)
    results = await asyncio.gather(*(world.stock(variant["id"], -1) for _ in range(30)))
    assert sum(1 for r in results if not r.get("errors")) == 10
    assert {code(r) for r in results if r.get("errors")} == {"VALIDATION"}
    detail = (await world.run("Product", {"id": product["id"]}, world.manager.access_token))[
        "data"
    ]["product"]
    assert detail["variants"][0]["stock"] == 0


async def test_substitutes_for_an_out_of_stock_product(world: World) -> None:
    sold_out = await world.create_product(name="Old phone", options=[])
    near = await world.create_product(
        name="Near phone", options=[], price={"amount": "1100", "currency": "KRW"}
    )
    far = await world.create_product(
        name="Far phone", options=[], price={"amount": "9000", "currency": "KRW"}
    )
    empty = await world.create_product(
        name="Empty phone", options=[], price={"amount": "1000", "currency": "KRW"}
    )
    other_category = await world.create_product(
        name="A book", options=[], categoryId=world.books, attributes=[]
    )
    for product in (sold_out, near, far, empty, other_category):
        await world.launch(product["id"])
    for product in (near, far, other_category):
        await world.stock(product["variants"][0]["id"], 5)
    detail = (await world.run("Product", {"id": sold_out["id"]}))["data"]["product"]
    assert [s["name"] for s in detail["substitutes"]] == ["Near phone", "Far phone"]
    in_stock = (await world.run("Product", {"id": near["id"]}))["data"]["product"]
    assert in_stock["substitutes"] == []


async def test_ledger_is_append_only(world: World) -> None:
    product = await world.create_product(options=[])
    await world.stock(product["variants"][0]["id"], 2)
    async with world.api.services.db.read() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(text("UPDATE catalog_inventory_ledger SET delta = 100"))
