"""What a GraphQL document asks for, measured in time linear in its size (API-4).

Every definition (operations and fragments) is measured once, fragments first and
each of them once however often it is spread, so a document whose fragments spread
each other twice per level (2^n fields once expanded) costs n steps to measure, not
2^n. The same numbers serve the request limits now and per-client cost budgets later.

- cost: every selected field counts 1; the fields below a paginated field count once
  per item of the page it asks for (`first`/`last`, from the literal, the variable or
  the argument's default);
- depth: nesting of fields, the root fields at 0 (introspection fields do not count,
  as in strawberry's depth limiter);
- aliases: aliased fields, fragments expanded;
- overlap: the pairs of fields sharing one response path, fragments expanded: an upper
  bound of the comparisons graphql-core's OverlappingFieldsCanBeMerged makes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from schema.pagination import MAX_PAGE_SIZE

PAGE_ARGUMENTS = ("first", "last")
# Costs saturate here: the largest integer a JavaScript client reads exactly.
SATURATED = 2**53 - 1


@dataclass(frozen=True)
class Measure:
    cost: int = 0
    depth: int = 0
    aliases: int = 0

    def most(self, other: Measure) -> Measure:
        return Measure(
            max(self.cost, other.cost),
            max(self.depth, other.depth),
            max(self.aliases, other.aliases),
        )


@dataclass(frozen=True)
class DocumentMeasure:
    operation: Measure  # the operation that runs (zero when none can be chosen)
    worst: Measure  # the largest of every definition: all of them get validated


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _spreads(selection_set: SelectionSetNode) -> Iterator[str]:
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif selection.selection_set is not None:  # type: ignore[union-attr]
                stack.append(selection.selection_set)  # type: ignore[union-attr]


def dependency_order(fragments: Mapping[str, FragmentDefinitionNode]) -> list[str]:
    """Fragments after those they spread, without recursion (chains may be long);
    a spread that closes a cycle is left out (the NoFragmentCycles rule reports it)."""
    order: list[str] = []
    done: set[str] = set()
    for root in fragments:
        if root in done:
            continue
        path = [(root, iter(list(_spreads(fragments[root].selection_set))))]
        on_path = {root}
        while path:
            name, spreads = path[-1]
            for spread in spreads:
                if spread in fragments and spread not in done and spread not in on_path:
                    path.append((spread, iter(list(_spreads(fragments[spread].selection_set)))))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
    return order


class _Measurer:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = _fragments(document)
        self.measured: dict[str, Measure] = {}
        for name in dependency_order(self.fragments):
            fragment = self.fragments[name]
            self.measured[name] = self.selections(
                fragment.selection_set, schema.get_type(fragment.type_condition.name.value)
            )

    def selections(self, selection_set: SelectionSetNode, parent: Any) -> Measure:
        cost = depth = aliases = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                part = self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                part = self.selections(selection.selection_set, inner)
            else:
                part = self.measured.get(selection.name.value, Measure())
            cost = min(cost + part.cost, SATURATED)
            depth = max(depth, part.depth)
            aliases = min(aliases + part.aliases, SATURATED)
        return Measure(cost, depth, aliases)

    def field(self, node: FieldNode, parent: Any) -> Measure:
        aliased = 1 if node.alias else 0
        if node.selection_set is None:
            return Measure(1, 0, aliased)
        fields = getattr(parent, "fields", None) or {}
        definition: GraphQLField | None = fields.get(node.name.value)
        child: GraphQLNamedType | None = get_named_type(definition.type) if definition else None
        inner = self.selections(node.selection_set, child)
        page = self.page_size(node, definition)
        depth = 0 if node.name.value.startswith("__") else 1 + inner.depth
        return Measure(min(1 + page * inner.cost, SATURATED), depth, aliased + inner.aliases)

    def page_size(self, node: FieldNode, definition: GraphQLField | None) -> int:
        size: object = None
        for argument in node.arguments or ():
            if argument.name.value in PAGE_ARGUMENTS:
                value = argument.value
                if isinstance(value, IntValueNode):
                    size = int(value.value)
                elif isinstance(value, VariableNode):
                    size = self.variables.get(value.name.value)
        if size is None and definition is not None:
            for name in PAGE_ARGUMENTS:
                if name in definition.args:
                    size = definition.args[name].default_value
        if not isinstance(size, int) or isinstance(size, bool):
            return 1
        return max(1, min(size, MAX_PAGE_SIZE))

    def operation(self, node: OperationDefinitionNode) -> Measure:
        return self.selections(node.selection_set, self.schema.get_root_type(node.operation))


def chosen_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == operation_name), None)


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> DocumentMeasure:
    """Cost, depth and aliases of the chosen operation and the worst of all definitions."""
    measurer = _Measurer(schema, document, variables if isinstance(variables, Mapping) else {})
    worst = Measure()
    for measured in measurer.measured.values():
        worst = worst.most(measured)
    chosen = chosen_operation(document, operation_name)
    operation = Measure()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            measured = measurer.operation(definition)
            worst = worst.most(measured)
            if definition is chosen:
                operation = measured
    return DocumentMeasure(operation, worst)


# A response path's fields, merged: response name -> [count, children].
Tree = dict[str, list[Any]]


def _merge(into: Tree, tree: Tree, times: int = 1) -> None:
    for key, (count, children) in tree.items():
        entry = into.setdefault(key, [0, {}])
        entry[0] += count * times
        _merge(entry[1], children, times)


def _tree(selection_set: SelectionSetNode, fragments: Mapping[str, Tree]) -> Tree:
    tree: Tree = {}
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = (selection.alias or selection.name).value
            entry = tree.setdefault(key, [0, {}])
            entry[0] += 1
            if selection.selection_set is not None:
                _merge(entry[1], _tree(selection.selection_set, fragments))
        elif isinstance(selection, InlineFragmentNode):
            _merge(tree, _tree(selection.selection_set, fragments))
        else:
            _merge(tree, fragments.get(selection.name.value, {}))
    return tree


def _pairs(tree: Tree) -> int:
    total = 0
    stack = [tree]
    while stack:
        for count, children in stack.pop().values():
            total += count * (count - 1) // 2
            stack.append(children)
    return total


def overlap_pairs(document: DocumentNode) -> int:
    """Pairs of same-named fields per response path in every definition. Call it only
    on documents whose cost is bounded: the merged trees are as large as that cost."""
    fragments = _fragments(document)
    trees: dict[str, Tree] = {}
    for name in dependency_order(fragments):
        trees[name] = _tree(fragments[name].selection_set, trees)
    total = sum(_pairs(tree) for tree in trees.values())
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += _pairs(_tree(definition.selection_set, trees))
    return total
