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
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

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
    # Entities this subgraph resolves in full; any other subgraph that returns one holds
    # only its key (a reference the gateway resolves here through `_entities`).
    entities: tuple[type, ...] = ()


SUBGRAPHS: dict[str, Subgraph] = {
    "identity": Subgraph(
        "identity",
        identity.IdentityQuery,
        identity.IdentityMutation,
        identity.IdentitySubscription,
        entities=(identity.User,),
    ),
    "catalog": Subgraph(
        "catalog",
        catalog.CatalogQuery,
        catalog.CatalogMutation,
        entities=(catalog.Product, catalog.Vendor),
    ),
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
    def __init__(self, *, foreign_entities: frozenset[type] = frozenset(), **kwargs: Any) -> None:
        self.foreign_entities = foreign_entities  # read while super() converts the types
        super().__init__(**kwargs)

    def get_fields(self, type_definition: StrawberryObjectDefinition) -> list[StrawberryField]:
        """A subgraph shows another subgraph's entity as its key alone (a federation stub),
        so composition gives each field one owner and the gateway fetches the rest there."""
        fields = super().get_fields(type_definition)
        if type_definition.origin not in self.foreign_entities:
            return fields
        keys = entities.key_field_names(type_definition)
        return [f for f in fields if self.config.name_converter.get_graphql_name(f) in keys]

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
    foreign = {e for g in SUBGRAPHS.values() if g not in chosen for e in g.entities}
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
        foreign_entities=frozenset(foreign),
        query=_merge("Query", [g.query for g in chosen]),
        mutation=commit_each_mutation(_merge("Mutation", [g.mutation for g in chosen])),
        subscription=_merge("Subscription", [g.subscription for g in chosen]),
        extensions=extensions,
        execution_context_class=bounded_executor(limits),
        scalar_overrides=SCALAR_OVERRIDES,
    )
