"""The permission directive (ID-12): declared on the schema, enforced centrally.

`@strawberry.field(extensions=requires("identity.roles.manage"))` prints
`@requiresPermission(permission: "identity.roles.manage")` in the SDL and checks
it on every resolution; `requires()` alone means "any signed-in caller" and
prints federation's `@authenticated`.

Account status (ID-14, ID-17) is part of the same declaration, read through the
per-request user DataLoader: a DISABLED account is refused by every `requires()`
field (and its session ended, should one have outlived the disabling), and
`requires(..., active_account=True)` (printed `@requiresActiveAccount`) also
refuses a WITHDRAWN account: the fields that buy, hold or pay declare it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.federation.schema_directives import Authenticated
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from resolvers.errors import Forbidden, Unauthenticated

if TYPE_CHECKING:
    from auth.principal import Principal
    from schema.context import Info

ACCOUNT_DISABLED = "ACCOUNT_DISABLED"


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION, Location.OBJECT],
    name="requiresPermission",
    description="The caller needs this permission (directly or through an inherited role).",
)
class RequiresPermission:
    permission: str


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresActiveAccount",
    description="The caller's account must be ACTIVE: withdrawn accounts cannot buy, hold or pay.",
)
class RequiresActiveAccount:
    pass


async def _live_caller(info: Info) -> Principal:
    """The signed-in caller whose account is not disabled (UNAUTHENTICATED otherwise)."""
    principal = await info.context.principal()  # raises UNAUTHENTICATED / SESSION_* codes
    user = await info.context.loaders.identity.user.load(principal.user_id)
    if user is None or user.status == "DISABLED":
        # Disabling ends the sessions; one started in a race with it ends here.
        await info.context.services.sessions.end(principal.session.id, ACCOUNT_DISABLED)
        raise Unauthenticated("the account is disabled", reason=ACCOUNT_DISABLED)
    return principal


class HasPermission(BasePermission):
    def __init__(self, permission: str | None) -> None:
        self.permission = permission
        self._schema_directive = (
            RequiresPermission(permission=permission) if permission else Authenticated()
        )

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = await _live_caller(info)
        if self.permission is None:
            return True
        granted = await info.context.loaders.identity.permissions.load(principal.user_id)
        if self.permission not in granted:
            raise Forbidden(f"needs {self.permission}", extra={"permission": self.permission})
        return True


class ActiveAccount(BasePermission):
    _schema_directive = RequiresActiveAccount()

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = await _live_caller(info)
        user = await info.context.loaders.identity.user.load(principal.user_id)
        if user.status != "ACTIVE":
            raise Forbidden(
                "withdrawn accounts can no longer buy, hold or pay", reason="ACCOUNT_WITHDRAWN"
            )
        return True


def requires(
    permission: str | None = None, *, active_account: bool = False
) -> list[PermissionExtension]:
    checks: list[BasePermission] = [HasPermission(permission)]
    if active_account:
        checks.append(ActiveAccount())
    return [PermissionExtension(permissions=checks)]


async def has_permission(info: Info, permission: str) -> bool:
    """Object-level rules in use cases ask this instead of raising."""
    principal = await info.context.optional_principal()
    if principal is None:
        return False
    return permission in await info.context.loaders.identity.permissions.load(principal.user_id)
