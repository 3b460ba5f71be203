"""The permission directive (ID-12): declared on the schema, enforced centrally.

`@strawberry.field(extensions=requires("identity.roles.manage"))` prints
`@requiresPermission(permission: "identity.roles.manage")` in the SDL and checks
it on every resolution; `requires()` alone means "any signed-in caller" and
prints `@requiresAuthentication`. Not federation's `@authenticated`: that is a
router-only security feature, and Apollo Gateway refuses a supergraph that links it
(UNSUPPORTED_LINKED_FEATURE); each subgraph enforces the need itself anyway.

Account status (ID-14, ID-17) is part of the same declaration, read through the
per-request user DataLoader: a DISABLED account is refused by every `requires()`
field (and its session ended, should one have outlived the disabling), and
`requires(..., active_account=True)` (printed `@requiresActiveAccount`) also
refuses a WITHDRAWN account: the fields that buy, hold or pay declare it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from core.errors import ACCOUNT_DISABLED, Forbidden, Unauthenticated

if TYPE_CHECKING:
    from schema.context import Info

# Composed (`@composeDirective`): the supergraph keeps who may read each field.
AUTH_SPEC = "https://tessera.local/auth/v1.0"


@strawberry.federation.schema_directive(
    locations=[Location.FIELD_DEFINITION, Location.OBJECT],
    name="requiresPermission",
    compose=True,
    import_url=AUTH_SPEC,
    description="The caller needs this permission (directly or through an inherited role).",
)
class RequiresPermission:
    permission: str


@strawberry.federation.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresAuthentication",
    compose=True,
    import_url=AUTH_SPEC,
    description="The caller must be signed in (checked by the subgraph that resolves the field).",
)
class RequiresAuthentication:
    pass


@strawberry.federation.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresActiveAccount",
    compose=True,
    import_url=AUTH_SPEC,
    description="The caller's account must be ACTIVE: withdrawn accounts cannot buy, hold or pay.",
)
class RequiresActiveAccount:
    pass


async def _caller(info: Info, permission: str | None) -> tuple[str, frozenset[str]]:
    """The signed-in caller's account status and, when a permission is asked, permissions.

    A field that needs a permission reads both in one statement (the `caller` loader); one
    that needs only a signed-in caller reads the user row, which `me` and the like load
    anyway. A DISABLED account is refused here, for every field that declares `requires`.
    """
    principal = await info.context.principal()  # raises UNAUTHENTICATED / SESSION_* codes
    loaders = info.context.loaders.identity
    if permission is None:
        user = await loaders.user.load(principal.user_id)
        found = (user.status, frozenset()) if user else None
    else:
        found = await loaders.caller.load(principal.user_id)
    if found is None or found[0] == "DISABLED":
        # Disabling ends the sessions; one started in a race with it ends here. Shielded: the
        # ending closes this very socket, whose cancellation must not cut the Redis call short.
        await asyncio.shield(
            info.context.services.sessions.end(principal.session.id, ACCOUNT_DISABLED)
        )
        raise Unauthenticated("the account is disabled", reason=ACCOUNT_DISABLED)
    return found


class HasPermission(BasePermission):
    def __init__(self, permission: str | None) -> None:
        self.permission = permission
        self._schema_directive = (
            RequiresPermission(permission=permission) if permission else RequiresAuthentication()
        )

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        _, granted = await _caller(info, self.permission)
        if self.permission is not None and self.permission not in granted:
            raise Forbidden(f"needs {self.permission}", extra={"permission": self.permission})
        return True


class ActiveAccount(BasePermission):
    """Checked after `HasPermission` of the same field, from the same (cached) load."""

    _schema_directive = RequiresActiveAccount()

    def __init__(self, permission: str | None) -> None:
        self.permission = permission

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        status, _ = await _caller(info, self.permission)
        if status != "ACTIVE":
            raise Forbidden(
                "withdrawn accounts can no longer buy, hold or pay", reason="ACCOUNT_WITHDRAWN"
            )
        return True


def requires(
    permission: str | None = None, *, active_account: bool = False
) -> list[PermissionExtension]:
    checks: list[BasePermission] = [HasPermission(permission)]
    if active_account:
        checks.append(ActiveAccount(permission))
    return [PermissionExtension(permissions=checks)]


async def has_permission(info: Info, permission: str) -> bool:
    """Object-level rules in use cases ask this instead of raising."""
    principal = await info.context.optional_principal()
    if principal is None:
        return False
    return permission in await info.context.loaders.identity.permissions.load(principal.user_id)
