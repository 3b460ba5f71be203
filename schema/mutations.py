"""One commit per mutation: the request's unit of work commits after each mutation field.

Root mutation fields run one after another (GraphQL's rule), so each is its own transaction:
a later field that fails does not undo an earlier one, and an earlier one's result is what a
later one reads. A field whose resolver raises rolls back everything it wrote, including
what it flushed. Use cases only flush (persistence/unit_of_work.py enforces it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.base import StrawberryObjectDefinition


class CommitMutation(FieldExtension):
    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        context = info.context
        try:
            result = await next_(source, info, **kwargs)
        except BaseException:
            await context.rollback()
            raise
        await context.commit()
        return result


def commit_each_mutation(mutation: type | None) -> type | None:
    """Give every root mutation field the commit (once per field, whatever the domain)."""
    if mutation is None:
        return None
    definition: StrawberryObjectDefinition = mutation.__strawberry_definition__  # type: ignore[attr-defined]
    for field in definition.fields:
        if not any(isinstance(extension, CommitMutation) for extension in field.extensions):
            field.extensions.append(CommitMutation())
    return mutation
