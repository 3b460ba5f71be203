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
from tests.accounts import grant_role, new_user
from tests.conftest import Api, ApiFactory
from tests.fuzz.strategies import operations

EXAMPLES = int(os.environ.get("TESSERA_FUZZ_EXAMPLES", "300"))
# Generated logouts, revocations and withdrawals end the admin's session or account.
ADMIN_LOST = {"UNAUTHENTICATED", "SESSION_EXPIRED", "SESSION_REPLACED", "TOKEN_REUSED"}


def _problems(response: httpx.Response) -> list[str]:
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}: {response.text[:300]}"]
    problems = []
    for error in response.json().get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None or code == "INTERNAL":
            problems.append(f"error {code}: {error}")
    return problems


class Admin:
    """An admin token the worker thread can renew on the API's loop."""

    def __init__(self, api: Api, loop: asyncio.AbstractEventLoop) -> None:
        self.api = api
        self.loop = loop
        self.count = 0
        self.token = ""
        self.user_id = ""

    async def create(self) -> None:
        self.count += 1
        session = await new_user(self.api.client, f"fuzz-admin-{self.count}@example.com")
        await grant_role(self.api.services, session.user_id, "admin")
        self.token, self.user_id = session.access_token, session.user_id

    def renew(self) -> None:
        asyncio.run_coroutine_threadsafe(self.create(), self.loop).result(timeout=30)


async def _seed(api: Api, token: str) -> list[str]:
    """A few real objects, so generated ids sometimes find something."""
    made = await api.client.data(
        'mutation { createVendor(name: "Fuzz") { id } createCategory(name: "Fuzz") { id } }',
        token=token,
    )
    return [made["createVendor"]["id"], made["createCategory"]["id"]]


async def test_generated_operations_never_fail_inside(
    api_factory: ApiFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    # Generated logins fail by the hundred from one address: that limit is not under test.
    async with api_factory(login_address_max_failures=10**9) as api:
        admin = Admin(api, asyncio.get_running_loop())
        await admin.create()
        ids = [admin.user_id, *await _seed(api, admin.token)]
        strategy = operations(build_schema()._schema, ids)
        outcome = await asyncio.to_thread(_fuzz, api.base_url, strategy, admin)
    sent = outcome["answered without errors"] + outcome["answered with errors"]
    print(f"fuzz: {sent} operations; {dict(outcome.most_common())}")
    assert sent >= EXAMPLES
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert logged == [], [r.getMessage() for r in logged[:5]]


def _fuzz(base_url: str, strategy: Any, admin: Admin) -> Counter[str]:
    """Runs in a worker thread with a blocking client; the API answers on the test's loop."""
    outcome: Counter[str] = Counter()
    with httpx.Client(base_url=base_url, timeout=30) as http:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(document=strategy, as_admin=st.booleans())
        def send(document: str, as_admin: bool) -> None:
            headers = {"authorization": f"Bearer {admin.token}"} if as_admin else {}
            response = http.post("/graphql", json={"query": document}, headers=headers)
            assert _problems(response) == [], document
            errors = response.json().get("errors") or []
            outcome["answered with errors" if errors else "answered without errors"] += 1
            outcome.update(
                f"{e['extensions']['code']}/{e['extensions'].get('reason', '')}" for e in errors
            )
            codes = {e["extensions"]["code"] for e in errors}
            reasons = {e["extensions"].get("reason") for e in errors}
            if as_admin and (codes & ADMIN_LOST or "ACCOUNT_WITHDRAWN" in reasons):
                admin.renew()

        send()
    return outcome
