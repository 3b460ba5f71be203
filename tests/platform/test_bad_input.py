"""Every HTTP entry point answers bad input with a clear error, never a 500 (ID-10, API-4)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import websockets

from tests.accounts import ME, new_user
from tests.client import SocketClosed, TransportWS
from tests.conftest import Api, ApiFactory


def _code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


@pytest.fixture
def http(api: Api) -> httpx.AsyncClient:
    return api.client.http


async def test_malformed_json_is_a_400_with_a_graphql_error(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and _code(response) == "VALIDATION"


async def test_json_that_is_not_an_object(http: httpx.AsyncClient) -> None:
    for body in (b"[]", b'"query"', b"42", b"null"):
        response = await http.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code < 500, body
        assert response.json()["errors"], body


async def test_missing_query_and_wrong_content_type(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"variables": {}})
    assert response.status_code == 400 and _code(response) == "VALIDATION"
    response = await http.post(
        "/graphql", content=b"query { me { id } }", headers={"content-type": "text/plain"}
    )
    assert 400 <= response.status_code < 500 and _code(response) == "VALIDATION"


async def test_syntax_errors_unknown_fields_and_bad_variables(http: httpx.AsyncClient) -> None:
    for body in (
        {"query": "query { me { "},
        {"query": "query { nothingHere }"},
        {
            "query": "query($f: Int!) { users(first: $f) { edges { cursor } } }",
            "variables": {"f": "ten"},
        },
        {"query": "query($f: Int!) { users(first: $f) { edges { cursor } } }", "variables": {}},
        {
            "query": "mutation($i: SignUpInput!) { signUp(input: $i) { user { id } } }",
            "variables": {"i": {"email": 5}},
        },
        {"query": "query { me { id } }", "variables": "not-an-object"},
    ):
        response = await http.post("/graphql", json=body)
        assert response.status_code < 500, body
        errors = response.json()["errors"]
        assert errors[0]["extensions"]["code"] == "VALIDATION", (body, errors)


async def test_oversized_body_is_refused_with_413(api_factory: ApiFactory) -> None:
    async with api_factory(max_body_bytes=2048) as api:
        padding = "x" * 4096
        response = await api.client.http.post(
            "/graphql", json={"query": "{ __typename }", "variables": {"p": padding}}
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["reason"] == "BODY_TOO_LARGE"

        async def chunks():  # no Content-Length: the limit still holds for streamed bodies
            for _ in range(4):
                yield b"x" * 1024

        response = await api.client.http.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        assert (await api.client.http.get("/healthz")).status_code == 200


async def test_deep_queries_and_alias_floods_are_refused(api_factory: ApiFactory) -> None:
    aliases = "{ " + "".join(f"a{n}: __typename " for n in range(100)) + "}"
    deep = "{ users(first: 1) { edges { node { roles { name } } } } }"  # depth 4 (from 0)
    async with api_factory(max_query_depth=3) as api:
        for query in (aliases, deep):
            response = await api.client.http.post("/graphql", json={"query": query})
            assert response.status_code < 500
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "VALIDATION", error


async def test_huge_token_count_is_refused(http: httpx.AsyncClient) -> None:
    query = "{ " + " ".join("__typename" for _ in range(6000)) + " }"
    response = await http.post("/graphql", json={"query": query})
    assert response.status_code < 500
    assert response.json()["errors"][0]["extensions"]["code"] == "VALIDATION"


async def test_get_allows_queries_but_not_mutations(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"accept": "application/json"}
    )
    assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}
    response = await http.get(
        "/graphql", params={"query": "mutation { logout }"}, headers={"accept": "application/json"}
    )
    assert response.status_code in {400, 405} and _code(response) == "VALIDATION"


async def test_other_methods_are_refused(http: httpx.AsyncClient) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        response = await http.request(method, "/graphql", json={"query": "{ __typename }"})
        assert 400 <= response.status_code < 500, method


async def test_bad_authorization_headers(api: Api, unique_email) -> None:
    http = api.client.http
    for header in (
        "Basic abc",
        "Bearer",
        "Bearer " + "a" * 5000,
        "Bearer eyJhbGciOiJub25lIn0.e30.",
    ):
        response = await http.post(
            "/graphql", json={"query": ME}, headers={"authorization": header}
        )
        assert response.status_code == 200, header
        assert _code(response) == "UNAUTHENTICATED", header
    # A token signed by someone else's key (alg confusion, forged kid) is refused.
    session = await new_user(api.client, unique_email())
    header, payload, _ = session.access_token.split(".")
    response = await http.post(
        "/graphql", json={"query": ME}, headers={"authorization": f"Bearer {header}.{payload}.AAAA"}
    )
    assert _code(response) == "UNAUTHENTICATED"


async def test_unknown_paths_are_404(http: httpx.AsyncClient) -> None:
    assert (await http.get("/nope")).status_code == 404


async def test_websocket_bad_messages_close_with_protocol_codes(api: Api) -> None:
    url = api.base_url.replace("http", "ws", 1) + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as conn:
        await conn.send("not json")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await conn.recv()
        assert closed.value.rcvd.code == 4400
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as conn:
        await conn.send(
            json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }"}})
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await conn.recv()
        assert closed.value.rcvd.code == 4401  # subscribe before connection_init
    async with TransportWS(url, None) as socket:
        await socket.subscribe("subscription { nothing }")
        message = await socket.receive()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "VALIDATION"
    assert (await api.client.http.get("/healthz")).status_code == 200


async def test_websocket_with_a_garbage_token_is_refused(api: Api) -> None:
    with pytest.raises((SocketClosed, websockets.ConnectionClosed, AssertionError)):
        async with api.client.socket("garbage"):
            pass


async def test_health_and_readiness(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "alive"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "postgres": "ok", "redis": "ok"}


async def test_request_id_is_echoed_or_generated(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    response = await http.get("/healthz", headers={"x-request-id": "bad id with spaces"})
    assert response.headers["x-request-id"] != "bad id with spaces"


async def test_a_repeated_document_is_validated_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limits above are measured per request; graphql-core's rules run once per text."""
    import schema.limits

    runs: list[object] = []
    validate = schema.limits.validate
    monkeypatch.setattr(
        schema.limits, "validate", lambda *args, **kw: runs.append(args[1]) or validate(*args, **kw)
    )
    query = f"query Once{uuid.uuid4().hex} {{ __typename }}"  # new text: not cached before
    for _ in range(3):
        response = await api.client.http.post("/graphql", json={"query": query})
        assert response.json() == {"data": {"__typename": "Query"}, "extensions": {"cost": 1}}
    assert len(runs) == 1
