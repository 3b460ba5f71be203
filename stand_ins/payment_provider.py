"""Stand-in for the external payment provider: its own HTTP process, with fault injection.

    python -m stand_ins.payment_provider --port 8101 --state-file /tmp/payments.jsonl

The API the platform codes against (errors are JSON {"error": message}):

- POST /v1/charges {"amount": "10.00", "currency": "KRW", "method": "card", "reference": "..."}
  → 201 charge. Amounts are positive decimal strings with 2 decimals; currency is 3 capitals.
- POST /v1/charges/{id}/cancel (body empty or a JSON object) → 200 charge, status CANCELLED;
  cancelling again is harmless. Unknown id → 404.
- GET /v1/charges/{id} → 200 charge or 404; GET /v1/charges?reference=REF → 200 {"charges": [...]}.
- GET /v1/ledger → 200 {"charges": [...], "captured_total": {currency: total of SUCCEEDED}}
  (every currency ever charged is listed, "0.00" once all its charges are cancelled).
- GET /health → 200 {"status": "ok"}.

Both POSTs need an Idempotency-Key header (1-200 characters). A successful answer is remembered
under its key: the same key with the same request answers 200 with the stored charge, as it was
then, and does nothing; the same key with another request (other body, or another endpoint) → 409.
Errors are not remembered, so a request that failed may be retried with its key.

State survives crashes: every change is appended to the JSON-lines journal at --state-file and
fsynced before the answer, and the journal is replayed on start.

Fault injection, loopback clients only: POST /_faults {"operation": "charge"|"cancel"|"status"|"any",
"mode": "fail"|"decline"|"delay"|"succeed_then_timeout"|"crash", "times": 1, "seconds": 5} queues
a fault; each matching request ("status" = the GETs on /v1/charges) consumes one, before any
validation: fail → 503 and nothing done; decline → 402, the card is refused and nothing charged;
delay → sleep, then work normally; succeed_then_timeout → work and record, then sleep before
answering; crash → the process exits at once, nothing recorded.
GET /_faults lists pending faults, DELETE /_faults clears them; GET /_faults/in-flight counts
delayed requests still sleeping (a test proves a late request has landed by waiting for 0).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import re
import secrets
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Charge = dict[str, str]
Endpoint = Callable[[Request], Awaitable[Response]]

# At most 15 integer digits keeps every sum exact within Decimal's default 28-digit precision.
AMOUNT = re.compile(r"\d{1,15}\.\d{2}")
CURRENCY = re.compile(r"[A-Z]{3}")
CHARGE_FIELDS = ("amount", "currency", "method", "reference")
MAX_IDEMPOTENCY_KEY = 200
MAX_METHOD = 50
MAX_REFERENCE = 200
FAULT_OPERATIONS = ("charge", "cancel", "status", "any")
FAULT_MODES = ("fail", "decline", "delay", "succeed_then_timeout", "crash")
MAX_FAULT_SECONDS = 3600


def bad_request(message: str) -> HTTPException:
    return HTTPException(400, message)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# --- Durable state ---------------------------------------------------------------------------


class Journal:
    """Append-only JSON lines; each line is on disk before the request that wrote it is answered."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def replay(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        complete, newline, torn = data.rpartition(b"\n")
        if torn:
            # A crash mid-append leaves a partial last line, for a request never answered:
            # drop it so the next append starts on a line of its own.
            with self.path.open("r+b") as file:
                file.truncate(len(complete) + len(newline))
        return [json.loads(line) for line in complete.split(b"\n") if line]

    def append(self, event: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(event, separators=(",", ":")) + "\n")
            file.flush()
            os.fsync(file.fileno())


@dataclass(frozen=True)
class Remembered:
    """What an Idempotency-Key was first used for, and the charge it answered."""

    fingerprint: str
    charge: Charge


