"""Money on the wire: Decimal as a string plus an ISO currency code (never a float)."""

from __future__ import annotations

from decimal import Decimal

import strawberry


# A value type every subgraph may resolve (federation: @shareable).
@strawberry.federation.type(shareable=True)
class Money:
    amount: Decimal
    currency: str


@strawberry.input
class MoneyInput:
    amount: Decimal
    currency: str
