"""SQLAlchemy models, one module per domain; all share one metadata."""

from persistence.models.base import Base
from persistence.models import audit, identity, outbox  # noqa: F401  (register tables)

metadata = Base.metadata
