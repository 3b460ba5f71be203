"""Money on the wire: Decimal as a string plus an ISO currency code (never a float)."""

from __future__ import annotations

from decimal import Decimal

import strawberry


@strawberry.type
class Money:
    amount: Decimal
    currency: str


@strawberry.input
class MoneyInput:
    amount: Decimal
    currency: str
