"""Read is not write, no self-dealing, the real caller audited, refusals audited (ID-12, ID-13)."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select

from persistence.models.audit import AuditLog
from stand_ins.process import StandIn
from tests.accounts import LoggedIn, grant_role, new_user
from tests.catalog.world import World
from tests.orders.shop import ADDRESS, GRANT, Shop, open_shop

REFUND = 'mutation($o: ID!, $k: String!) { requestRefund(orderId: $o, reason: "late", idempotencyKey: $k) { order { id status } } }'
SHIPPING = "mutation($o: ID!, $a: AddressInput!, $v: Int!) { updateOrderShipping(orderId: $o, address: $a, expectedVersion: $v) { order { id version } } }"
ORDER = "query($o: ID!) { order(id: $o) { id version status shipment { status } } }"
POINTS = "{ myPoints { balance } }"
ASSIGN = 'mutation($u: ID!) { assignRole(userId: $u, role: "support") { id } }'


async def _staff(shop: Shop, role: str) -> LoggedIn:
    api = shop.world.api
    person = await new_user(api.client, f"{role}-{uuid.uuid4().hex[:8]}@example.com")
    await grant_role(api.services, person.user_id, role)
    return person


async def _audit(shop: Shop, action: str, subject: str) -> list[tuple[str | None, dict]]:
    async with shop.world.api.services.db.read() as conn:
        rows = await conn.execute(
            select(AuditLog.actor_user_id, AuditLog.data)
            .where(AuditLog.action == action, AuditLog.subject_id == subject)
            .order_by(AuditLog.id)
        )
        return [(str(actor) if actor else None, data) for actor, data in rows]


async def _paid_order(shop: Shop) -> str:
    order_id = (await shop.buy(1))["data"]["checkout"]["order"]["id"]
    await shop.settled(order_id)
    return order_id


async def test_support_reads_but_cannot_change_another_customers_order(
    world: World, payment_provider: StandIn
) -> None:
    shop = await open_shop(world, payment_provider.url)
    order_id = await _paid_order(shop)
    support = await _staff(shop, "support")
    client = world.api.client

    seen = (await client.data(ORDER, {"o": order_id}, token=support.access_token))["order"]
    assert seen["id"] == order_id
    for query, variables, field in (
        (REFUND, {"o": order_id, "k": "support-refund"}, "requestRefund"),
        (SHIPPING, {"o": order_id, "a": ADDRESS, "v": seen["version"]}, "updateOrderShipping"),
    ):
        error = await client.error(query, variables, token=support.access_token)
        assert error["extensions"] == {"code": "FORBIDDEN", "permission": "orders.write_all"}
        # The refusal is audited as the caller's, though the request's transaction rolled back.
        refused = await _audit(shop, "authz.forbidden", f"Mutation.{field}")
        assert refused[-1] == (
            support.user_id,
            {"path": [field], "reason": None, "permission": "orders.write_all"},
        )
    after = (await client.data(ORDER, {"o": order_id}, token=support.access_token))["order"]
    assert (after["version"], after["status"]) == (seen["version"], seen["status"])
    assert await _audit(shop, "orders.refund_requested", order_id) == []


async def test_a_refund_is_audited_as_the_operator_who_asked(
    world: World, payment_provider: StandIn
) -> None:
    shop = await open_shop(world, payment_provider.url)
    order_id = await _paid_order(shop)
    admin = await _staff(shop, "admin")
    refunded = await world.api.client.data(
        REFUND, {"o": order_id, "k": "admin-refund"}, token=admin.access_token
    )
    assert refunded["requestRefund"]["order"]["id"] == order_id
    settled = await shop.settled(order_id)
    assert settled["status"] == "REFUNDED"
    [(actor, data)] = await _audit(shop, "orders.refund_requested", order_id)
    assert (actor, data) == (admin.user_id, {"reason": "late"})
    # Every row of the refund saga names the operator; the customer's payment, the customer.
    [(canceller, _)] = await _audit(shop, "orders.payment_cancelled", order_id)
    assert canceller == admin.user_id
    [(payer, _)] = await _audit(shop, "orders.payment_charged", order_id)
    assert payer == shop.customer.user_id


async def test_no_one_grants_points_or_roles_to_themselves(
    world: World, payment_provider: StandIn
) -> None:
    shop = await open_shop(world, payment_provider.url)
    client = world.api.client
    support = await _staff(shop, "support")
    admin = await _staff(shop, "admin")

    attempts = await asyncio.gather(
        *(
            client.post(
                GRANT,
                {"u": support.user_id, "p": 10_000_000, "k": f"self-{i}"},
                token=support.access_token,
            )
            for i in range(5)
        )
    )
    for attempt in attempts:
        extensions = attempt["errors"][0]["extensions"]
        assert (extensions["code"], extensions["reason"]) == ("FORBIDDEN", "SELF_DEALING")
    assert (await client.data(POINTS, token=support.access_token))["myPoints"]["balance"] == 0
    refusals = await _audit(shop, "authz.forbidden", "Mutation.grantPoints")
    assert [actor for actor, _ in refusals] == [support.user_id] * 5

    # Granting to someone else is what the permission is for.
    granted = await client.data(
        GRANT, {"u": shop.customer.user_id, "p": 50, "k": "goodwill"}, token=support.access_token
    )
    assert granted["grantPoints"]["balance"] == 50

    error = await client.error(ASSIGN, {"u": admin.user_id}, token=admin.access_token)
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "FORBIDDEN",
        "SELF_DEALING",
    )
    assert await _audit(shop, "identity.role_changed", admin.user_id) == []
