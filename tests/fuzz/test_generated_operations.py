"""Operations generated from the schema, anonymous and as admin, against a running API:
no 5xx, no INTERNAL, every error with a code, no error or traceback in the server log.

`make test` runs a few hundred; `make fuzz` (TESSERA_FUZZ_EXAMPLES=10000) the same test
with ten thousand.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema import build_schema
from tests.accounts import LOGIN, PASSWORD, grant_role, new_user
from tests.conftest import ApiFactory
from tests.fuzz.strategies import operations

EXAMPLES = int(os.environ.get("TESSERA_FUZZ_EXAMPLES", "300"))
SESSION_ENDED = {"UNAUTHENTICATED", "SESSION_EXPIRED", "SESSION_REPLACED", "TOKEN_REUSED"}


def _problems(response: httpx.Response) -> list[str]:
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}: {response.text[:300]}"]
    body: dict[str, Any] = response.json()
    problems = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None or code == "INTERNAL":
            problems.append(f"error {code}: {error}")
    return problems


async def _seed(api: Any, admin_token: str) -> list[str]:
    """A few real objects, so generated ids sometimes find something."""
    vendor = await api.client.data(
        'mutation { createVendor(name: "Fuzz") { id } }', token=admin_token
    )
    category = await api.client.data(
        'mutation { createCategory(name: "Fuzz") { id } }', token=admin_token
    )
    return [vendor["createVendor"]["id"], category["createCategory"]["id"]]


async def test_generated_operations_never_fail_inside(
    api_factory: ApiFactory, unique_email, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    # Generated logins fail by the hundred from one address: that limit is not under test.
    async with api_factory(login_address_max_failures=10**9) as api:
        email = unique_email("fuzz-admin")
        admin = await new_user(api.client, email)
        await grant_role(api.services, admin.user_id, "admin")
        ids = [admin.user_id, *await _seed(api, admin.access_token)]
        strategy = operations(build_schema()._schema, ids)
        outcome = await asyncio.to_thread(_fuzz, api.base_url, strategy, email, admin.access_token)
    sent = outcome["answered without errors"] + outcome["answered with errors"]
    print(f"fuzz: {sent} operations; {dict(outcome.most_common())}")
    assert sent >= EXAMPLES
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert logged == [], [r.getMessage() for r in logged[:5]]


def _fuzz(base_url: str, strategy: Any, email: str, token: str) -> Counter[str]:
    """Runs in a worker thread with a blocking client; the API answers on the test's loop."""
    outcome: Counter[str] = Counter()
    admin = {"token": token}
    with httpx.Client(base_url=base_url, timeout=30) as http:

        def relogin() -> None:
            variables = {
                "input": {
                    "email": email,
                    "password": PASSWORD,
                    "deviceId": "fuzz",
                    "deviceName": "fuzz",
                }
            }
            answer = http.post("/graphql", json={"query": LOGIN, "variables": variables}).json()
            admin["token"] = answer["data"]["login"]["accessToken"]

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(document=strategy, as_admin=st.booleans())
        def send(document: str, as_admin: bool) -> None:
            headers = {"authorization": f"Bearer {admin['token']}"} if as_admin else {}
            response = http.post("/graphql", json={"query": document}, headers=headers)
            assert _problems(response) == [], document
            errors = response.json().get("errors") or []
            outcome.update(
                f"{e['extensions']['code']}/{e['extensions'].get('reason', '')}" for e in errors
            )
            if os.environ.get("FUZZ_DEBUG") and errors:
                print(document[:300].replace("\n", " "), "=>", errors[0]["message"][:200])
            outcome["answered with errors" if errors else "answered without errors"] += 1
            if as_admin and {e["extensions"]["code"] for e in errors} & SESSION_ENDED:
                relogin()  # a generated logout or revocation ended the admin's session

        send()
    return outcome
