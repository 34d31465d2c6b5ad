"""deploy/citus.sql has one distribution statement for every table the migrations create,
and each fits the table: distributed by shop_id only where shop_id leads the primary key;
unique indexes that Citus could not enforce are named in the file (parsed from both)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "migrations" / "versions"
CITUS = ROOT / "deploy" / "citus.sql"
README = ROOT / "deploy" / "README.md"

_DISTRIBUTED = re.compile(
    r"^SELECT create_distributed_table\('(\w+)', 'shop_id'(?:, colocate_with => '(\w+)')?\);$"
)
_REFERENCE = re.compile(r"^SELECT create_reference_table\('(\w+)'\);$")
_EXCEPTION = re.compile(r"^-- unique-without-shop_id: (\w+) -- \S")


@dataclass
class Table:
    name: str
    columns: list[str] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)


@dataclass
class Schema:
    tables: dict[str, Table] = field(default_factory=dict)
    unique_indexes: dict[str, tuple[str, list[str]]] = field(default_factory=dict)


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List):
        return [s for element in node.elts for s in _strings(element)]
    return []


def _names(node: ast.AST, loops: dict[str, list[str]]) -> list[str]:
    """A table name argument: a string, or a for-loop variable over strings."""
    if isinstance(node, ast.Name):
        return loops.get(node.id, [])
    if isinstance(node, ast.JoinedStr):  # f"ix_{table}_list": one name per loop value
        variables = [v.value.id for v in node.values if isinstance(v, ast.FormattedValue)]
        values = loops.get(variables[0], []) if isinstance(variables[0], str) else []
        return [ast.unparse(node)[2:-1].replace("{" + variables[0] + "}", v) for v in values]
    return _strings(node)


def _loop_values(loop: ast.For) -> dict[str, list[str]]:
    """`for table in ("a", "b")` or `for table, columns in (("a", [...]), ...)`: each
    variable's string values."""
    if isinstance(loop.target, ast.Name):
        return {loop.target.id: _strings(loop.iter)}
    if not isinstance(loop.target, ast.Tuple) or not isinstance(loop.iter, ast.Tuple | ast.List):
        return {}
    values: dict[str, list[str]] = {}
    for position, variable in enumerate(loop.target.elts):
        if isinstance(variable, ast.Name):
            values[variable.id] = [
                s
                for item in loop.iter.elts
                if isinstance(item, ast.Tuple) and len(item.elts) > position
                for s in _strings(item.elts[position])
                if isinstance(item.elts[position], ast.Constant)
            ]
    return values


def _call_name(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else ""


def _visit(node: ast.AST, loops: dict[str, list[str]], schema: Schema) -> None:
    if isinstance(node, ast.For):
        loops = {**loops, **_loop_values(node)}
    if isinstance(node, ast.Call):
        _apply(node, loops, schema)
    for child in ast.iter_child_nodes(node):
        _visit(child, loops, schema)


def _apply(call: ast.Call, loops: dict[str, list[str]], schema: Schema) -> None:
    kind = _call_name(call)
    if kind == "create_table":
        for name in _names(call.args[0], loops):
            table = schema.tables.setdefault(name, Table(name))
            for arg in call.args[1:]:
                if isinstance(arg, ast.Call) and _call_name(arg) == "Column":
                    table.columns += _strings(arg.args[0])
                if isinstance(arg, ast.Call) and _call_name(arg) == "PrimaryKeyConstraint":
                    table.primary_key = [s for a in arg.args for s in _strings(a)]
    elif kind == "drop_table":
        for name in _names(call.args[0], loops):
            schema.tables.pop(name, None)
    elif kind == "create_index":
        unique = any(k.arg == "unique" and ast.unparse(k.value) == "True" for k in call.keywords)
        if unique:
            for index, table in zip(
                _names(call.args[0], loops), _names(call.args[1], loops), strict=True
            ):
                schema.unique_indexes[index] = (table, _strings(call.args[2]))
    elif kind == "drop_index":
        for index in _names(call.args[0], loops):
            schema.unique_indexes.pop(index, None)


def migrated_schema() -> Schema:
    """The tables and unique indexes left by every migration's upgrade(), in order."""
    schema = Schema()
    for path in sorted(VERSIONS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "upgrade":
                _visit(node, {}, schema)
    return schema


def citus_layout() -> tuple[dict[str, str], list[str], dict[str, str | None], set[str]]:
    """(table → distributed|reference, every table named in order, colocate_with, the
    unique indexes named as exceptions)."""
    kinds: dict[str, str] = {}
    named: list[str] = []
    colocated: dict[str, str | None] = {}
    exceptions: set[str] = set()
    for line in CITUS.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if match := _DISTRIBUTED.match(line):
            kinds[match[1]] = "distributed"
            colocated[match[1]] = match[2]
            named.append(match[1])
        elif match := _REFERENCE.match(line):
            kinds[match[1]] = "reference"
            named.append(match[1])
        elif match := _EXCEPTION.match(line):
            exceptions.add(match[1])
        else:
            assert not line or line.startswith("--"), f"a line the layout cannot read: {line}"
    return kinds, named, colocated, exceptions


def test_the_parser_reads_the_migrations() -> None:
    schema = migrated_schema()
    # Tables made in a loop (0003's plans) and in later revisions (0008's marks) are seen.
    assert {"bonus_plans", "honour_plans", "lost_inquiry_marks", "consumer_offsets"} <= set(
        schema.tables
    )
    assert schema.tables["agent_daily"].primary_key == ["shop_id", "day", "agent_id"]
    assert schema.unique_indexes["ix_api_keys_key_hash"] == ("api_keys", ["key_hash"])


def test_every_table_has_exactly_one_distribution_statement() -> None:
    kinds, named, _, _ = citus_layout()
    assert sorted(named) == sorted(set(named)), "a table named twice"
    assert set(kinds) == set(migrated_schema().tables)


def test_distributed_tables_lead_with_shop_id_and_colocate_with_shops() -> None:
    kinds, named, colocated, _ = citus_layout()
    tables = migrated_schema().tables
    for name, kind in kinds.items():
        table = tables[name]
        if kind == "distributed":
            assert table.primary_key[:1] == ["shop_id"], name
            assert colocated[name] == (None if name == "shops" else "shops"), name
        else:  # a reference table has no shop to be placed by
            assert "shop_id" not in table.columns, name
    # shops first: the others are co-located with it, so it must exist as distributed.
    distributed = [n for n in named if kinds[n] == "distributed"]
    assert distributed[0] == "shops"


def test_unique_indexes_without_shop_id_are_named_as_changes_to_make() -> None:
    kinds, _, _, exceptions = citus_layout()
    schema = migrated_schema()
    unenforceable = {
        index
        for index, (table, columns) in schema.unique_indexes.items()
        if kinds.get(table) == "distributed" and "shop_id" not in columns
    }
    assert unenforceable == exceptions


def test_the_deploy_readme_points_at_the_layout() -> None:
    text = README.read_text(encoding="utf-8")
    assert "deploy/citus.sql" in text
    for name, kind in citus_layout()[0].items():
        if kind == "reference":
            assert f"`{name}`" in text, f"README must say why {name} is a reference table"
