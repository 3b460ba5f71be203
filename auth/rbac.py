"""RBAC catalogue (ID-12): permissions and built-in roles, synced into PostgreSQL.

Permissions are declared here, next to the code that checks them; `tessera
migrate` upserts them so a new permission needs no hand-written migration.
Roles inherit every permission of their parents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from persistence.repositories.identity import roles as roles_repo
from persistence.unit_of_work import Session

PERMISSIONS: dict[str, str] = {
    "identity.users.read": "See user accounts and their roles",
    "identity.roles.manage": "Grant and revoke roles",
    "identity.audit.read": "Read the audit log",
    "identity.accounts.manage": "Disable and enable accounts, end all sessions of an account",
    "catalog.products.edit": "Create and edit products and stock (own vendor only, unless catalog.all_vendors)",
    "catalog.all_vendors": "Edit products and stock of every vendor",
    "catalog.structure.manage": "Manage categories, attribute definitions, vendors and vendor staff",
    "orders.read_all": "See every customer's orders (support); reading only",
    "orders.write_all": "Refund and edit every customer's orders (order_agent and admin, not support)",
    "orders.points.grant": "Grant points to a customer",
    "orders.hubs.manage": "Manage the stock of the HUBs one runs (object-level: own HUBs only)",
    "orders.hubs.admin": "Create HUBs and name or remove their managers (operators)",
    "reservations.manage": "Create inventories, bookable resources and concert events",
}


@dataclass(frozen=True)
class BuiltinRole:
    name: str
    description: str
    parents: tuple[str, ...] = ()
    permissions: tuple[str, ...] = field(default_factory=tuple)


BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("customer", "A shopper: own account, orders and reservations"),
    BuiltinRole(
        "support",
        "Customer support",
        ("customer",),
        ("identity.users.read", "identity.audit.read", "orders.read_all", "orders.points.grant"),
    ),
    BuiltinRole(
        "order_agent",
        "Support agent who may also change customers' orders (refunds, shipping)",
        ("support",),
        ("orders.write_all",),
    ),
    BuiltinRole(
        "hub_manager", "Runs organisation or dealer HUBs", ("customer",), ("orders.hubs.manage",)
    ),
    BuiltinRole(
        "catalog_manager",
        "Edits every product and category",
        ("customer",),
        ("catalog.products.edit", "catalog.all_vendors", "catalog.structure.manage"),
    ),
    BuiltinRole(
        "vendor_staff",
        "Manages one vendor's products and orders",
        ("customer",),
        ("catalog.products.edit",),
    ),
    BuiltinRole(
        "admin",
        "Everything",
        ("order_agent", "catalog_manager", "vendor_staff", "hub_manager"),
        tuple(PERMISSIONS),  # every permission, including ones added later
    ),
)

BUILTIN_ROLE_NAMES = frozenset(role.name for role in BUILTIN_ROLES)


async def sync_builtin_roles(session: Session) -> None:
    """Make the database match the catalogue above (idempotent), in the caller's unit of
    work (pass `uow.session`)."""
    await roles_repo.sync_catalogue(
        session,
        PERMISSIONS,
        [(role.name, role.description) for role in BUILTIN_ROLES],
        [(role.name, parent) for role in BUILTIN_ROLES for parent in role.parents],
        [(role.name, permission) for role in BUILTIN_ROLES for permission in role.permissions],
    )
