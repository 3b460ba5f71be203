"""Account status enforced (ID-14, ID-17), through the real API: a disabled account cannot
log in and its sessions and sockets end at once; an operator ends all sessions of an account;
a withdrawn customer can no longer buy, hold or pay, yet sees a year of history."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from persistence.models.audit import AuditLog
from stand_ins.process import StandIn
from tests.accounts import LOGIN, ME, PASSWORD, LoggedIn, grant_role, login, new_user
from tests.catalog.world import World
from tests.client import GraphQLClient
from tests.conftest import Api
from tests.orders.shop import ADDRESS, ICHEON, open_shop
from tests.reservations.helpers import inventory

DISABLE = 'mutation($u: ID!) { disableAccount(userId: $u, reason: "fraud") { id status } }'
ENABLE = "mutation($u: ID!) { enableAccount(userId: $u) { id status } }"
END_SESSIONS = "mutation($u: ID!) { endAccountSessions(userId: $u) }"
REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }"
SESSION_EVENTS = "subscription { sessionEvents { kind reason } }"


def _credentials(email: str, password: str) -> dict:
    return {"input": {"email": email, "password": password, "deviceId": "d"}}


async def _operator(api: Api, email: str, role: str = "admin") -> LoggedIn:
    operator = await new_user(api.client, email)
    await grant_role(api.services, operator.user_id, role)
    return operator


async def _audited(api: Api, action: str, subject: str) -> list[tuple[str, dict]]:
    """(actor, data) of each audit row, oldest first."""
    async with api.services.db.read() as conn:
        rows = await conn.execute(
            select(AuditLog.actor_user_id, AuditLog.data)
            .where(AuditLog.action == action, AuditLog.subject_id == subject)
            .order_by(AuditLog.id)
        )
        return [(str(actor), data) for actor, data in rows]


async def test_disabling_ends_sessions_and_sockets_and_refuses_login(
    api: Api, unique_email
) -> None:
    client = api.client
    admin = await _operator(api, unique_email("admin"))
    email = unique_email("customer")
    customer = await new_user(client, email)
    async with (
        client.socket(customer.access_token) as socket,
        client.socket(customer.access_token) as idle_socket,
    ):
        op = await socket.subscribe(SESSION_EVENTS)
        disabled = await client.data(DISABLE, {"u": customer.user_id}, token=admin.access_token)
        assert disabled["disableAccount"]["status"] == "DISABLED"

        # The live socket hears why, then both sockets are closed.
        message = await socket.receive()
        assert (message["id"], message["payload"]["data"]["sessionEvents"]["kind"]) == (
            op,
            "ACCOUNT_DISABLED",
        )
        assert (await socket.receive())["type"] == "complete"
        assert (await socket.closed()).code == 4401
        assert (await idle_socket.closed()).reason == "ACCOUNT_DISABLED"

    # The old tokens are dead at once, with a reason a client can show.
    error = await client.error(ME, token=customer.access_token)
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "UNAUTHENTICATED",
        "ACCOUNT_DISABLED",
    )
    error = await client.error(REFRESH, {"t": customer.refresh_token})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    # Login is refused, but only to whoever knows the password.
    refused = await client.error(LOGIN, _credentials(email, PASSWORD))
    assert (refused["extensions"]["code"], refused["extensions"]["reason"]) == (
        "FORBIDDEN",
        "ACCOUNT_DISABLED",
    )
    wrong = await client.error(LOGIN, _credentials(email, "Wrong-Horse-42!"))
    assert wrong["extensions"]["reason"] == "INVALID_CREDENTIALS"

    [(actor, data)] = await _audited(api, "identity.account_disabled", customer.user_id)
    assert (actor, data) == (
        admin.user_id,
        {"reason": "fraud", "sessionsEnded": [customer.session_id]},
    )

    # Enabled again: the customer signs in as before.
    enabled = await client.data(ENABLE, {"u": customer.user_id}, token=admin.access_token)
    assert enabled["enableAccount"]["status"] == "ACTIVE"
    again = await login(client, email)
    assert (await client.data(ME, token=again.access_token))["me"]["id"] == customer.user_id
    [(actor, data)] = await _audited(api, "identity.account_enabled", customer.user_id)
    assert (actor, data) == (admin.user_id, {"status": "ACTIVE"})


async def test_operator_ends_all_sessions_of_an_account(api: Api, unique_email) -> None:
    client = api.client
    admin = await _operator(api, unique_email("admin"))
    support = await _operator(api, unique_email("support"), "support")
    customer = await new_user(client, unique_email())
    refused = await client.error(END_SESSIONS, {"u": customer.user_id}, token=support.access_token)
    assert refused["extensions"] == {
        "code": "FORBIDDEN",
        "permission": "identity.accounts.manage",
    }
    async with client.socket(customer.access_token) as socket:
        ended = await client.data(END_SESSIONS, {"u": customer.user_id}, token=admin.access_token)
        assert ended["endAccountSessions"] == 1
        assert (await socket.closed()).reason == "ENDED_BY_OPERATOR"
    error = await client.error(ME, token=customer.access_token)
    assert error["extensions"]["reason"] == "ENDED_BY_OPERATOR"
    # Nothing left to end; the account itself still works.
    again = await client.data(END_SESSIONS, {"u": customer.user_id}, token=admin.access_token)
    assert again["endAccountSessions"] == 0
    await login(client, customer.email)
    ended_rows = await _audited(api, "identity.sessions_ended", customer.user_id)
    assert ended_rows == [
        (admin.user_id, {"sessionsEnded": [customer.session_id]}),
        (admin.user_id, {"sessionsEnded": []}),
    ]
    # An operator does not act on their own account.
    self_service = await client.error(DISABLE, {"u": admin.user_id}, token=admin.access_token)
    assert (self_service["extensions"]["code"], self_service["extensions"]["reason"]) == (
        "FORBIDDEN",
        "SELF_DEALING",
    )


async def test_disabled_account_with_a_live_session_is_refused_and_signed_out(
    api: Api, client: GraphQLClient, unique_email
) -> None:
    """A session that outlived the disabling (a login racing it) is refused and ended by the
    directive, which reads the account's status on every request."""
    customer = await new_user(client, unique_email())
    async with api.services.db.transaction() as unit:
        from persistence.models.identity import User

        (await unit.session.get(User, uuid.UUID(customer.user_id))).status = "DISABLED"
    async with client.socket(customer.access_token) as socket:
        error = await client.error(ME, token=customer.access_token)
        assert error["extensions"]["reason"] == "ACCOUNT_DISABLED"
        closed = await socket.closed()
        assert (closed.code, closed.reason) == (4401, "ACCOUNT_DISABLED")
    status = await api.services.sessions.status(customer.session_id)
    assert (status.live, status.cause) == (False, "ACCOUNT_DISABLED")