class Ledger:
    """Charges and idempotency keys, rebuilt from the journal and kept in step with it."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.charges: dict[str, Charge] = {}
        self.keys: dict[str, Remembered] = {}
        # Serialises check-then-record, so one Idempotency-Key never creates two charges.
        self.lock = asyncio.Lock()
        for event in journal.replay():
            self._apply(event)

    def record(self, event: str, key: str, fingerprint: str, charge: Charge) -> None:
        entry = {
            "event": event,
            "idempotency_key": key,
            "fingerprint": fingerprint,
            "charge": charge,
        }
        self.journal.append(entry)  # disk first: a failed write changes nothing
        self._apply(entry)

    def _apply(self, entry: dict[str, Any]) -> None:
        charge = entry["charge"]
        self.charges[charge["id"]] = charge
        self.keys[entry["idempotency_key"]] = Remembered(entry["fingerprint"], charge)

    def replay(self, key: str, fingerprint: str) -> Response | None:
        remembered = self.keys.get(key)
        if remembered is None:
            return None
        if remembered.fingerprint != fingerprint:
            raise HTTPException(409, "Idempotency-Key was already used for a different request")
        return JSONResponse(remembered.charge)

    def captured_total(self) -> dict[str, str]:
        totals: dict[str, Decimal] = {}
        for charge in self.charges.values():
            total = totals.setdefault(charge["currency"], Decimal("0.00"))
            if charge["status"] == "SUCCEEDED":
                totals[charge["currency"]] = total + Decimal(charge["amount"])
        return {currency: f"{total:.2f}" for currency, total in totals.items()}


# --- Faults ----------------------------------------------------------------------------------


@dataclass
class Fault:
    operation: str
    mode: str
    times: int
    seconds: float


class Faults:
    """Pending faults, oldest first; each matching request consumes one."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []
        # Delayed requests still working: a test that must show a late request changed
        # nothing waits until this is 0 (proof it landed), not for a fixed time.
        self.delayed_in_flight = 0

    def take(self, operation: str) -> Fault | None:
        for fault in self.pending:
            if fault.operation in (operation, "any"):
                fault.times -= 1
                if fault.times == 0:
                    self.pending.remove(fault)
                return fault
        return None

    def listing(self) -> JSONResponse:
        return JSONResponse({"faults": [asdict(fault) for fault in self.pending]})


def with_faults(faults: Faults, operation: str, endpoint: Endpoint) -> Endpoint:
    async def faulted(request: Request) -> Response:
        # The request has reached the provider: read it all now, so a client that gives up
        # during a delay does not stop the work from happening (request.body() caches it).
        await request.body()
        fault = faults.take(operation)
        if fault is None:
            return await endpoint(request)
        if fault.mode == "crash":
            os._exit(1)  # the provider's host dies: no answer, nothing recorded
        if fault.mode == "fail":
            return JSONResponse({"error": "injected failure"}, 503)
        if fault.mode == "decline":
            return JSONResponse({"error": "card declined"}, 402)
        if fault.mode == "delay":
            faults.delayed_in_flight += 1
            try:
                await asyncio.sleep(fault.seconds)
                return await endpoint(request)
            finally:
                faults.delayed_in_flight -= 1
        try:
            return await endpoint(request)
        finally:
            await asyncio.sleep(fault.seconds)  # succeed_then_timeout: done, but answered late

    return faulted


def parse_fault(body: dict[str, Any]) -> Fault:
    if unknown := sorted(set(body) - {"operation", "mode", "times", "seconds"}):
        raise bad_request(f"unknown field(s): {', '.join(unknown)}")
    operation, mode = body.get("operation"), body.get("mode")
    if operation not in FAULT_OPERATIONS:
        raise bad_request(f"operation must be one of {', '.join(FAULT_OPERATIONS)}")
    if mode not in FAULT_MODES:
        raise bad_request(f"mode must be one of {', '.join(FAULT_MODES)}")
    times = body.get("times", 1)
    if type(times) is not int or times < 1:
        raise bad_request("times must be a positive integer")
    seconds = body.get("seconds", 5)
    if type(seconds) not in (int, float) or not 0 <= seconds <= MAX_FAULT_SECONDS:
        raise bad_request(f"seconds must be a number from 0 to {MAX_FAULT_SECONDS}")
    return Fault(operation, mode, times, float(seconds))


def require_loopback(request: Request) -> None:
    try:
        loopback = (
            request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
        )
    except ValueError:
        loopback = False
    if not loopback:
        raise HTTPException(403, "fault injection is only available from loopback")


# --- Request parsing -------------------------------------------------------------------------


def idempotency_key(request: Request) -> str:
    key = request.headers.get("idempotency-key", "")
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
        raise bad_request(
            f"Idempotency-Key header of 1 to {MAX_IDEMPOTENCY_KEY} characters required"
        )
    return key


async def json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if optional and not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:  # also covers undecodable bytes
        raise bad_request("body must be valid JSON") from None
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return body


def parse_amount(value: object) -> str:
    message = 'amount must be a decimal string with 2 decimals, such as "10.00"'
    if not isinstance(value, str):
        raise bad_request(message)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise bad_request(message) from None
    if amount.is_finite() and amount < 0:
        raise bad_request("amount must not be negative")
    if not AMOUNT.fullmatch(value):
        raise bad_request(message)
    if amount == 0:
        raise bad_request("amount must be greater than zero")
    return value


def parse_text(body: dict[str, Any], name: str, max_length: int) -> str:
    value = body[name]
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise bad_request(f"{name} must be a string of 1 to {max_length} characters")
    return value


