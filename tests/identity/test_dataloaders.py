"""API-2: roles and permissions of a page of users load in batches; 10 and 100 users cost the same."""

from __future__ import annotations

import uuid

from sqlalchemy import insert

from persistence.models.identity import User, UserRole
from tests.accounts import ME, grant_role, new_user
from tests.conftest import Api
from tests.sql_counter import count_statements

USERS_WITH_ROLES = """
query($first: Int!) {
  users(first: $first) { edges { node { email roles { name description } permissions } } }
}
"""


async def _add_users(api: Api, count: int) -> None:
    roles = ["customer", "support", "catalog_manager", "vendor_staff"]
    rows = [
        {
            "id": uuid.uuid4(),
            "email": f"bulk-{n}-{uuid.uuid4().hex[:6]}@example.com",
            "display_name": f"Bulk {n}",
            "password_hash": None,
        }
        for n in range(count)
    ]
    async with api.services.db.transaction() as unit:
        await unit.session.execute(insert(User), rows)
        await unit.session.execute(
            insert(UserRole),
            [
                {"user_id": row["id"], "role_name": roles[n % len(roles)]}
                for n, row in enumerate(rows)
            ],
        )


async def test_user_list_statement_count_does_not_grow_with_page_size(
    quiet: Api, unique_email
) -> None:
    admin = await new_user(quiet.client, unique_email("admin"))
    await grant_role(quiet.services, admin.user_id, "admin")
    await _add_users(quiet, 120)
    counts = {}
    for first in (10, 100):
        with count_statements(quiet.services.db.engine) as statements:
            data = await quiet.client.data(
                USERS_WITH_ROLES, {"first": first}, token=admin.access_token
            )
        assert len(data["users"]["edges"]) == first
        assert all(edge["node"]["roles"] for edge in data["users"]["edges"])
        counts[first] = len(statements)
    assert counts[10] == counts[100], counts
    # permission check (1), page (1), role names (1), roles (1), permissions of the page (1)
    assert counts[100] <= 5, counts


async def test_me_roles_and_permissions_in_few_statements(quiet: Api, unique_email) -> None:
    user = await new_user(quiet.client, unique_email())
    with count_statements(quiet.services.db.engine) as statements:
        await quiet.client.data(ME, token=user.access_token)
    # user, role names, roles, permissions: one statement each, whatever the number of roles
    assert len(statements) <= 4, [s[:60] for s in statements]
