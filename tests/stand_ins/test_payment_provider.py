"""The payment provider stand-in, run as a real process on loopback and used over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from stand_ins.process import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Provider:
    popen: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def client(self, timeout: float = 10) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


class Providers:
    """Starts provider processes that share one journal; stops them all at teardown."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.state_file = directory / "journal.jsonl"
        self.started: list[Provider] = []

    async def start(self) -> Provider:
        provider = self._spawn()
        self.started.append(provider)
        await wait_healthy(provider)
        return provider

    def _spawn(self) -> Provider:
        port = free_port()
        log_path = self.directory / f"provider-{len(self.started)}.log"
        command = [sys.executable, "-m", "stand_ins.payment_provider"]
        command += ["--port", str(port), "--state-file", str(self.state_file)]
        with log_path.open("wb") as log:
            popen = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        return Provider(popen, f"http://127.0.0.1:{port}", log_path)

    def stop_all(self) -> None:
        for provider in self.started:
            provider.stop()


async def wait_healthy(provider: Provider, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    async with provider.client(timeout=1) as client:
        while time.monotonic() < deadline:
            if provider.popen.poll() is not None:
                raise RuntimeError(f"payment provider exited early:\n{provider.logs()}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/health")).json() == {"status": "ok"}:
                    return
            await asyncio.sleep(0.05)
    raise TimeoutError(f"payment provider did not become healthy:\n{provider.logs()}")


@pytest.fixture
async def providers(tmp_path: Path) -> AsyncIterator[Providers]:
    started = Providers(tmp_path)
    yield started
    started.stop_all()


@pytest.fixture
async def provider(providers: Providers) -> Provider:
    return await providers.start()


