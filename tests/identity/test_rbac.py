"""RBAC (ID-12) and audit (ID-13): the directive is enforced, roles inherit, changes are audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from persistence.models.audit import AuditLog
from tests.accounts import ME, grant_role, login, new_user
from tests.conftest import Api

ASSIGN = "mutation($u: ID!, $r: String!) { assignRole(userId: $u, role: $r) { id roles { name } } }"
REVOKE = "mutation($u: ID!, $r: String!) { revokeRole(userId: $u, role: $r) { id roles { name } } }"
USERS = "query($after: String) { users(first: 2, after: $after) { edges { node { email } } pageInfo { hasNextPage endCursor } } }"
AUDIT = "query($action: String) { auditLog(first: 50, action: $action) { edges { node { action subjectId data actorUserId } } } }"


async def test_assign_role_needs_the_permission(api: Api, unique_email) -> None:
    client = api.client
    customer = await new_user(client, unique_email())
    error = await client.error(
        ASSIGN, {"u": customer.user_id, "r": "admin"}, token=customer.access_token
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["permission"] == "identity.roles.manage"
    roles = (await client.data(ME, token=customer.access_token))["me"]["roles"]
    assert roles == [{"name": "customer"}]


async def test_admin_grants_and_revokes_and_it_is_audited(api: Api, unique_email) -> None:
    client = api.client
    admin = await new_user(client, unique_email("admin"))
    await grant_role(api.services, admin.user_id, "admin")
    target = await new_user(client, unique_email("target"))

    granted = (
        await client.data(ASSIGN, {"u": target.user_id, "r": "support"}, token=admin.access_token)
    )["assignRole"]
    assert sorted(r["name"] for r in granted["roles"]) == ["customer", "support"]
    # The target's own view gains the inherited permissions at once.
    me = (await client.data(ME, token=target.access_token))["me"]
    assert "identity.users.read" in me["permissions"]
    assert "identity.roles.manage" not in me["permissions"]

    revoked = (
        await client.data(REVOKE, {"u": target.user_id, "r": "support"}, token=admin.access_token)
    )["revokeRole"]
    assert [r["name"] for r in revoked["roles"]] == ["customer"]

    entries = (
        await client.data(AUDIT, {"action": "identity.role_changed"}, token=admin.access_token)
    )["auditLog"]["edges"]
    changes = [
        (e["node"]["data"]["role"], e["node"]["data"]["change"], e["node"]["actorUserId"])
        for e in entries
    ]
    assert changes == [("support", "revoked", admin.user_id), ("support", "granted", admin.user_id)]


async def test_unknown_user_or_role_is_not_found(api: Api, unique_email) -> None:
    client = api.client
    admin = await new_user(client, unique_email("admin"))
    await grant_role(api.services, admin.user_id, "admin")
    error = await client.error(
        ASSIGN, {"u": admin.user_id, "r": "wizard"}, token=admin.access_token
    )
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("NOT_FOUND", "role")
    error = await client.error(
        ASSIGN, {"u": "not-a-uuid", "r": "support"}, token=admin.access_token
    )
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("NOT_FOUND", "userId")


async def test_inherited_role_permissions(api: Api, unique_email) -> None:
    """A custom role inheriting `support` gets its permissions without its own grants."""
    client = api.client
    user = await new_user(client, unique_email())
    async with api.services.db.transaction() as unit:
        await unit.session.execute(
            text("INSERT INTO identity_role (name, description) VALUES ('night_shift', 'x')")
        )
        await unit.session.execute(
            text("INSERT INTO identity_role_parent VALUES ('night_shift', 'support')")
        )
    await grant_role(api.services, user.user_id, "night_shift")
    me = (await client.data(ME, token=user.access_token))["me"]
    assert {"identity.users.read", "identity.audit.read"} <= set(me["permissions"])
    page = (await client.data(USERS, token=user.access_token))["users"]
    assert len(page["edges"]) == 1 and page["pageInfo"]["hasNextPage"] is False


async def test_users_pagination_walks_every_user_once(api: Api, unique_email) -> None:
    client = api.client
    admin = await new_user(client, unique_email("admin"))
    await grant_role(api.services, admin.user_id, "admin")
    emails = {admin.email}
    for _ in range(4):
        await new_user(client, email := unique_email())
        emails.add(email)
    seen, after = [], None
    while True:
        page = (await client.data(USERS, {"after": after}, token=admin.access_token))["users"]
        seen += [edge["node"]["email"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(emails)
    bad = await client.error(USERS, {"after": "!!notacursor"}, token=admin.access_token)
    assert (bad["extensions"]["code"], bad["extensions"]["field"]) == ("VALIDATION", "after")


async def test_sign_up_login_and_session_end_are_audited(api: Api, unique_email) -> None:
    client = api.client
    email = unique_email()
    first = await new_user(client, email, device="phone")
    await login(client, email, device="laptop")
    async with api.services.db.read() as connection:
        rows = (
            await connection.execute(
                select(
                    AuditLog.action, AuditLog.subject_id, AuditLog.data, AuditLog.source_address
                ).order_by(AuditLog.id)
            )
        ).all()
    actions = [row.action for row in rows]
    assert actions == [
        "identity.sign_up",
        "identity.login",
        "identity.login",
        "identity.session_ended",
    ]
    ended = rows[-1]
    assert ended.subject_id == first.session_id and ended.data == {"cause": "SESSION_REPLACED"}
    assert all(row.source_address == "127.0.0.1" for row in rows)


async def test_audit_log_is_append_only(api: Api, unique_email) -> None:
    await new_user(api.client, unique_email())
    async with api.services.db.read() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            await connection.execute(text("UPDATE audit_log SET action = 'forged'"))
    async with api.services.db.read() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            await connection.execute(text("DELETE FROM audit_log"))
