"""SQLAlchemy models, one module per domain; all share one metadata."""

from persistence.models import audit, catalog, identity, orders, outbox, reservations  # noqa: F401  (register tables)
from persistence.models.base import Base

metadata = Base.metadata
