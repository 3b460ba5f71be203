"""Client of the external payment provider (ORD-4, ORD-5): HTTP with timeouts, and an
idempotency key on every call so a retry can never charge or cancel twice."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx


class ProviderUnavailable(Exception):
    """No answer we can trust (timeout, 5xx, connection refused): the outcome is unknown."""

    public_code = "PAYMENT_PROVIDER_UNAVAILABLE"  # what a saga step shows clients (no body)
    public_message = "The payment provider did not answer in time; retrying."


class PaymentRejected(Exception):
    """The provider definitively refused (validation, unknown charge, key conflict)."""

    public_code = "PAYMENT_REJECTED"
    public_message = "The payment provider refused the request."


@dataclass(frozen=True)
class Charge:
    id: str
    status: str  # SUCCEEDED or CANCELLED
    amount: Decimal
    currency: str
    reference: str


def _charge(data: dict[str, Any]) -> Charge:
    return Charge(
        data["id"], data["status"], Decimal(data["amount"]), data["currency"], data["reference"]
    )


class PaymentProvider:
    name = "tessera-pay"

    def __init__(self, base_url: str, *, timeout_seconds: float) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_seconds)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self, method: str, path: str, *, key: str | None = None, body: dict | None = None
    ) -> dict:
        headers = {"Idempotency-Key": key} if key else {}
        try:
            response = await self._http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:  # timeouts and connection failures: outcome unknown
            raise ProviderUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise PaymentRejected(
                f"{method} {path}: HTTP {response.status_code} {response.text[:200]}"
            )
        return response.json()

    async def charge(
        self, *, amount: Decimal, currency: str, method: str, reference: str, key: str
    ) -> Charge:
        body = {
            "amount": f"{amount:.2f}",
            "currency": currency,
            "method": method,
            "reference": reference,
        }
        return _charge(await self._call("POST", "/v1/charges", key=key, body=body))

    async def cancel(self, charge_id: str, *, key: str) -> Charge:
        return _charge(await self._call("POST", f"/v1/charges/{charge_id}/cancel", key=key))

    async def find(self, reference: str) -> list[Charge]:
        """Charges made for `reference`: tells whether a charge whose answer was lost happened."""
        try:
            response = await self._http.get("/v1/charges", params={"reference": reference})
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"lookup: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise ProviderUnavailable(f"lookup: HTTP {response.status_code}")
        return [_charge(c) for c in response.json()["charges"]]
