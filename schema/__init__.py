"""Composes the federated supergraph from each domain's subgraph (API-1).

Each domain module contributes Query / Mutation / Subscription classes; the
supergraph merges them all, and any one subgraph can be built alone for an
external federation gateway (`tessera serve --subgraph identity`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, ParserCache
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.federation.schema import FederationAny
from strawberry.tools import merge_types

from core.settings import Settings
from schema import catalog, entities, identity, orders, reservations
from schema.errors import ErrorCodes, UnitOfWork
from schema.limits import RequestLimiter, RequestLimits, bounded_executor, validation_rules
from schema.mutations import commit_each_mutation
from schema.refusals import AuditRefusals
from schema.response_cache import ResponseCache
from schema.scalars import SCALAR_OVERRIDES
from schema.tracing import OperationSpan


@dataclass(frozen=True)
class Subgraph:
    name: str
    query: type | None = None
    mutation: type | None = None
    subscription: type | None = None


SUBGRAPHS: dict[str, Subgraph] = {
    "identity": Subgraph(
        "identity", identity.IdentityQuery, identity.IdentityMutation, identity.IdentitySubscription
    ),
    "catalog": Subgraph("catalog", catalog.CatalogQuery, catalog.CatalogMutation),
    "orders": Subgraph(
        "orders", orders.OrdersQuery, orders.OrdersMutation, orders.OrdersSubscription
    ),
    "reservations": Subgraph(
        "reservations",
        reservations.ReservationsQuery,
        reservations.ReservationsMutation,
        reservations.ReservationsSubscription,
    ),
}


class ParseOnce(ParserCache):
    """ParserCache that leaves invalid documents to strawberry's own parse step, which
    reports the syntax error inside the operation (so it gets its error code)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            pass
        yield


class TesseraSchema(strawberry.federation.Schema):
    def entities_resolver(  # strawberry reads these annotations to build `_entities`
        self, info: strawberry.Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        keys = entities.entity_keys(self.schema_converter.type_map)
        return entities.resolve_checked(
            representations,
            keys,
            lambda good: super(TesseraSchema, self).entities_resolver(info, good),
        )

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Expected errors are not logged; `ErrorCodes` logs unexpected ones with a trace id."""


def _merge(name: str, parts: list[type | None]) -> type | None:
    present = tuple(part for part in parts if part is not None)
    return merge_types(name, present) if present else None


def build_schema(settings: Settings | None = None, subgraph: str | None = None) -> TesseraSchema:
    settings = settings or Settings()
    if subgraph is not None and subgraph not in SUBGRAPHS:
        raise ValueError(f"unknown subgraph {subgraph!r}; known: {', '.join(SUBGRAPHS)}")
    chosen = [SUBGRAPHS[subgraph]] if subgraph else list(SUBGRAPHS.values())
    limits = RequestLimits.from_settings(settings)
    rules = validation_rules(limits)
    extensions: list = [
        OperationSpan,
        ErrorCodes,
        AuditRefusals,  # after ErrorCodes: sees the errors before translation
        UnitOfWork,
        ResponseCache,
        # Clients send the same documents again and again: parse and validate each once.
        lambda: ParseOnce(maxsize=512),
        lambda: AddValidationRules(rules),
        lambda: RequestLimiter(limits),  # token limit, cost/depth/aliases, cached validation
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return TesseraSchema(
        query=_merge("Query", [g.query for g in chosen]),
        mutation=commit_each_mutation(_merge("Mutation", [g.mutation for g in chosen])),
        subscription=_merge("Subscription", [g.subscription for g in chosen]),
        extensions=extensions,
        execution_context_class=bounded_executor(limits),
        scalar_overrides=SCALAR_OVERRIDES,
    )
