"""Operator alerts (ORD-10): something automatic gave up and a person should look.

An alert is an outbox event on `topic:ops:alerts` (relayed to Redis pub/sub for whatever pages
the operator) written in the transaction of the decision it reports, plus an ERROR log line.
Alerts carry ids and codes only, never personal data or provider bodies."""

from __future__ import annotations

import logging
from typing import Any

from persistence.models.outbox import OutboxEvent
from persistence.unit_of_work import GuardedSession

ALERT_TOPIC = "topic:ops:alerts"
_log = logging.getLogger("tessera.alerts")


def raise_alert(session: GuardedSession, kind: str, **details: Any) -> None:
    session.add(OutboxEvent(topic=ALERT_TOPIC, payload={"kind": kind, **details}))
    _log.error("operator alert", extra={"alert": kind, **details})
