"""Inputs the database cannot hold are refused at the boundary as VALIDATION, never an
INTERNAL with a traceback in the log (API-4, ID-10)."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest

from tests.accounts import grant_role, new_user
from tests.conftest import Api

NUL = "a\x00b"
ADJUST_STOCK = """mutation($v: ID!, $k: String!, $r: String!) {
  adjustStock(variantId: $v, delta: 1, reason: $r, idempotencyKey: $k) { __typename }
}"""
CREATE_EVENT = """mutation($o: DateTime!, $c: DateTime!) {
  createEvent(name: "Gig", bookingOpensAt: $o, bookingClosesAt: $c, paymentWindowMinutes: 10,
              price: {amount: "10.00", currency: "KRW"}, sections: [{name: "A", seats: 2}]) { id }
}"""


@pytest.fixture
async def admin(api: Api, unique_email) -> str:
    session = await new_user(api.client, unique_email("admin"))
    await grant_role(api.services, session.user_id, "admin")
    return session.access_token


@pytest.fixture
def server_errors(caplog: pytest.LogCaptureFixture):
    """The API runs in this process: its error records (and tracebacks) land here."""
    caplog.set_level(logging.WARNING)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def _codes(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["extensions"]["code"], e["extensions"].get("reason")) for e in result["errors"]]


async def test_nul_is_refused_in_every_string(api: Api, admin: str, server_errors) -> None:
    calls: list[tuple[str, dict[str, Any], str | None]] = [
        (
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            {"i": {"email": NUL, "password": "x" * 12, "deviceId": "d", "deviceName": "d"}},
            None,
        ),
        (
            "mutation($i: SignUpInput!) { signUp(input: $i) { user { id } } }",
            {
                "i": {
                    "email": "nul@example.com",
                    "password": "Correct-Horse-42!",
                    "displayName": NUL,
                }
            },
            None,
        ),
        ('{ products(first: 1, filter: {text: "a\\u0000b"}) { edges { cursor } } }', {}, None),
        ("mutation($n: String!) { createVendor(name: $n) { id } }", {"n": NUL}, admin),
        (
            'mutation($u: ID!) { assignRole(userId: $u, role: "x\\u0000") { id } }',
            {"u": str(uuid.uuid4())},
            admin,
        ),
        (
            ADJUST_STOCK,
            {"v": str(uuid.uuid4()), "k": NUL, "r": "r"},
            admin,
        ),
    ]
    for query, variables, token in calls:
        result = await api.client.post(query, variables, token=token)
        assert _codes(result) == [("VALIDATION", "NUL_CHARACTER")], (query, result)
    assert server_errors() == []


async def test_decimals_beyond_the_columns_are_validation(api: Api, server_errors) -> None:
    page = "query($p: Decimal) { products(first: 1, filter: {minPrice: $p}) { edges { cursor } } }"
    for bad in ("100000000000000000000", "NaN", "-Infinity", "1e-400", "0.001", 1e300, "x"):
        result = await api.client.post(page, {"p": bad})
        assert _codes(result) == [("VALIDATION", "GRAPHQL_VALIDATION")], (bad, result)
    literal = (
        '{ products(first: 1, filter: {minPrice: "100000000000000000000"}) { edges { cursor } } }'
    )
    assert _codes(await api.client.post(literal)) == [("VALIDATION", "GRAPHQL_VALIDATION")]
    assert "errors" not in await api.client.post(page, {"p": "999999999999.99"})
    assert server_errors() == []


async def test_date_times_need_an_offset(api: Api, admin: str, server_errors) -> None:
    for opens in ("2030-01-01T10:00:00", "0001-01-01T00:00:00+01:00", "2030-13-01T00:00:00Z"):
        result = await api.client.post(
            CREATE_EVENT, {"o": opens, "c": "2030-02-01T10:00:00+09:00"}, token=admin
        )
        assert _codes(result) == [("VALIDATION", "GRAPHQL_VALIDATION")], (opens, result)
    made = await api.client.post(
        CREATE_EVENT,
        {"o": "2030-01-01T10:00:00+09:00", "c": "2030-02-01T10:00:00+09:00"},
        token=admin,
    )
    assert "errors" not in made, made
    assert server_errors() == []


async def test_malformed_entity_representations(api: Api, admin: str, server_errors) -> None:
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Vendor { name } } }"
    vendor = await api.client.data('mutation { createVendor(name: "V") { id } }', token=admin)
    good = {"__typename": "Vendor", "id": vendor["createVendor"]["id"]}
    bad = [
        "a string",
        {"__typename": "Nope", "id": "1"},
        {"__typename": "Query", "id": "1"},
        {"__typename": "Vendor"},
        {"__typename": "Vendor", "id": 5},
        {"__typename": "Vendor", "id": "1", "extra": True},
        {"id": "1"},
    ]
    result = await api.client.post(query, {"r": [*bad, good]})
    assert result["data"]["_entities"][-1] == {"name": "V"}
    assert result["data"]["_entities"][:-1] == [None] * len(bad)
    assert sorted(e["path"][1] for e in result["errors"]) == list(range(len(bad)))
    assert {e["extensions"]["code"] for e in result["errors"]} == {"VALIDATION"}
    assert server_errors() == []


async def test_root_fields_never_share_the_session_at_once(
    api: Api, admin: str, server_errors
) -> None:
    made = await api.client.data(
        CREATE_EVENT, {"o": "2030-01-01T10:00:00Z", "c": "2030-02-01T10:00:00Z"}, token=admin
    )
    event = made["createEvent"]["id"]
    events = "query($e: ID!) { a: event(id: $e) { id } b: event(id: $e) { id } }"
    for _ in range(5):
        result = await api.client.post(events, {"e": event}, token=admin)
        assert result["data"] == {"a": {"id": event}, "b": {"id": event}}, result
        both = await api.client.post("{ users { totalCount } roles { name } }", token=admin)
        assert "errors" not in both, both
    assert server_errors() == []


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 1000 + b"]" * 1000,
        b'{"query": "{ __typename }", "variables": ' + b'{"a":' * 100 + b"1" + b"}" * 101,
        b'{"query": "{ __typename \xff\xfe }"}',
        b'{"query": "{ __typename }", "variables": {"x": NaN}}',
        b'{"query": "{ __typename }", "variables": {"x": ' + b"9" * 5000 + b"}}",
        b'{"query": "{ __typename }", "operationName": 5}',
        b'[{"query": "{ __typename }"}]',
        b"null",
        b"",
    ],
)
async def test_transport_errors_are_400_with_a_code(api: Api, body: bytes, server_errors) -> None:
    response = await api.client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    error = json.loads(response.text)["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION"
    assert server_errors() == []


async def test_wrong_content_types_are_400(api: Api) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "image/png", ""):
        response = await api.client.http.post(
            "/graphql", content=b"{}", headers={"content-type": content_type}
        )
        assert response.status_code == 400, content_type
        assert response.json()["errors"][0]["extensions"]["code"] == "VALIDATION"


async def test_values_a_column_cannot_hold_are_validation(
    api: Api, admin: str, server_errors
) -> None:
    """Found by the fuzzer: an attribute key longer than its column. Whatever input the
    domain does not check yet, PostgreSQL's data exceptions answer VALIDATION."""
    create = """mutation($k: String!) {
      createCategory(name: "C", attributeDefinitions: [{key: $k, type: STRING}]) { id }
    }"""
    result = await api.client.post(create, {"k": "x" * 3000}, token=admin)
    assert _codes(result) == [("VALIDATION", "VALUE_NOT_STORABLE")], result
    assert server_errors() == []


async def test_a_subscription_sent_over_http_is_refused_with_its_code(
    api: Api, admin: str, server_errors
) -> None:
    """Subscriptions run over the WebSocket; over HTTP they are a client mistake, not INTERNAL."""
    order_updates = (
        'subscription { orderUpdates(orderId: "00000000-0000-4000-8000-000000000000") { status } }'
    )
    for document, operation in (
        (order_updates, None),
        ("subscription S { sessionEvents { reason } } query Q { __typename }", "S"),
    ):
        result = await api.client.post(document, token=admin, operation=operation)
        assert _codes(result) == [("VALIDATION", "SUBSCRIPTION_OVER_HTTP")], result
    assert server_errors() == []
