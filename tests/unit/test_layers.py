"""The packages are layered: every import points down (or within its package), and the model
imports nothing but param, numpy and the standard library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "brownian_panel"

#: Bottom first; a module may import its own package and any package listed before it. The
#: top-level modules (cli, __init__, __main__) are the last layer, "".
LAYERS = ("model", "compat", "runtime", "feed", "notebook", "driver", "export", "views", "")


def _layer(dotted: str) -> str:
    """The layer of the module ``brownian_panel.<dotted>``."""
    first = dotted.split(".")[0]
    return first if first in LAYERS else ""


def imports(root: Path, path: Path) -> list[tuple[str, str, int]]:
    """(kind, module, line) of each import in ``path``: kind "own" with the module relative to
    the package ``root``, or "other" with a third-party or standard module."""
    parts = path.relative_to(root).with_suffix("").parts
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(parts[:len(parts) - node.level])
            if node.module is None:  # from .. import a, b
                found += [("own", f"{base}.{alias.name}".lstrip("."), node.lineno)
                          for alias in node.names]
            else:
                found.append(("own", f"{base}.{node.module}".lstrip("."), node.lineno))
            continue
        names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                 else [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
        for name in names:
            if name == root.name or name.startswith(root.name + "."):
                found.append(("own", name.removeprefix(root.name).lstrip("."), node.lineno))
            else:
                found.append(("other", name, node.lineno))
    return found


def upward_imports(root: Path) -> list[str]:
    """Each import in the package ``root`` that points to a higher layer."""
    upward = []
    for path in sorted(root.rglob("*.py")):
        source = path.relative_to(root).with_suffix("").as_posix().replace("/", ".")
        for kind, target, line in imports(root, path):
            if kind == "own" and target and (
                    LAYERS.index(_layer(target)) > LAYERS.index(_layer(source))):
                upward.append(f"{source}:{line} imports {target}")
    return upward


def test_every_import_points_down():
    assert upward_imports(PACKAGE) == []


def test_an_upward_import_is_found(tmp_path):
    root = tmp_path / "brownian_panel"
    for package in ("model", "views"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    (root / "views" / "page.py").write_text("from ..model.walk import BrownianMotion\n")
    (root / "model" / "walk.py").write_text("import numpy\nfrom .history import History\n")
    assert upward_imports(root) == []
    (root / "model" / "walk.py").write_text("from ..views.page import BrownianApp\n"
                                            "import brownian_panel.views\n")
    assert upward_imports(root) == ["model.walk:1 imports views.page",
                                    "model.walk:2 imports views"]


def test_the_model_imports_only_param_numpy_and_the_standard_library():
    allowed = {"param", "numpy", "__future__"} | set(sys.stdlib_module_names)
    foreign = [f"{path.name}:{line} imports {target}"
               for path in sorted((PACKAGE / "model").rglob("*.py"))
               for kind, target, line in imports(PACKAGE, path)
               if (kind == "own" and _layer(target) != "model")
               or (kind == "other" and target.split(".")[0] not in allowed)]
    assert foreign == []


def test_the_model_imports_without_panel_or_bokeh():
    code = ("import sys, brownian_panel.model, brownian_panel\n"
            "model = brownian_panel.BrownianMotion(seed=1)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'panel', 'bokeh', 'tornado'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=PACKAGE.parent, check=True)
    assert result.stdout.strip() == "[]"
    code = "import brownian_panel, sys; brownian_panel.BrownianApp; print('panel' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=PACKAGE.parent, check=True)
    assert result.stdout.strip() == "True"


def test_the_tests_import_no_benchmarks():
    tests = PACKAGE.parent / "tests"
    found = [f"{path.relative_to(tests)}:{line}"
             for path in sorted(tests.rglob("*.py"))
             for kind, target, line in imports(tests, path)
             if kind == "other" and target.split(".")[0] == "benchmarks"]
    assert found == []
