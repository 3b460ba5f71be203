"""The orders sagas (ORD-2, ORD-3), one module each; `steps` holds what both use."""

from resolvers.orders.sagas.payment import PAYMENT
from resolvers.orders.sagas.refund import REFUND

__all__ = ["PAYMENT", "REFUND"]
