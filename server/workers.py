"""Runs the asynchronous workflows of this process until cancelled (`tessera worker`).

The composition root of the workers: which use cases run as periodic jobs, and which
domain room the reservation queue consumers decide with.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.tasks import stop_if_cancelled
from persistence.cache import INVALIDATION_EFFECT
from persistence.locks import held_alone
from resolvers.idempotency import purge_expired
from resolvers.orders.points import expire_due
from resolvers.orders.withdrawal import purge_expired_history
from resolvers.reservations import booking
from resolvers.reservations.concerts import expire_holds
from resolvers.reservations.payments import reconcile_due
from resolvers.services import Services
from workflows import reservations as reservation_queue
from workflows.outbox import relay_once

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[Services], Awaitable[int]]
    idle_seconds: float  # pause when a run found nothing to do
    # Sweeps that are not partitioned between processes run in one process at a time (an
    # advisory lock); the others claim their rows with SKIP LOCKED (docs/architecture.md).
    alone: bool = False


def relay_outbox(services: Services) -> Awaitable[int]:
    """Outbox rows go to the broker, except cache invalidations, which the relay runs."""
    effects = {INVALIDATION_EFFECT: services.cache.run_invalidation}
    return relay_once(services.db, services.broker, effects=effects)


JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("outbox-relay", relay_outbox, idle_seconds=0.05),
    PeriodicJob("sagas", lambda s: s.sagas.run_due(), idle_seconds=0.05),
    PeriodicJob(
        "withdrawn-history-purge",
        lambda s: purge_expired_history(s.db),
        idle_seconds=3600,
        alone=True,
    ),
    PeriodicJob("points-expiry", lambda s: expire_due(s.db), idle_seconds=600, alone=True),
    PeriodicJob("seat-hold-expiry", lambda s: expire_holds(s.db), idle_seconds=1.0),
    PeriodicJob(
        "idempotency-key-purge", lambda s: purge_expired(s.db), idle_seconds=600, alone=True
    ),
    PeriodicJob("reservation-payments", lambda s: reconcile_due(s), idle_seconds=1.0),
)


async def run_job(job: PeriodicJob, services: Services) -> int:
    """One run of `job`; an `alone` job another process is running counts as nothing done."""
    if not job.alone:
        return await job.run(services)
    async with held_alone(services.db, f"periodic-job:{job.name}") as mine:
        return await job.run(services) if mine else 0


async def _loop(job: PeriodicJob, services: Services) -> None:
    while True:
        try:
            done = await run_job(job, services)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a failing run is retried, never fatal to the worker
            stop_if_cancelled()
            _log.exception("job failed", extra={"job": job.name})
            done = 0
            await asyncio.sleep(1.0)
        if not done:
            await asyncio.sleep(job.idle_seconds)


async def run_workers(services: Services) -> None:
    async with asyncio.TaskGroup() as group:
        for job in JOBS:
            group.create_task(_loop(job, services), name=job.name)
        group.create_task(run_reservation_workers(services), name="reservations")


async def run_reservation_workers(services: Services) -> None:
    await reservation_queue.run_reservation_workers(services, booking.ROOM)
