"""Every root field, called by every caller through the real API, gets the outcome the policy
table (tests/identity/authorization_policy.py) declares; a root field without a row fails."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from auth.rbac import BUILTIN_ROLE_NAMES
from schema import build_schema
from stand_ins.process import StandIn
from subscriptions.topics import session_topic
from tests.accounts import LoggedIn, grant_role, new_user
from tests.catalog.world import World
from tests.client import SocketClosed
from tests.contract.documents import contract_text
from tests.contract.test_reservations_contract import _event as concert
from tests.contract.test_reservations_contract import hold
from tests.identity.authorization_policy import CALLERS, POLICY, VARIABLE_TYPES, Rule
from tests.orders.shop import ADDRESS, ICHEON, open_shop
from tests.reservations.helpers import inventory
from tests.waiting import expect_listening, subscribed

ORDERS = contract_text("orders")
GATE_CODES = {"FORBIDDEN": "F", "NOT_FOUND": "N", "UNAUTHENTICATED": "U"}
ROOTS = {"Query": "query", "Mutation": "mutation", "Subscription": "subscription"}
_VARIABLE = re.compile(r"\$(\w+)")


def _schema_root_fields() -> set[str]:
    schema = build_schema()._schema
    return {
        f"{root.name}.{name}"
        for root in (schema.query_type, schema.mutation_type, schema.subscription_type)
        if root is not None
        for name in root.fields
    }


def test_every_root_field_has_exactly_one_row() -> None:
    declared = [rule.field for rule in POLICY]
    assert len(declared) == len(set(declared)), "a field has two rows"
    fields = _schema_root_fields()
    assert sorted(fields - set(declared)) == [], "root fields without a row in POLICY"
    assert sorted(set(declared) - fields) == [], "rows for fields the schema no longer has"


def test_every_builtin_role_has_a_column() -> None:
    assert BUILTIN_ROLE_NAMES <= set(CALLERS)
    for rule in POLICY:
        rule.expected()  # one letter per caller


def document(rule: Rule) -> str:
    kind, _ = rule.field.split(".")
    used = sorted(set(_VARIABLE.findall(rule.call)))
    declared = ", ".join(f"${name}: {VARIABLE_TYPES[name]}" for name in used)
    return f"{ROOTS[kind]} Matrix{f'({declared})' if declared else ''} {{ {rule.call} }}"


def classify(rule: Rule, result: dict[str, Any]) -> str:
    errors = result.get("errors")
    if errors:
        extensions = errors[0].get("extensions", {})
        code = extensions.get("code")
        assert code not in (None, "INTERNAL"), (rule.field, errors)
        assert extensions.get("reason") != "GRAPHQL_VALIDATION", (rule.field, errors)
        return GATE_CODES.get(code, "A")
    value = next(iter((result.get("data") or {}).values()), None)
    if value is None or (isinstance(value, list) and value and all(v is None for v in value)):
        return "N"  # nothing returned: the object is hidden from this caller
    return "A"


@dataclass
class Matrix:
    world: World
    tokens: dict[str, str | None]
    sessions: dict[str, str]
    objects: dict[str, Any]

    def variables(self, rule: Rule) -> dict[str, Any]:
        fresh = {
            "key": uuid.uuid4().hex,
            "email": f"m-{uuid.uuid4().hex[:10]}@example.com",
            "refresh": f"{uuid.uuid4().hex}.{uuid.uuid4().hex}",
        }
        values = {**self.objects, **fresh}
        return {name: values[name] for name in set(_VARIABLE.findall(rule.call))}

    async def over_http(self, rule: Rule, caller: str) -> str:
        result = await self.world.api.client.post(
            document(rule), self.variables(rule), token=self.tokens[caller]
        )
        return classify(rule, result)

    async def over_socket(self, rule: Rule, caller: str) -> str:
        """A refused subscription answers at once; an allowed one answers its first event, which
        `_provoke` publishes once the subscription can hear it."""
        session = self.sessions.get(caller) if rule.field == "Subscription.sessionEvents" else None
        listens = await expect_listening(self.world.api.services, session) if session else None
        try:
            async with self.world.api.client.socket(self.tokens[caller]) as ws:
                await ws.subscribe(document(rule), self.variables(rule))
                poke = asyncio.create_task(self._provoke(rule, caller, listens))
                try:
                    message = await ws.receive(timeout=20)
                finally:
                    poke.cancel()
        except SocketClosed as closed:
            # A dead session: refused at connection_init (4403) or closed once the directive
            # ends it (4401).
            assert closed.code in (4401, 4403), closed
            return "U"
        if message["type"] == "error":
            return classify(rule, {"errors": message["payload"]})
        return classify(rule, message["payload"])

    async def _provoke(
        self, rule: Rule, caller: str, listens: Callable[[], Awaitable[None]] | None
    ) -> None:
        broker = self.world.api.services.broker
        if rule.field == "Subscription.sessionEvents" and listens is not None:
            await listens()  # this socket's subscription is registered: one event is enough
            event = {"kind": "LOGGED_OUT", "reason": None, "at": "2026-01-01T00:00:00+00:00"}
            await broker.publish(session_topic(self.sessions[caller]), event)
        elif rule.field == "Subscription.seatMap":
            # Callers share the seat map's channel, so Redis cannot say whether this caller's
            # subscription is registered yet: publish until the first event reaches it.
            topic = f"topic:seatmap:{self.objects['event']}"
            await subscribed(self.world.api.services, topic)
            while True:
                await broker.publish(topic, {"seatId": "s", "status": "HELD"})
                await asyncio.sleep(0.2)

    async def run(self, caller: str) -> dict[str, str]:
        outcomes = {}
        for rule in [r for r in POLICY if not r.last] + [r for r in POLICY if r.last]:
            call = self.over_socket if rule.field.startswith("Subscription.") else self.over_http
            outcomes[rule.field] = await call(rule, caller)
        return outcomes


async def _callers(world: World, owner: LoggedIn, stamp: str) -> dict[str, LoggedIn]:
    services = world.api.services
    client = world.api.client
    people = {"owner": owner}
    for name in CALLERS[2:]:
        if name == "vendor_staff":  # staff of the other vendor: not the product's
            people[name] = world.staff_b
            continue
        people[name] = await new_user(client, f"{name}-{stamp}@example.com")
        if name in BUILTIN_ROLE_NAMES and name != "customer":
            await grant_role(services, people[name].user_id, name)
    withdrawn = people["withdrawn"]
    await client.data("mutation { withdraw { withdrawnAt } }", token=withdrawn.access_token)
    # Disabled while its session is still live (as a login racing the disabling would leave it).
    async with services.db.transaction() as unit:
        await unit.session.execute(
            text("UPDATE identity_user SET status = 'DISABLED' WHERE id = :u"),
            {"u": people["disabled"].user_id},
        )
    return people


async def _objects(world: World, payment_provider: StandIn, stamp: str) -> tuple[LoggedIn, dict]:
    services = world.api.services
    shop = await open_shop(world, payment_provider.url)
    owner = shop.customer
    order_id = (await shop.buy(1))["data"]["checkout"]["order"]["id"]
    await shop.settled(order_id)
    stock = await inventory(services, 10)
    # A concert the owner holds a seat of: the ticket and the HELD reservation every call names.
    event_id, seats = await concert(world.api, opens=-timedelta(hours=1), closes=timedelta(days=1))
    ticket = await hold(world.api.client, event_id, seats[:1], owner.access_token, stamp)
    assert ticket["reservation"]["status"] == "HELD", ticket
    victim = await new_user(world.api.client, f"victim-{stamp}@example.com")
    return owner, {
        "user": owner.user_id,
        "victim": victim.user_id,
        "order": order_id,
        "product": shop.product_id,
        "variant": shop.variant_id,
        "vendor": world.vendor_a,
        "category": world.phones,
        "origin": ICHEON,
        "inventory": str(stock),
        "ticket": ticket["id"],
        "reservation": ticket["reservation"]["id"],
        "event": event_id,
        "seat": seats[1],
        "address": ADDRESS,
        "representations": [{"__typename": "User", "id": owner.user_id}],
    }


async def _hub_run_by(world: World, operator: LoggedIn, manager: LoggedIn, stamp: str) -> str:
    """A dealer HUB made and staffed the way operators do it (createHub, addHubManager)."""
    client = world.api.client
    created = await client.data(
        ORDERS,
        {
            "input": {
                "code": f"M-{stamp}".upper(),
                "type": "DEALER",
                "name": f"Matrix {stamp}",
                "owner": "Matrix dealer",
                "location": "Busan",
            }
        },
        operation="CreateHub",
        token=operator.access_token,
    )
    hub_id = created["createHub"]["id"]
    await client.data(
        ORDERS,
        {"hubId": hub_id, "userId": manager.user_id},
        operation="AddHubManager",
        token=operator.access_token,
    )
    return hub_id


async def test_every_caller_gets_the_declared_outcome(
    world: World, payment_provider: StandIn
) -> None:
    stamp = uuid.uuid4().hex[:8]
    owner, objects = await _objects(world, payment_provider, stamp)
    people = await _callers(world, owner, stamp)
    objects["hub"] = await _hub_run_by(world, people["admin"], people["hub_manager"], stamp)
    tokens: dict[str, str | None] = {name: p.access_token for name, p in people.items()}
    matrix = Matrix(
        world,
        {"anonymous": None, **tokens},
        {name: p.session_id for name, p in people.items()},
        objects,
    )
    # Callers run at once; each caller's rows in order (the `last` rows end its session).
    results = await asyncio.gather(*(matrix.run(caller) for caller in CALLERS))
    actual = dict(zip(CALLERS, results, strict=True))
    wrong = [
        f"{rule.field} as {caller}: expected {want}, got {actual[caller][rule.field]}"
        for rule in POLICY
        for caller, want in rule.expected().items()
        if actual[caller][rule.field] != want
    ]
    assert wrong == [], "\n".join(wrong)

    # Every refusal was audited, naming the real caller (ID-13).
    async with world.api.services.db.read() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT actor_user_id::text, subject_id FROM audit_log WHERE action = 'authz.forbidden'"
                )
            )
        ).all()
    audited = {(actor, subject) for actor, subject in rows}
    for rule in POLICY:
        for caller, want in rule.expected().items():
            if want == "F" and caller != "anonymous" and not rule.field.startswith("Subscription."):
                assert (people[caller].user_id, rule.field) in audited, (caller, rule.field)
