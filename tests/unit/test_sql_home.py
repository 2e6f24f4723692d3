"""Repositories are the only place SQL runs, and every named query has one home.

- Outside shared/repositories and shared/db, no module of the product packages calls
  `query(...)`, runs a statement (`execute`, `executemany`, `stream`) or holds SQL text.
- Each sql/queries/<name>.sql has a repository shared/repositories/<name>.py, and every
  query defined in the file is named in that repository (a query nobody runs is dead SQL:
  delete it); every name a repository passes to a query helper exists.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from shared.db.sql_files import all_queries, parse_named_queries, sql_dir

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("web", "worker", "shared", "tradebridge")
SQL_HOMES = (REPO / "shared" / "repositories", REPO / "shared" / "db")
RUNS_SQL = {"execute", "executemany", "stream"}
SQL_TEXT = re.compile(r"^\s*(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WITH)\s", re.IGNORECASE)
# shared.db.statements: the query name is the argument at this position.
NAME_POSITION = {
    "query": 0,
    "fetch_one": 2,
    "fetch_all": 2,
    "fetch_value": 1,
    "fetch_values": 1,
    "execute": 1,
    "execute_many": 1,
}


def _modules(root: Path) -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((root / package).rglob("*.py"))


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def sql_outside_repositories(root: Path) -> list[str]:
    found = []
    for path in _modules(root):
        if any(path.is_relative_to(home) for home in SQL_HOMES):
            continue
        tree = ast.parse(path.read_text(), str(path))
        docstrings = _docstrings(tree)
        where = path.relative_to(root)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = _called_name(node)
                if called == "query":
                    found.append(f"{where}:{node.lineno}: query(...)")
                elif called in RUNS_SQL and isinstance(node.func, ast.Attribute):
                    found.append(f"{where}:{node.lineno}: .{called}(...) runs SQL")
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and SQL_TEXT.match(node.value)
            ):
                found.append(f"{where}:{node.lineno}: SQL text {node.value[:40]!r}")
    return sorted(found)


def query_names_run_by(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        # Only our own helpers and query(), not a cursor's `.execute(sql, params)`.
        position = NAME_POSITION.get(node.func.id) if isinstance(node.func, ast.Name) else None
        if position is None or len(node.args) <= position:
            continue
        argument = node.args[position]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names.add(argument.value)
        else:  # a name chosen at run time: count every literal in the expression
            names.update(
                sub.value
                for sub in ast.walk(argument)
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
            )
    return names


def string_literals(path: Path) -> set[str]:
    return {
        node.value
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_sql_runs_only_in_repositories() -> None:
    assert sql_outside_repositories(REPO) == []


def test_the_scan_sees_sql_where_it_is(tmp_path: Path) -> None:
    module = tmp_path / "worker" / "leaky.py"
    module.parent.mkdir()
    module.write_text(
        '"""SELECT in a docstring is prose."""\n'
        "async def f(conn):\n"
        '    await conn.execute(query("x"))\n'
        '    await conn.execute("UPDATE orders SET status = %s", ("open",))\n'
    )
    assert sql_outside_repositories(tmp_path) == [
        "worker/leaky.py:3: .execute(...) runs SQL",
        "worker/leaky.py:3: query(...)",
        "worker/leaky.py:4: .execute(...) runs SQL",
        "worker/leaky.py:4: SQL text 'UPDATE orders SET status = %s'",
    ]


def test_every_query_file_has_its_repository_which_runs_all_its_queries() -> None:
    problems = []
    for sql_file in sorted((sql_dir() / "queries").glob("*.sql")):
        repository = REPO / "shared" / "repositories" / f"{sql_file.stem}.py"
        if not repository.exists():
            problems.append(f"{sql_file.name}: no shared/repositories/{repository.name}")
            continue
        defined = set(parse_named_queries(sql_file.read_text(), sql_file.name))
        # Named in the repository: passed to a helper directly, or to a private function
        # that passes it on (stats' _fresh_books).
        unused = sorted(defined - string_literals(repository))
        if unused:
            problems.append(f"{sql_file.name}: not run by {repository.name}: {unused}")
    assert problems == []


def test_every_query_a_repository_runs_exists() -> None:
    asked = set()
    for path in (REPO / "shared" / "repositories").glob("*.py"):
        asked |= {name for name in query_names_run_by(path) if re.fullmatch(r"[a-z_0-9]+", name)}
    assert asked
    # Literals that are not query names (e.g. "lock_kill_switches_" + mode) do not occur:
    # every literal in a query-name position must name a query.
    assert sorted(asked - set(all_queries())) == []