def parse_charge(body: dict[str, Any]) -> Charge:
    if missing := [name for name in CHARGE_FIELDS if name not in body]:
        raise bad_request(f"missing field(s): {', '.join(missing)}")
    if unknown := sorted(set(body) - set(CHARGE_FIELDS)):
        raise bad_request(f"unknown field(s): {', '.join(unknown)}")
    currency = body["currency"]
    if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
        raise bad_request('currency must be a 3-letter code in capitals, such as "KRW"')
    return {
        "amount": parse_amount(body["amount"]),
        "currency": currency,
        "method": parse_text(body, "method", MAX_METHOD),
        "reference": parse_text(body, "reference", MAX_REFERENCE),
    }


def fingerprint(operation: str, **fields: str) -> str:
    return json.dumps({"operation": operation, **fields}, sort_keys=True)


# --- The application -------------------------------------------------------------------------


def create_app(state_file: Path) -> Starlette:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(Journal(state_file))
    faults = Faults()

    def known_charge(charge_id: str) -> Charge:
        if charge_id not in ledger.charges:
            raise HTTPException(404, f"no charge {charge_id}")
        return ledger.charges[charge_id]

    async def create_charge(request: Request) -> Response:
        key = idempotency_key(request)
        fields = parse_charge(await json_object(request))
        request_print = fingerprint("charge", **fields)
        async with ledger.lock:
            if (replayed := ledger.replay(key, request_print)) is not None:
                return replayed
            charge_id = f"ch_{secrets.token_hex(12)}"
            charge = {"id": charge_id, "status": "SUCCEEDED", **fields, "created_at": now()}
            ledger.record("charge_created", key, request_print, charge)
        return JSONResponse(charge, 201)

    async def cancel_charge(request: Request) -> Response:
        key = idempotency_key(request)
        await json_object(request, optional=True)  # a reason or the like is accepted and ignored
        charge_id = request.path_params["charge_id"]
        request_print = fingerprint("cancel", id=charge_id)
        async with ledger.lock:
            if (replayed := ledger.replay(key, request_print)) is not None:
                return replayed
            charge = known_charge(charge_id)
            # Cancelling twice changes nothing: the first cancelled_at stays.
            cancelled_at = charge.get("cancelled_at") or now()
            cancelled = {**charge, "status": "CANCELLED", "cancelled_at": cancelled_at}
            ledger.record("charge_cancelled", key, request_print, cancelled)
        return JSONResponse(cancelled)

    async def get_charge(request: Request) -> Response:
        return JSONResponse(known_charge(request.path_params["charge_id"]))

    async def find_charges(request: Request) -> Response:
        reference = request.query_params.get("reference")
        if not reference:
            raise bad_request("reference query parameter required")
        found = [c for c in ledger.charges.values() if c["reference"] == reference]
        return JSONResponse({"charges": found})

    async def show_ledger(_: Request) -> Response:
        charges = list(ledger.charges.values())
        return JSONResponse({"charges": charges, "captured_total": ledger.captured_total()})

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def fault_control(request: Request) -> Response:
        require_loopback(request)
        if request.method == "POST":
            faults.pending.append(parse_fault(await json_object(request)))
        elif request.method == "DELETE":
            faults.pending.clear()
        return faults.listing()

    async def in_flight(request: Request) -> Response:
        require_loopback(request)
        return JSONResponse({"delayed": faults.delayed_in_flight})

    async def error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, exc.status_code, headers=exc.headers)

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/v1/ledger", show_ledger),
            Route("/v1/charges", with_faults(faults, "charge", create_charge), methods=["POST"]),
            Route("/v1/charges", with_faults(faults, "status", find_charges)),
            Route("/v1/charges/{charge_id}", with_faults(faults, "status", get_charge)),
            Route(
                "/v1/charges/{charge_id}/cancel",
                with_faults(faults, "cancel", cancel_charge),
                methods=["POST"],
            ),
            Route("/_faults", fault_control, methods=["GET", "POST", "DELETE"]),
            Route("/_faults/in-flight", in_flight),
        ],
        exception_handlers={HTTPException: error},
    )


def _exit_when_parent_ends() -> None:
    """The parent holds our stdin pipe; the kernel closes it however the parent ends
    (SIGKILL included), so no stand-in outlives the `tessera serve` that started it."""
    sys.stdin.buffer.read()
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local stand-in for the payment provider.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-file", type=Path, required=True, help="JSON-lines journal")
    parser.add_argument(
        "--exit-with-parent", action="store_true", help="exit when stdin (a pipe) closes"
    )
    args = parser.parse_args(argv)
    if args.exit_with_parent:
        threading.Thread(target=_exit_when_parent_ends, daemon=True).start()
    app = create_app(args.state_file)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
