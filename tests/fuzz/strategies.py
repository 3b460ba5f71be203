"""Operations generated from the schema (hypothesis-graphql), with hostile arguments.

Every scalar argument, built-in ones included, draws from a strategy of ours that mixes
plausible values (ids of real objects, well-formed amounts and times) with what an
attacker sends: NUL, odd unicode, huge and non-finite numbers, naive times, garbage
entity representations. Most operations pass validation; some are invalid on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence

import graphql
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

ODD_TEXT = [
    "\u202eevil",
    "\ufeff",
    "\U0001f600" * 3,
    "e\u0301",
    "' OR 1=1 --",
    "%s%n{0}",
    "<script>",
    " ",
    "",
    "x" * 3000,
    "1e400",
    "NaN",
    "a\x00b",
]
HUGE_NUMBERS = ["100000000000000000000", "1e400", "-1e400", "1e-400", "NaN", "Infinity", "-0"]

_CHARACTERS = st.characters(
    codec="utf-8", min_codepoint=1, max_codepoint=0xFFFF, blacklist_categories=["Cs"]
)


def mostly(common: st.SearchStrategy, rare: st.SearchStrategy) -> st.SearchStrategy:
    """`rare` one time in ten (one refused argument refuses the whole operation); not on
    0, which Hypothesis draws more often than the rest."""
    return st.integers(0, 9).flatmap(lambda n: rare if n == 7 else common)


_TEXT = mostly(st.text(_CHARACTERS, max_size=24), st.sampled_from(ODD_TEXT))


def _string(texts: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return texts.map(nodes.String)


def _any_value() -> st.SearchStrategy[graphql.ValueNode]:
    leaves = st.one_of(
        _TEXT.map(nodes.String),
        st.integers(-(2**70), 2**70).map(nodes.Int),
        st.booleans().map(lambda b: graphql.BooleanValueNode(value=b)),
        st.just(graphql.NullValueNode()),
    )

    def containers(children: st.SearchStrategy[graphql.ValueNode]) -> st.SearchStrategy:
        field_names = st.sampled_from(["__typename", "id", "name", "x"])
        fields = st.lists(
            st.tuples(field_names, children).map(
                lambda pair: graphql.ObjectFieldNode(
                    name=graphql.NameNode(value=pair[0]), value=pair[1]
                )
            ),
            max_size=3,
            unique_by=lambda f: f.name.value,
        )
        return st.one_of(st.lists(children, max_size=3).map(nodes.List), fields.map(nodes.Object))

    return st.recursive(leaves, containers, max_leaves=6)


def _representation(ids: Sequence[str]) -> st.SearchStrategy[graphql.ValueNode]:
    """Mostly well-formed `_entities` representations, else anything at all."""
    typename = st.sampled_from(["User", "Vendor", "Product", "Nope", "Query", ""])
    key = st.one_of(st.sampled_from(list(ids)), _TEXT)
    good = st.tuples(typename, key).map(
        lambda pair: nodes.Object(
            [
                graphql.ObjectFieldNode(
                    name=graphql.NameNode(value="__typename"), value=nodes.String(pair[0])
                ),
                graphql.ObjectFieldNode(
                    name=graphql.NameNode(value="id"), value=nodes.String(pair[1])
                ),
            ]
        )
    )
    return st.one_of(good, _any_value())


def scalar_strategies(ids: Sequence[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    known_ids = st.sampled_from(list(ids)) if ids else st.uuids().map(str)
    decimals = mostly(
        st.decimals(min_value=-(10**13), max_value=10**13, places=2).map(str),
        st.one_of(st.sampled_from(HUGE_NUMBERS), _TEXT),
    )
    times = mostly(
        st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()),
        st.one_of(st.datetimes().map(lambda t: t.isoformat()), _TEXT),  # naive: refused
    )
    return {
        "String": _string(_TEXT),
        "ID": _string(st.one_of(known_ids, st.uuids().map(str), _TEXT)),
        "Int": mostly(
            st.integers(-5, 200), st.sampled_from([2**31 - 1, -(2**31), 2**31, 10**30])
        ).map(nodes.Int),
        "Decimal": st.one_of(_string(decimals), st.integers(-(10**20), 10**20).map(nodes.Int)),
        "DateTime": _string(times),
        "JSON": _any_value(),
        "_Any": _representation(ids),
    }


def operations(schema: graphql.GraphQLSchema, ids: Sequence[str]) -> st.SearchStrategy[str]:
    """One root field per operation (a failed non-null root field ends an operation, so
    more would hide the rest), every field equally often; 1 in 10 breaks the schema somewhere."""
    scalars = scalar_strategies(ids)
    for name, type_ in schema.type_map.items():  # scalars added later still get values
        if isinstance(type_, graphql.GraphQLScalarType) and name not in scalars:
            scalars[name] = st.one_of(_any_value(), _string(_TEXT))
    roots = [(queries, name) for name in schema.query_type.fields]
    roots += [(mutations, name) for name in schema.mutation_type.fields]
    valid = st.sampled_from(roots).flatmap(
        lambda root: root[0](schema, fields=[root[1]], custom_scalars=scalars)
    )
    invalid = st.one_of(
        queries(schema, custom_scalars=scalars, mode=Mode.NEGATIVE),
        mutations(schema, custom_scalars=scalars, mode=Mode.NEGATIVE),
    )
    return mostly(valid, invalid)
