"""Operations generated from the contract and the schema, for statement-count tests (API-2).

A contract operation keeps its variables and its root field's arguments; its selection is
replaced by every selectable field of the root field's type, recursively, as Saleor's
`count_queries` tests ask for everything a client could. A field whose arguments are all
optional is selected with their defaults; one with a required argument is left out. The
recursion stops at a depth bound and when a type already appears twice on the path (the
schema has cycles: Product.substitutes, Category.parent).
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationDefinitionNode,
    get_named_type,
    is_required_argument,
    parse,
    print_ast,
)

MAX_DEPTH = 6


def full_selection(
    schema: GraphQLSchema, type_: GraphQLNamedType, depth: int = 0, path: tuple[str, ...] = ()
) -> str:
    """`{ … }` with every field of `type_` (empty when nothing can be selected)."""
    if isinstance(type_, GraphQLUnionType):
        parts = [
            f"... on {member.name} {full_selection(schema, member, depth, path)}"
            for member in type_.types
        ]
        return "{ __typename " + " ".join(parts) + " }"
    assert isinstance(type_, GraphQLObjectType | GraphQLInterfaceType), type_
    path = (*path, type_.name)
    fields = []
    for name, field in type_.fields.items():
        if name.startswith("_") or any(is_required_argument(a) for a in field.args.values()):
            continue
        inner = get_named_type(field.type)
        if isinstance(inner, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            if depth + 1 >= MAX_DEPTH or path.count(inner.name) >= 2:
                continue
            sub = full_selection(schema, inner, depth + 1, path)
            if sub:
                fields.append(f"{name} {sub}")
        else:
            fields.append(name)
    return "{ " + " ".join(fields) + " }" if fields else ""


def generated_operation(schema: GraphQLSchema, document: str, name: str) -> str:
    """The contract operation `name`, its one root field selecting everything it can."""
    operation = next(
        d
        for d in parse(document).definitions
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name
    )
    (root,) = operation.selection_set.selections
    assert isinstance(root, FieldNode)
    root_type = schema.get_root_type(operation.operation)
    assert root_type is not None
    field_type = get_named_type(root_type.fields[root.name.value].type)
    variables = ", ".join(print_ast(v) for v in operation.variable_definitions or ())
    arguments = ", ".join(print_ast(a) for a in root.arguments or ())
    return (
        f"{operation.operation.value} {name}{f'({variables})' if variables else ''} "
        f"{{ {root.name.value}{f'({arguments})' if arguments else ''} "
        f"{full_selection(schema, field_type)} }}"
    )


def entities_operation(schema: GraphQLSchema, type_name: str) -> str:
    """`_entities` for representations of one entity type, every field selected."""
    type_ = schema.get_type(type_name)
    assert type_ is not None
    return (
        "query Entities($representations: [_Any!]!) { _entities(representations: $representations) "
        f"{{ ... on {type_name} {full_selection(schema, type_)} }} }}"
    )


def entity_types(schema: GraphQLSchema) -> list[str]:
    entity = schema.get_type("_Entity")
    assert isinstance(entity, GraphQLUnionType)
    return sorted(t.name for t in entity.types)