async def test_withdrawn_customer_cannot_buy_hold_or_pay_but_sees_history(
    world: World, payment_provider: StandIn
) -> None:
    shop = await open_shop(world, payment_provider.url)
    order_id = (await shop.buy(1))["data"]["checkout"]["order"]["id"]
    await shop.settled(order_id)
    client, token = world.api.client, shop.customer.access_token
    await client.data("mutation { withdraw { withdrawnAt } }", token=token)
    stock = await inventory(world.api.services, 5)

    attempts = {
        "addToCart": (
            "mutation($v: ID!) { addToCart(variantId: $v, quantity: 1) { cart { id } } }",
            {"v": shop.variant_id},
        ),
        "checkout": (
            'mutation($o: ID!, $a: AddressInput!) { checkout(input: {shippingOriginId: $o, shippingAddress: $a, paymentMethod: "card", idempotencyKey: "k"}) { order { id } } }',
            {"o": ICHEON, "a": ADDRESS},
        ),
        "requestReservation": (
            'mutation($i: ID!) { requestReservation(input: {inventoryId: $i, quantity: 1, idempotencyKey: "k"}) { ticket { id } } }',
            {"i": str(stock)},
        ),
        "holdSeats": (
            'mutation($e: ID!) { holdSeats(eventId: $e, seatIds: [$e], idempotencyKey: "k") { ticket { id } } }',
            {"e": str(uuid.uuid4())},
        ),
        "payReservation": (
            'mutation($r: ID!) { payReservation(reservationId: $r, paymentMethod: "card", idempotencyKey: "k") { reservation { id } } }',
            {"r": str(uuid.uuid4())},
        ),
    }
    for name, (query, variables) in attempts.items():
        error = await client.error(query, variables, token=token)
        assert (error["extensions"]["code"], error["extensions"].get("reason")) == (
            "FORBIDDEN",
            "ACCOUNT_WITHDRAWN",
        ), name
    async with world.api.services.db.transaction() as unit:
        from persistence.models.reservations import Inventory

        assert (await unit.session.get(Inventory, stock)).available == 5  # nothing was queued

    # The withdrawn customer still logs in and sees the order with its lines' state.
    again = await login(client, shop.customer.email, device="tablet")
    mine = await client.data(
        "{ myOrders(first: 5) { edges { node { id status } } } }", token=again.access_token
    )
    assert [e["node"]["id"] for e in mine["myOrders"]["edges"]] == [order_id]
    order = await client.data(
        "query($id: ID!) { order(id: $id) { id total { amount } } }",
        {"id": order_id},
        token=again.access_token,
    )
    assert order["order"]["id"] == order_id
