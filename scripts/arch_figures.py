#!/usr/bin/env python3
"""Architecture figures for the portal: import circles between packages, in-function imports, long code.

Reads the source only (no imports are executed). Run from the repository root:
    python3 scripts/arch_figures.py [--top N]

- Package circles: `portal/<pkg>` (a sub-package or a top-level module) is a node; an import of another node
  anywhere in a file (module level or inside a function) is an edge. Reported: pairs of packages that import
  each other, and the strongly connected groups of more than one package.
- Module circles: the same between modules (`portal.staff.views` <-> `portal.staff.notifications`).
- In-function imports: `import` statements inside a function, outside the app factory (`portal/__init__.py`)
  and the CLI (`commands.py` modules, `worker/__main__.py`).
- Longest modules (lines) and functions (lines from `def` to the last line of the body).
"""

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("portal", "worker")
SKIP = ("portal/migrations/",)


KNOWN_MODULES: set[str] = set()


def python_files():
    for top in SOURCES:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith(SKIP):
                yield path, rel


def module_name(rel: str) -> str:
    name = rel[:-3].replace("/", ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "portal" or len(parts) < 2:
        return None
    return parts[1]


def resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(node, module, is_package):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    target = resolve(node, module, is_package)
    # `from portal.staff import notifications` imports the module `portal.staff.notifications`.
    return [
        f"{target}.{alias.name}" if f"{target}.{alias.name}" in KNOWN_MODULES else target
        for alias in node.names
    ]


def is_cli_or_factory(rel: str) -> bool:
    return rel == "portal/__init__.py" or rel.endswith("/commands.py") or rel == "worker/__main__.py"


class Walker(ast.NodeVisitor):
    def __init__(self, rel, module, is_package):
        self.rel, self.module, self.is_package = rel, module, is_package
        self.depth = 0
        self.imports: list[tuple[str, int, bool]] = []  # (module, line, inside a function)
        self.functions: list[tuple[int, str, str]] = []
        self.scope: list[str] = []

    def _function(self, node):
        self.functions.append(
            (
                node.end_lineno - node.lineno + 1,
                f"{self.rel}:{node.lineno}",
                ".".join([*self.scope, node.name]),
            )
        )
        self.scope.append(node.name)
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_Import(self, node):
        for name in imported_modules(node, self.module, self.is_package):
            self.imports.append((name, node.lineno, self.depth > 0))

    visit_ImportFrom = visit_Import


def measure():
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    module_edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    in_function: list[str] = []
    modules: list[tuple[int, str]] = []
    functions: list[tuple[int, str, str]] = []
    KNOWN_MODULES.update(module_name(rel) for _, rel in python_files())
    for path, rel in python_files():
        text = path.read_text(encoding="utf-8")
        modules.append((len(text.splitlines()), rel))
        module = module_name(rel)
        walker = Walker(rel, module, path.name == "__init__.py")
        walker.visit(ast.parse(text, filename=rel))
        functions.extend(walker.functions)
        source_pkg = package_of(module)
        for target, line, inside in walker.imports:
            if inside and not is_cli_or_factory(rel):
                in_function.append(f"{rel}:{line} {target}")
            target_pkg = package_of(target)
            if target.startswith(("portal.", "worker.")) and target != module:
                module_edges[module][target].append(f"{rel}:{line}")
            if source_pkg and target_pkg and source_pkg != target_pkg:
                edges[source_pkg][target_pkg].append(f"{rel}:{line}")
    return edges, module_edges, in_function, modules, functions


def strongly_connected(edges):
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], [0]
    nodes = set(edges) | {t for targets in edges.values() for t in targets}

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10000)
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    edges, module_edges, in_function, modules, functions = measure()

    pairs = sorted((a, b) for a in edges for b in edges[a] if a < b and a in edges.get(b, {}))
    groups = strongly_connected(edges)
    print(f"package pairs importing each other: {len(pairs)}")
    for a, b in pairs:
        print(f"  {a} <-> {b}   ({edges[a][b][0]} / {edges[b][a][0]})")
    print(f"import circles (strongly connected groups): {len(groups)}")
    for group in groups:
        print(f"  {' - '.join(group)}")
    module_groups = strongly_connected(module_edges)
    print(f"module import circles (any import, also inside functions): {len(module_groups)}")
    for group in module_groups:
        print(f"  {' - '.join(group)}")
    print(f"in-function imports outside the app factory and CLI: {len(in_function)}")
    for item in in_function:
        print(f"  {item}")
    print(f"longest modules (of {len(modules)}):")
    for lines, rel in sorted(modules, reverse=True)[: args.top]:
        print(f"  {lines:5d}  {rel}")
    print(f"longest functions (of {len(functions)}):")
    for lines, where, name in sorted(functions, reverse=True)[: args.top]:
        print(f"  {lines:5d}  {name}  ({where})")


if __name__ == "__main__":
    main()