@pytest.fixture
async def http(provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    async with provider.client() as client:
        yield client


def charge_body(reference: str = "order-1", amount: str = "10.00", currency: str = "KRW") -> dict:
    return {"amount": amount, "currency": currency, "method": "card", "reference": reference}


async def charge(http: httpx.AsyncClient, key: str, **fields: str) -> httpx.Response:
    return await http.post(
        "/v1/charges", json=charge_body(**fields), headers={"Idempotency-Key": key}
    )


async def cancel(http: httpx.AsyncClient, key: str, charge_id: str) -> httpx.Response:
    return await http.post(f"/v1/charges/{charge_id}/cancel", headers={"Idempotency-Key": key})


async def ledger(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get("/v1/ledger")
    assert response.status_code == 200
    return response.json()


async def charges_for(http: httpx.AsyncClient, reference: str) -> list[dict[str, Any]]:
    response = await http.get("/v1/charges", params={"reference": reference})
    assert response.status_code == 200
    return response.json()["charges"]


async def add_fault(http: httpx.AsyncClient, **fault: Any) -> None:
    response = await http.post("/_faults", json=fault)
    assert response.status_code == 200, response.text


async def test_a_replayed_key_returns_the_same_charge_and_creates_nothing(
    http: httpx.AsyncClient,
) -> None:
    first = await charge(http, "key-1")
    assert first.status_code == 201
    created = first.json()
    assert created["id"].startswith("ch_")
    assert created["status"] == "SUCCEEDED"
    assert {k: created[k] for k in ("amount", "currency", "method", "reference")} == charge_body()

    replay = await charge(http, "key-1")
    assert replay.status_code == 200
    assert replay.json() == created

    assert (await http.get(f"/v1/charges/{created['id']}")).json() == created
    assert await ledger(http) == {"charges": [created], "captured_total": {"KRW": "10.00"}}


async def test_a_key_reused_for_another_request_is_a_conflict(http: httpx.AsyncClient) -> None:
    created = (await charge(http, "key-1")).json()

    other_amount = await charge(http, "key-1", amount="11.00")
    assert other_amount.status_code == 409
    assert other_amount.json()["error"]
    assert (await cancel(http, "key-1", created["id"])).status_code == 409

    assert (await ledger(http))["charges"] == [created]


async def test_cancelling_twice_is_harmless(http: httpx.AsyncClient) -> None:
    created = (await charge(http, "charge-1", amount="25.50")).json()

    first = await cancel(http, "cancel-1", created["id"])
    assert first.status_code == 200
    cancelled = first.json()
    assert cancelled == {
        **created,
        "status": "CANCELLED",
        "cancelled_at": cancelled["cancelled_at"],
    }

    again = await cancel(http, "cancel-2", created["id"])
    assert (again.status_code, again.json()) == (200, cancelled)
    replay = await cancel(http, "cancel-1", created["id"])
    assert (replay.status_code, replay.json()) == (200, cancelled)

    assert await ledger(http) == {"charges": [cancelled], "captured_total": {"KRW": "0.00"}}
    assert (await cancel(http, "cancel-3", "ch_unknown")).status_code == 404
    assert (await http.get("/v1/charges/ch_unknown")).status_code == 404


async def test_charges_are_found_by_reference(http: httpx.AsyncClient) -> None:
    first = (await charge(http, "k1", reference="order-A")).json()
    second = (await charge(http, "k2", reference="order-A", amount="5.25")).json()
    other = (await charge(http, "k3", reference="order-B", currency="USD", amount="1.99")).json()

    assert await charges_for(http, "order-A") == [first, second]
    assert await charges_for(http, "order-B") == [other]
    assert await charges_for(http, "order-C") == []
    assert (await http.get("/v1/charges")).status_code == 400
    assert (await ledger(http))["captured_total"] == {"KRW": "15.25", "USD": "1.99"}


async def test_invalid_requests_are_rejected(http: httpx.AsyncClient) -> None:
    valid = json.dumps(charge_body()).encode()
    key = {"Idempotency-Key": "key-1"}
    cases: list[tuple[dict[str, str], bytes]] = [
        ({}, valid),
        ({"Idempotency-Key": "k" * 201}, valid),
        (key, b'{"amount": "10.00"'),
        (key, b'["not", "an", "object"]'),
        (key, json.dumps({**charge_body(), "amount": "-10.00"}).encode()),
        (key, json.dumps({**charge_body(), "amount": "ten"}).encode()),
        (key, json.dumps({**charge_body(), "amount": 10}).encode()),
        (key, json.dumps({**charge_body(), "amount": "10.5"}).encode()),
        (key, json.dumps({**charge_body(), "currency": "WON!"}).encode()),
        (key, json.dumps({"amount": "10.00", "currency": "KRW"}).encode()),
    ]
    for headers, content in cases:
        response = await http.post("/v1/charges", content=content, headers=headers)
        assert response.status_code == 400, (headers, content, response.text)
        assert response.json()["error"]

    assert (await http.post("/v1/charges/ch_x/cancel")).status_code == 400
    assert (await ledger(http))["charges"] == []
    # Errors are not remembered: the key is still free for a valid request.
    assert (await charge(http, "key-1")).status_code == 201


async def test_an_injected_failure_does_nothing(http: httpx.AsyncClient) -> None:
    await add_fault(http, operation="charge", mode="fail")

    failed = await charge(http, "key-1")
    assert (failed.status_code, failed.json()) == (503, {"error": "injected failure"})
    assert (await ledger(http))["charges"] == []
    assert (await http.get("/_faults")).json() == {"faults": []}

    assert (await charge(http, "key-1")).status_code == 201


async def test_a_delayed_charge_happens_after_the_client_gave_up(
    provider: Provider, http: httpx.AsyncClient
) -> None:
    await add_fault(http, operation="charge", mode="delay", seconds=1.5)

    async with provider.client(timeout=0.3) as impatient:
        with pytest.raises(httpx.TimeoutException):
            await charge(impatient, "key-1", reference="late")
    assert await charges_for(http, "late") == []  # still sleeping before doing the work

    deadline = time.monotonic() + 5
    while not (found := await charges_for(http, "late")):
        assert time.monotonic() < deadline, "the delayed charge never happened"
        await asyncio.sleep(0.1)
    retried = await charge(http, "key-1", reference="late")
    assert (retried.status_code, [retried.json()]) == (200, found)


async def test_succeed_then_timeout_records_the_charge(
    provider: Provider, http: httpx.AsyncClient
) -> None:
    await add_fault(http, operation="charge", mode="succeed_then_timeout", seconds=1)

    async with provider.client(timeout=0.3) as impatient:
        with pytest.raises(httpx.TimeoutException):
            await charge(impatient, "key-1", reference="lost-answer")

    recorded = await ledger(http)
    assert [c["reference"] for c in recorded["charges"]] == ["lost-answer"]
    assert recorded["captured_total"] == {"KRW": "10.00"}
    retried = await charge(http, "key-1", reference="lost-answer")
    assert (retried.status_code, retried.json()) == (200, recorded["charges"][0])


async def test_state_survives_a_crash(providers: Providers) -> None:
    first = await providers.start()
    async with first.client() as http:
        kept = (await charge(http, "key-1", reference="kept")).json()
        dropped = (await charge(http, "key-2", reference="dropped", amount="3.00")).json()
        cancelled = (await cancel(http, "key-3", dropped["id"])).json()
        await add_fault(http, operation="charge", mode="crash")
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await charge(http, "key-4", reference="never")
    assert first.popen.wait(10) == 1

    second = await providers.start()
    async with second.client() as http:
        assert await ledger(http) == {
            "charges": [kept, cancelled],
            "captured_total": {"KRW": "10.00"},
        }
        replay = await charge(http, "key-1", reference="kept")
        assert (replay.status_code, replay.json()) == (200, kept)
        assert (await charge(http, "key-4", reference="never")).status_code == 201


async def test_a_torn_last_journal_line_is_dropped(providers: Providers) -> None:
    first = await providers.start()
    async with first.client() as http:
        created = (await charge(http, "key-1")).json()
    first.stop()
    with providers.state_file.open("a") as journal:
        journal.write('{"event": "charge_created", "idempot')

    second = await providers.start()
    async with second.client() as http:
        assert (await ledger(http))["charges"] == [created]
        assert (await charge(http, "key-2")).status_code == 201
    lines = providers.state_file.read_text().splitlines()
    assert [json.loads(line)["idempotency_key"] for line in lines] == ["key-1", "key-2"]


async def test_concurrent_requests_with_one_key_create_one_charge(
    http: httpx.AsyncClient,
) -> None:
    responses = await asyncio.gather(*(charge(http, "same-key") for _ in range(20)))

    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len((await ledger(http))["charges"]) == 1


async def test_faults_match_their_operation_and_can_be_cleared(http: httpx.AsyncClient) -> None:
    await add_fault(http, operation="status", mode="fail", times=2)
    created = await charge(http, "key-1")
    assert created.status_code == 201
    assert (await http.get("/_faults")).json() == {
        "faults": [{"operation": "status", "mode": "fail", "times": 2, "seconds": 5.0}]
    }
    charge_url = f"/v1/charges/{created.json()['id']}"
    assert [(await http.get(charge_url)).status_code for _ in range(3)] == [503, 503, 200]

    await add_fault(http, operation="any", mode="crash")
    assert (await http.delete("/_faults")).json() == {"faults": []}
    assert (await charge(http, "key-2")).status_code == 201
    assert (
        await http.post("/_faults", json={"operation": "charge", "mode": "x"})
    ).status_code == 400
