"""Request limits (API-4): every bound on one request's work, in one place.

Parsing is bounded by the token limit (and graphql-core's nesting limit). Before
graphql-core's own rules run, `RequestLimiter` measures the document in linear time
(`schema.cost`) and refuses it when its cost, depth, aliases or overlapping-field work
is too large, so no rule ever walks an expanded fragment bomb. Execution runs root
fields one after another (they share the request's database session) and, for
queries, under a time budget. Where the schema is private (production), validation
and coercion errors carry no "Did you mean" suggestions and `_service` is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    StringValueNode,
    ValidationRule,
    get_operation_ast,
    validate,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from core.errors import DomainError
from core.settings import Settings
from schema.cost import DocumentMeasure, measure, overlap_pairs


@dataclass(frozen=True)
class RequestLimits:
    max_tokens: int
    max_depth: int
    max_aliases: int
    max_cost: int
    max_overlap_pairs: int
    time_budget_seconds: float
    private_schema: bool  # no suggestions, no `_service { sdl }`

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestLimits:
        return cls(
            max_tokens=settings.max_tokens,
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_cost=settings.max_query_cost,
            max_overlap_pairs=settings.max_overlap_pairs,
            time_budget_seconds=settings.request_time_budget_seconds,
            private_schema=settings.is_production or not settings.introspection,
        )

    def violation(self, measured: DocumentMeasure) -> GraphQLError | None:
        worst = measured.worst
        for reason, value, limit, what in (
            ("QUERY_TOO_COSTLY", worst.cost, self.max_cost, "cost"),
            ("QUERY_TOO_DEEP", worst.depth, self.max_depth, "depth"),
            ("TOO_MANY_ALIASES", worst.aliases, self.max_aliases, "aliases"),
        ):
            if value > limit:
                return refusal(f"The operation's {what} ({value}) exceeds {limit}.", reason)
        return None


def refusal(message: str, reason: str, node: Any = None) -> GraphQLError:
    """A request refused before execution: `ErrorCodes` answers it as VALIDATION + reason."""
    return GraphQLError(message, node, extensions={"code": "VALIDATION", "reason": reason})


class TimeBudgetExceeded(DomainError):
    code = "UNAVAILABLE"


class NoNulInStrings(ValidationRule):
    """PostgreSQL text cannot hold U+0000; no input of ours means it."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if "\x00" in node.value:
            self.report_error(refusal("Strings must not contain U+0000.", "NUL_CHARACTER", node))


class NoServiceSdl(ValidationRule):
    """In production the SDL is published by the operator (`tessera sdl`), not served."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value == "_service":
            self.report_error(
                refusal("The schema is not served to callers here.", "SDL_NOT_SERVED", node)
            )


def nul_in_variables(variables: object) -> bool:
    stack = [variables]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, Mapping):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


@lru_cache(maxsize=512)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    """graphql-core's rules plus strawberry's two (as strawberry's `validate_document`),
    cached: clients send the same documents again and again."""
    return validate(
        schema,
        document,
        (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
        hide_suggestions=hide_suggestions,
    )


class RequestLimiter(SchemaExtension):
    """Token limit at parse; the linear measure, then the (cached) standard validation."""

    def __init__(self, limits: RequestLimits) -> None:
        self.limits = limits
        self.cost: int | None = None

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        context.pre_execution_errors = self._refusal(context) or _validate(
            context.schema._schema,
            document,
            context.validation_rules,
            self.limits.private_schema,
        )
        yield

    def _refusal(self, context: Any) -> list[GraphQLError]:
        operation = get_operation_ast(context.graphql_document, context.operation_name)
        if (
            operation is not None
            and operation.operation == OperationType.SUBSCRIPTION
            and not getattr(context.context, "over_socket", True)
        ):
            return [
                refusal(
                    "Subscriptions run over a WebSocket (graphql-transport-ws) at /graphql.",
                    "SUBSCRIPTION_OVER_HTTP",
                )
            ]
        try:
            measured = measure(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
            )
        except RecursionError:
            return [refusal("The operation nests too deeply.", "QUERY_TOO_DEEP")]
        self.cost = measured.operation.cost
        error = self.limits.violation(measured)
        if error is None:
            pairs = overlap_pairs(context.graphql_document)
            if pairs > self.limits.max_overlap_pairs:
                error = refusal(
                    f"The operation repeats fields too often ({pairs} pairs of fields to"
                    f" merge, at most {self.limits.max_overlap_pairs}).",
                    "TOO_MANY_REPEATED_FIELDS",
                )
        if error is None and nul_in_variables(context.variables):
            error = refusal("Strings must not contain U+0000.", "NUL_CHARACTER")
        return [error] if error else []

    def get_results(self) -> dict[str, Any]:
        return {"cost": self.cost} if self.cost is not None else {}


def validation_rules(limits: RequestLimits) -> list[type[ASTValidationRule]]:
    """Extra rules, made once: rule classes are part of the validation cache's key."""
    return [NoNulInStrings, NoServiceSdl] if limits.private_schema else [NoNulInStrings]


def bounded_executor(limits: RequestLimits) -> type[StrawberryGraphQLCoreExecutionContext]:
    class BoundedExecutor(StrawberryGraphQLCoreExecutionContext):
        """Root fields one after another: they share the request's one AsyncSession,
        which must not run two statements at once.

        A query past its time budget resolves no further field and answers one error.
        Nothing in flight is cancelled: a cancelled statement can strand its pooled
        connection, and each statement is bounded by its own timeouts. Mutations have
        no budget: stopping one between its commit and its answer only loses the answer.
        """

        deadline: float | None = None
        expired = False

        @classmethod
        def build(cls, *args: Any, **kwargs: Any) -> Any:
            if limits.private_schema:
                kwargs["hide_suggestions"] = True
            return super().build(*args, **kwargs)

        def execute_operation(self, serially: bool | None = None) -> Any:
            budget = limits.time_budget_seconds
            if self.operation.operation == OperationType.QUERY and budget > 0:
                self.deadline = asyncio.get_running_loop().time() + budget
            return super().execute_operation(serially=True)

        def execute_field(self, *args: Any, **kwargs: Any) -> Any:
            if self.deadline is not None and asyncio.get_running_loop().time() > self.deadline:
                self.expired = True
                return None  # the whole response is replaced below
            return super().execute_field(*args, **kwargs)

        def build_response(self, data: dict[str, Any] | None) -> Any:
            response = super().build_response(data)
            if not self.expired:
                return response
            budget_exceeded = TimeBudgetExceeded(reason="TIME_BUDGET_EXCEEDED")
            return ExecutionResult(
                None, [GraphQLError(str(budget_exceeded), original_error=budget_exceeded)]
            )

    return BoundedExecutor
