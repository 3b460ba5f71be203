"""SQLAlchemy models, one module per domain; all share one metadata."""

from persistence.models import (  # noqa: F401  (register tables)
    audit,
    catalog,
    idempotency,
    identity,
    orders,
    outbox,
    reservations,
)
from persistence.models.base import Base

metadata = Base.metadata
