"""Refused attempts are audited (ID-13): every FORBIDDEN answer, whether the permission
directive or an object-level rule refused it, becomes one `authz.forbidden` row.

The row is written in its own short unit of work after the operation
(`audit.record_apart`), so it survives the request's rollback. The extension must come after `ErrorCodes` in the schema's list: hooks
leave in reverse order, so it sees the errors before they are translated.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from graphql import FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from core.errors import Forbidden
from persistence.errors import DATABASE_ERRORS
from persistence.unit_of_work import Session
from resolvers.identity import audit

_log = logging.getLogger("tessera.audit")


def _root_fields(execution: ExecutionContext) -> dict[str, str]:
    """Response key (an alias, maybe) -> field name, for the operation's root selections."""
    document = execution.graphql_document
    names: dict[str, str] = {}
    for definition in document.definitions if document else ():
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if execution.operation_name and (
            definition.name is None or definition.name.value != execution.operation_name
        ):
            continue
        for selection in definition.selection_set.selections:
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                names[key] = selection.name.value
    return names


def _refused(errors: list[GraphQLError] | None) -> list[GraphQLError]:
    return [e for e in errors or () if isinstance(e.original_error, Forbidden)]


class AuditRefusals(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        yield
        execution = self.execution_context
        refused = _refused(getattr(execution.result, "errors", None))
        if refused:
            await self._record(execution, refused)

    @staticmethod
    async def _record(execution: ExecutionContext, refused: list[GraphQLError]) -> None:
        context = execution.context
        principal = context._principal
        kind = execution.operation_type.value.capitalize()
        names = _root_fields(execution)

        def write(session: Session) -> None:
            for error in refused:
                key = str(error.path[0]) if error.path else ""
                forbidden: Forbidden = error.original_error  # type: ignore[assignment]
                audit.record(
                    session,
                    "authz.forbidden",
                    subject_type="field",
                    subject_id=f"{kind}.{names.get(key, key)}"[:128],
                    meta=context.meta,
                    actor=principal.user_id if principal else None,
                    data={
                        "path": [str(p)[:64] for p in (error.path or [])][:10],
                        "reason": forbidden.reason,
                        "permission": forbidden.extra.get("permission"),
                    },
                )

        try:
            await audit.record_apart(context.services.db, write)
        except DATABASE_ERRORS as exc:  # the refusal itself must still reach the caller
            _log.warning("could not audit a refusal", extra={"error": type(exc).__name__})
