"""The floors of the package: imports only run downward, and no module imports itself back.

Read from the source (ast), not from a running interpreter, so a lazy import inside a
function counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"

# Each top-level part of the package and its floor; a module may import only its own part
# or parts on lower floors. Stages on one floor do not import each other, except where a
# pair is listed in ALSO.
FLOORS = {
    "__init__": 9,  # the public API re-exports from every floor, lazily
    "__main__": 9,  # python -m pipeline: the memo command
    "cli": 8,
    "audit": 7,
    "runs": 6,
    "draft": 5,
    "followup": 5,  # after the memo: check, print version, proposal, invitation (reads notes, uses memo)
    "speakers": 4,  # speakers read audio through asr
    "asr": 3,
    "notes": 3,
    "memo": 3,
    "ground": 0,
}
# Records, errors, contracts, output names and writes, package data, settings: used by all.
GROUND = {"types", "errors", "contract", "outputs", "resources", "config", "schemas", "script"}


def _part(module: str) -> str:
    """``pipeline.asr.audio`` -> ``asr``; ``pipeline`` -> ``__init__``; the ground floor is one part."""
    parts = module.split(".")
    part = parts[1] if len(parts) > 1 else "__init__"
    return "ground" if part in GROUND else part


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """Every ``pipeline`` module or package that ``module`` imports, anywhere in its source."""
    is_pkg = path.name == "__init__.py"
    package = module if is_pkg else module.rpartition(".")[0]
    modules = _modules()
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("pipeline"):
                continue
            submodules = {f"{target}.{a.name}" for a in node.names} & modules.keys()
            # `from .. import outputs` imports the module pipeline.outputs, not the package.
            out.update(submodules or {target})
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("pipeline"))
    return {t for t in out if t in modules and t != module}


def test_every_part_has_a_floor() -> None:
    parts = {_part(m) for m in _modules()}
    assert parts <= set(FLOORS), f"add {sorted(parts - set(FLOORS))} to FLOORS"


@pytest.mark.parametrize("module", sorted(_modules()))
def test_imports_run_downward(module: str) -> None:
    here = _part(module)
    for target in _imports(module, _modules()[module]):
        there = _part(target)
        if there == here:
            continue
        assert FLOORS[there] < FLOORS[here], f"{module} imports {target}: {there} is not below {here}"


def test_no_import_circle() -> None:
    modules = _modules()
    graph = {m: _imports(m, p) for m, p in modules.items()}
    # A package's __init__ re-exporting its own modules is not a circle of behaviour.
    for m in graph:
        parent = m.rpartition(".")[0]
        graph[m] = {t for t in graph[m] if not (t == parent and modules[t].name == "__init__.py")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycle = [*stack[stack.index(t) :], t]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_ground_floor_imports_nothing_above_it() -> None:
    for module, path in _modules().items():
        if _part(module) == "ground":
            above = {_part(t) for t in _imports(module, path)} - {"ground"}
            assert not above, f"{module} imports {above}"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The walker itself: a ground-floor module importing a stage is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from .asr.transcribe import transcribe\n")
    found = _imports("pipeline.types", bad)
    assert "pipeline.asr.transcribe" in found
    assert FLOORS[_part("pipeline.asr.transcribe")] > FLOORS[_part("pipeline.types")]
