"""The permission directive (ID-12): declared on the schema, enforced centrally.

`@strawberry.field(extensions=requires("identity.roles.manage"))` prints
`@requiresPermission(permission: "identity.roles.manage")` in the SDL and checks
it on every resolution; `requires()` alone means "any signed-in caller" and
prints federation's `@authenticated`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.federation.schema_directives import Authenticated
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from resolvers.errors import Forbidden

if TYPE_CHECKING:
    from schema.context import Info


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION, Location.OBJECT],
    name="requiresPermission",
    description="The caller needs this permission (directly or through an inherited role).",
)
class RequiresPermission:
    permission: str


class HasPermission(BasePermission):
    def __init__(self, permission: str | None) -> None:
        self.permission = permission
        self._schema_directive = (
            RequiresPermission(permission=permission) if permission else Authenticated()
        )

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = await info.context.principal()  # raises UNAUTHENTICATED / SESSION_* codes
        if self.permission is None:
            return True
        granted = await info.context.loaders.identity.permissions.load(principal.user_id)
        if self.permission not in granted:
            raise Forbidden(f"needs {self.permission}", extra={"permission": self.permission})
        return True


def requires(permission: str | None = None) -> list[PermissionExtension]:
    return [PermissionExtension(permissions=[HasPermission(permission)])]


async def has_permission(info: Info, permission: str) -> bool:
    """Object-level rules in use cases ask this instead of raising."""
    principal = await info.context.optional_principal()
    if principal is None:
        return False
    return permission in await info.context.loaders.identity.permissions.load(principal.user_id)
