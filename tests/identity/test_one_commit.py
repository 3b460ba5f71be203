"""Identity's use cases only flush: the unit of work's owner commits once (issue 10, item 3),
and the ROLES_CHANGED event commits with the change in the outbox, so a crash between the
commit and the publish loses nothing: the relay publishes it whenever it next runs."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select

from auth.principal import Principal
from persistence.database import Database
from persistence.models.audit import AuditLog
from persistence.models.identity import User, UserRole
from persistence.models.outbox import OutboxEvent
from resolvers.identity import accounts, roles, signup
from resolvers.services import RequestMeta
from tests.accounts import PASSWORD
from tests.conftest import Api
from workflows.outbox import relay_once

META = RequestMeta(address="127.0.0.1")


async def _status(db: Database, user_id: uuid.UUID) -> str | None:
    async with db.read() as connection:
        return await connection.scalar(select(User.status).where(User.id == user_id))


async def test_use_cases_flush_and_the_owner_commits_once(quiet: Api, unique_email) -> None:
    services = quiet.services  # no workers in this process: the outbox relay is stopped
    db = services.db
    async with db.transaction() as setup:
        operator = await signup.create_user(
            services, setup, email=unique_email("op"), password=PASSWORD,
            display_name="Op", role="admin",
        )  # fmt: skip
    started = await services.sessions.start(str(operator.id), "desk", "Desk")
    actor = Principal(operator.id, started.session)

    # A strict unit of work: a commit from anything but its owner raises.
    unit = db.begin()
    try:
        customer = await signup.sign_up(
            services, unit, email=unique_email("c"), password=PASSWORD,
            display_name="C", locale="en", meta=META,
        )  # fmt: skip
        await roles.assign_role(
            unit, actor=actor, user_id=str(customer.id), role="support", meta=META
        )
        await accounts.disable(
            services, unit, actor=actor, user_id=str(customer.id), reason="risk", meta=META
        )
        await unit.flush()
        assert unit.commits == 0
        assert await _status(db, customer.id) is None  # nothing visible before the commit
        await unit.commit()
    finally:
        await unit.close()
    assert unit.commits == 1

    topic = f"topic:user:{customer.id}"
    async with db.read() as connection:
        assert await _status(db, customer.id) == "DISABLED"
        held = await connection.scalars(
            select(UserRole.role_name).where(UserRole.user_id == customer.id)
        )
        assert sorted(held) == ["customer", "support"]
        actions = await connection.scalars(
            select(AuditLog.action).where(AuditLog.subject_id == str(customer.id))
        )
        assert sorted(actions) == [
            "identity.account_disabled", "identity.role_changed", "identity.sign_up"
        ]  # fmt: skip
        pending = await connection.scalar(
            select(OutboxEvent.published_at).where(OutboxEvent.topic == topic)
        )
    assert pending is None  # committed, not yet published: the "crash" window

    # The relay starts later (after a crash, in another process): the event still arrives.
    async with services.broker.subscribe(topic) as events:
        while await relay_once(db, services.broker):
            pass
        event = await asyncio.wait_for(events.get(), 10)
    assert event == {"kind": "ROLES_CHANGED", "role": "support", "change": "granted"}
