"""The shape of the house, checked so it stays that way.

* no import circle among the package's modules (function-level imports
  count), and no module imports the package's own ``__init__``;
* imports go one way through the layers (ARCHITECTURE.md);
* no module over 450 lines;
* nobody reads or writes another object's underscore attributes (in the
  package and the bench): ``self._x`` and module aliases (``_ber_c.x``,
  ``os._exit``) are fine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "snmptrapmgr"

# a layer may import itself and the layers after it in this list, never one before it
LAYERS = ["cli", "output", "collector", "aio", "trapmgr", "serving", "objects", "readers", "_readers_py", "configure", "io", "receiver",
          "security", "codec", "events", "mib", "settings", "errors", "_select", "version"]
# namedtuple's public methods carry an underscore by design
NAMEDTUPLE_API = {"_make", "_replace", "_asdict", "_fields", "_field_defaults"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imports(name: str, path: Path) -> set[str]:
    """Package modules ``name`` imports, anywhere in the file."""
    tree = ast.parse(path.read_text(), str(path))
    package = _package_of(name, path)
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target in MODULES and target != name:
                out.add(target)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _edges_without_packages() -> dict[str, set[str]]:
    """Importing ``snmptrapmgr.codec`` to reach ``snmptrapmgr.codec.ber`` is an edge to ber only."""
    graph = {}
    for name, targets in GRAPH.items():
        graph[name] = {t for t in targets
                       if not (MODULES[t].name == "__init__.py" and any(o.startswith(t + ".") for o in targets))}
    return graph


def test_no_import_cycles():
    assert _cycles(_edges_without_packages()) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_nothing_imports_the_package_init():
    offenders = [name for name, targets in _edges_without_packages().items()
                 if name != "snmptrapmgr" and "snmptrapmgr" in targets]
    assert offenders == []


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return len(LAYERS)  # the package __init__: the top, outside the layers
    return LAYERS.index(parts[1])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_one_way(name):
    if name == "snmptrapmgr" or name.endswith(".__main__"):
        return
    mine = _layer(name)
    upward = [t for t in _edges_without_packages()[name] if t != "snmptrapmgr" and _layer(t) < mine]
    assert upward == [], f"{name} imports a layer above it: {upward}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name):
    lines = MODULES[name].read_text().count("\n")
    assert lines <= 450, f"{MODULES[name]} has {lines} lines"


def _module_aliases(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name
                module = (node.module or "") + "." + alias.name
                if alias.name.startswith("_") or module.lstrip(".") in MODULES or local[:1].islower():
                    names.add(local)
    return names


def _underscore_uses(path: Path, base: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    aliases = _module_aliases(tree)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        attr = node.attr
        if not attr.startswith("_") or (attr.startswith("__") and attr.endswith("__")):
            continue
        if attr in NAMEDTUPLE_API:
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and (owner.id in ("self", "cls") or owner.id in aliases):
            continue
        out.append(f"{path.relative_to(base)}:{node.lineno}: {ast.unparse(node)}")
    return out


def test_no_underscore_access_to_other_objects():
    offenders = []
    for path in sorted(list(PACKAGE.rglob("*.py")) + list((ROOT / "bench").rglob("*.py"))):
        offenders.extend(_underscore_uses(path))
    assert offenders == []


def test_underscore_checker_catches_a_reach_in(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f(self, mgr):\n    os._exit\n    self._x\n    return mgr._receiver\n")
    assert [u.split(": ", 1)[1] for u in _underscore_uses(sample, tmp_path)] == ["mgr._receiver"]
