"""Imports inside the package flow one way, down the ranks of the layout.

`utils` -> `modeling` (model parts and label tables several stages share)
-> `datasets` -> the five stages -> `grouping` -> `apps` and the public
re-exports (`layers`, `models`, `losses`, `metrics`) -> `cli` -> the package
root. A module may import its own package and anything ranked below it,
never a package of the same rank (no stage imports another stage) or above
(the library never imports `apps`), and no stage imports `datasets`. The
test reads every module's imports, those inside functions included, from
its syntax tree.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

PACKAGE = Path(__file__).resolve().parents[1] / "keras_patterns"
RANKS = {
    "utils": 0,
    "version": 0,
    "modeling": 1,
    "datasets": 2,
    "segmentation": 3,
    "patches": 3,
    "enhancement": 3,
    "embedding": 3,
    "clustering": 3,
    "grouping": 4,
    "integrations": 5,
    "apps": 5,
    "layers": 5,
    "models": 5,
    "losses": 5,
    "metrics": 5,
    "cli": 6,
    "": 7,  # keras_patterns/__init__.py
}
STAGES = ("segmentation", "patches", "enhancement", "embedding", "clustering")
# Below the ranks: the stages take data as arrays and never import the data
# readers; within `datasets`, the synthetic generator shares the class
# tables and the file layout with the real-data readers, nothing else.
FORBIDDEN = {
    **{f"keras_patterns.{stage}": ("keras_patterns.datasets",) for stage in STAGES},
    "keras_patterns.datasets.synthetic": (
        "keras_patterns.datasets.inshop",
        "keras_patterns.datasets.prepare",
        "keras_patterns.datasets.pipelines",
        "keras_patterns.datasets.preview",
    ),
}


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module):
    """The top-level package or module of `keras_patterns` a name lies in."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path):
    """`(line, module)` of every keras_patterns import in the file at `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}:{node.lineno}: relative import")
            if node.module == "keras_patterns":  # from keras_patterns import x
                found += [(node.lineno, f"keras_patterns.{a.name}") for a in node.names]
            elif node.module:
                found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.startswith("keras_patterns")]


def _violations(path):
    module = _module_name(path)
    unit = _unit(module)
    assert unit in RANKS, f"{module} lies in no rank: add its package to RANKS"
    problems = []
    for line, target in sorted(_imports(path)):
        other = _unit(target)
        if other not in RANKS:
            problems.append(f"{path.name}:{line} imports unknown {target}")
        elif other != unit and RANKS[other] >= RANKS[unit]:
            problems.append(
                f"{module}:{line} imports {target} (rank {RANKS[other]} from "
                f"rank {RANKS[unit]})"
            )
        for scope, banned in FORBIDDEN.items():
            if module.startswith(scope) and any(
                target == b or target.startswith(b + ".") for b in banned
            ):
                problems.append(f"{module}:{line} imports {target}")
    return problems


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_follow_the_ranks(path):
    assert _violations(path) == []


def test_every_package_has_a_rank():
    units = {_unit(_module_name(path)) for path in MODULES}
    assert units == set(RANKS)


def test_the_checker_catches_each_kind_of_violation(tmp_path, monkeypatch):
    """A stage importing a stage, `datasets` or `apps` is caught, inside a
    function too; imports down the ranks are not."""
    fake = tmp_path / "keras_patterns"
    (fake / "embedding").mkdir(parents=True)
    (fake / "datasets" / "synthetic").mkdir(parents=True)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    bad = fake / "embedding" / "bad.py"
    bad.write_text(
        "from keras_patterns.segmentation.backbones import dilated_clone\n"
        "import keras_patterns.datasets\n"
        "def f():\n"
        "    from keras_patterns.apps import recipes\n"
        "from keras_patterns.modeling.labels import IGNORE_LABEL\n"
        "from keras_patterns.embedding.distances import pairwise_distances\n"
    )
    problems = _violations(bad)
    assert [p.split(" imports ")[1].split(" ")[0] for p in problems] == [
        "keras_patterns.segmentation.backbones",
        "keras_patterns.datasets",
        "keras_patterns.apps",
    ]
    synthetic = fake / "datasets" / "synthetic" / "scenes.py"
    synthetic.write_text(
        "from keras_patterns.datasets.prepare import flat_name\n"
        "from keras_patterns.datasets.inshop_layout import flat_name\n"
    )
    assert len(_violations(synthetic)) == 1


def _module_graph():
    """`{module: modules it imports}` inside the package, statement by
    statement (a package's `__init__` re-exporting its own modules aside)."""
    names = {_module_name(path): path for path in MODULES}
    graph = {}
    for module, path in names.items():
        targets = set()
        for _, target in _imports(path):
            while target and target not in names:  # `from pkg.mod import name`
                target = target.rpartition(".")[0]
            package = path.name == "__init__.py" and target.startswith(module + ".")
            if target and target != module and not package:
                targets.add(target)
        graph[module] = targets
    return graph


def _cycles(graph):
    """Modules that import themselves through others (Tarjan's components)."""
    index, low, stack, found, counter = {}, {}, [], [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others():
    """Two modules importing each other, at run time or for a type
    annotation, are one module split in two: no circle, of any length."""
    assert _cycles(_module_graph()) == []


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_private_name_is_imported_from_another_module():
    problems = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    name = alias.name
                    if name.startswith("_") and not name.startswith("__"):
                        problems.append(f"{_module_name(path)} imports {name}")
    assert problems == []


def test_modules_hold_one_job():
    """No module over 500 lines; one over 400 says its one job first."""
    long = {}
    for path in MODULES:
        lines = len(path.read_text().splitlines())
        assert lines <= 500, f"{path}: {lines} lines"
        if lines > 400:
            long[_module_name(path)] = ast.get_docstring(ast.parse(path.read_text()))
    assert all(doc and len(doc.splitlines()[0]) > 20 for doc in long.values()), long


def test_the_library_never_loads_the_apps():
    """Importing the package and its core class leaves `apps` unloaded."""
    code = (
        "import sys, keras_patterns as kp\n"
        "kp.PatternGrouper(progress=False)\n"
        "print(sorted(m for m in sys.modules if m.startswith('keras_patterns.apps')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"
