"""The shape of pipeline/ (docs/architecture.md): no import cycles, stages never import the CLI, only the CLI
prints or exits, and no function grows past what one reader can hold."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parents[1] / "pipeline"
MAX_LINES = 60
# Entry points that must end the process: the package's __main__ and the sandbox worker's own main. (The preview
# server reports through a callback; its terminal lines are cli/serve_view.py's.)
MAY_EXIT = {"pipeline/__main__.py", "pipeline/sandbox/worker.py", "pipeline/sandbox/__init__.py"}


def modules() -> dict:
    out = {}
    for p in sorted(PIPELINE.rglob("*.py")):
        parts = p.relative_to(PIPELINE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def imports_of(name: str, path: Path, known: dict) -> set:
    """Every pipeline module `name` imports, at the top or inside a function (both make a cycle at run time)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        found |= {c for c in candidates if c in known and c != name}
    return found


def import_graph() -> dict:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in graph:
        if v not in index:
            visit(v)
    return out


def is_package_parent(a: str, b: str) -> bool:
    """A package's __init__ and its own submodules import each other by design (`from . import x`)."""
    return b.startswith(a + ".") or a.startswith(b + ".")


def test_no_import_cycles():
    graph = import_graph()
    # Edges between a package and its own submodules are not cycles between stages.
    pruned = {m: {t for t in targets if not is_package_parent(m, t)} for m, targets in graph.items()}
    assert cycles(pruned) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_stage_imports_the_cli():
    offenders = [(m, sorted(t for t in targets if t == "pipeline.cli" or t.startswith("pipeline.cli.")))
                 for m, targets in import_graph().items()
                 if m != "pipeline.cli" and not m.startswith("pipeline.cli.") and m != "pipeline.__main__"]
    assert [o for o in offenders if o[1]] == []


def _prints_or_exits(tree) -> list:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id == "print":
                found.append((node.lineno, "print()"))
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Attribute) and \
                    isinstance(f.value.value, ast.Name) and f.value.value.id == "sys" and \
                    f.value.attr in ("stdout", "stderr") and f.attr in ("write", "writelines"):
                found.append((node.lineno, f"sys.{f.value.attr}.{f.attr}"))
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "sys" and \
                    f.attr == "exit":
                found.append((node.lineno, "sys.exit"))
    return found


def test_only_the_cli_prints_or_exits():
    found = []
    for name, path in modules().items():
        rel = str(path.relative_to(PIPELINE.parent))
        if name == "pipeline.cli" or name.startswith("pipeline.cli.") or rel in MAY_EXIT:
            continue
        found += [f"{rel}:{line}: {what}" for line, what in _prints_or_exits(ast.parse(path.read_text("utf-8")))]
    assert found == []


def long_functions(limit: int = MAX_LINES) -> list:
    out = []
    for path in sorted(PIPELINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    out.append(f"{path.relative_to(PIPELINE.parent)}:{node.lineno}: {node.name} ({length} lines)")
    return out


def test_no_function_is_longer_than_sixty_lines():
    assert long_functions() == []


@pytest.mark.parametrize("source, expected", [("def f():\n" + "    x = 1\n" * 70, 1), ("def f():\n    return 1\n", 0)])
def test_the_length_check_sees_a_long_function(tmp_path, source, expected):
    tree = ast.parse(source)
    lengths = [n.end_lineno - n.lineno + 1 for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert sum(1 for n in lengths if n > MAX_LINES) == expected
