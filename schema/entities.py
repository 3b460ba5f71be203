"""`_entities` representations checked before any is resolved (API-1, ID-10).

`_Any` takes any JSON, and strawberry hands each representation's keys to the entity's
`resolve_reference` as arguments: a string, an unknown `__typename` or a missing or
extra key would raise inside it (INTERNAL). Each bad representation gets its own
VALIDATION error at its position; the good ones resolve as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from strawberry.federation.schema_directives import Key
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.utils.inspect import get_func_args

from core.errors import ValidationFailed

NOT_KEYS = frozenset({"info", "cls", "self", "root"})


def entity_keys(type_map: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Entity type name -> the key arguments its `resolve_reference` takes."""
    keys: dict[str, frozenset[str]] = {}
    for name, concrete in type_map.items():
        origin = getattr(getattr(concrete, "definition", None), "origin", None)
        resolve = getattr(origin, "resolve_reference", None)
        if resolve is not None:
            keys[name] = frozenset(get_func_args(resolve)) - NOT_KEYS
    return keys


def key_field_names(definition: StrawberryObjectDefinition) -> frozenset[str]:
    """The GraphQL names of the fields in an entity's `@key`s (simple keys: `"id"`)."""
    return frozenset(
        name
        for directive in definition.directives or ()
        if isinstance(directive, Key)
        for name in str(directive.fields).split()
    )


def check(representation: object, index: int, keys: Mapping[str, frozenset[str]]) -> dict:
    field = f"representations.{index}"
    if not isinstance(representation, dict):
        raise ValidationFailed("a representation must be an object", field=field)
    typename = representation.get("__typename")
    if not isinstance(typename, str) or typename not in keys:
        raise ValidationFailed(
            "__typename must name an entity", reason="UNKNOWN_ENTITY_TYPE", field=field
        )
    wanted = keys[typename]
    given = set(representation) - {"__typename"}
    if given != wanted or not all(isinstance(representation[k], str) for k in wanted):
        raise ValidationFailed(
            f"{typename} is found by {', '.join(sorted(wanted))} (strings) alone",
            reason="BAD_ENTITY_KEY",
            field=field,
        )
    return dict(representation)


def resolve_checked(
    representations: list[object],
    keys: Mapping[str, frozenset[str]],
    resolve: Callable[[list[object]], list[Any]],
) -> list[Any]:
    """Errors in place of the bad representations, `resolve` for the good ones."""
    checked: list[Any] = []
    for index, representation in enumerate(representations):
        try:
            checked.append(check(representation, index, keys))
        except ValidationFailed as error:
            checked.append(error)
    resolved = iter(resolve([r for r in checked if not isinstance(r, ValidationFailed)]))
    return [r if isinstance(r, ValidationFailed) else next(resolved) for r in checked]
