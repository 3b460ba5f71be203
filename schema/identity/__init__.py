"""Identity subgraph: accounts, sessions, roles, audit (ID-1..ID-4, ID-10..ID-13)."""

from schema.identity.mutations import IdentityMutation
from schema.identity.queries import IdentityQuery
from schema.identity.subscriptions import IdentitySubscription
from schema.identity.types import User

__all__ = ["IdentityMutation", "IdentityQuery", "IdentitySubscription", "User"]
