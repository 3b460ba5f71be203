"""Reservations subgraph: queued bookings with live tickets, concert seats (RES-1..RES-6)."""

from schema.reservations.mutations import ReservationsMutation
from schema.reservations.queries import ReservationsQuery
from schema.reservations.subscriptions import ReservationsSubscription

__all__ = ["ReservationsMutation", "ReservationsQuery", "ReservationsSubscription"]
