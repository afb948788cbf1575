"""No module outside ``brownian_panel/compat`` touches a private name of another package."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "brownian_panel"
OUTSIDE_COMPAT = sorted(path for path in PACKAGE.rglob("*.py")
                        if "compat" not in path.relative_to(PACKAGE).parts)

#: Documented extension points that start with "_": Panel's ``JSComponent`` API (``_esm``,
#: ``_rename``, ``_handle_msg``, ``_send_msg``) and param's custom ``Parameter`` API
#: (``_validate_value``, ``_validate``).
DOCUMENTED = {"_esm", "_rename", "_handle_msg", "_send_msg", "_validate_value", "_validate"}

#: Builtin methods called on another package's object to bypass its own overrides.
BYPASSES = {("dict", "__setitem__"), ("dict", "__getitem__"), ("dict", "__delitem__"),
            ("dict", "update"), ("list", "extend"), ("list", "__delitem__"),
            ("object", "__setattr__")}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _own_names() -> set[str]:
    """Private names this package defines outside compat (its own attributes and functions)."""
    names = set(DOCUMENTED)
    for path in OUTSIDE_COMPAT:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return {name for name in names if _private(name)}


def _violations(path: Path, own: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        where = f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            found += [f"{where} imports {alias.name} from {node.module}"
                      for alias in node.names if _private(alias.name)]
        elif isinstance(node, ast.Attribute):
            if _private(node.attr) and node.attr not in own:
                found.append(f"{where} uses .{node.attr}")
            if (isinstance(node.value, ast.Name) and (node.value.id, node.attr) in BYPASSES
                    or node.attr == "__new__"):
                found.append(f"{where} calls {ast.unparse(node)}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "hasattr", "setattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and _private(node.args[1].value) and node.args[1].value not in own):
            found.append(f"{where} {node.func.id}(..., {node.args[1].value!r})")
    return found


def test_no_private_name_of_another_package_outside_compat():
    own = _own_names()
    found = [line for path in OUTSIDE_COMPAT for line in _violations(path, own)]
    assert not found, "private names outside brownian_panel/compat:\n" + "\n".join(found)


def _module_names() -> list[str]:
    return [".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
            for path in OUTSIDE_COMPAT if path.name != "__main__.py"]


def _body_names(node: ast.ClassDef) -> set[str]:
    """Names a class body defines itself (not those its metaclass adds)."""
    names = set()
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(item.name)
        elif isinstance(item, (ast.Assign, ast.AnnAssign)):
            targets = item.targets if isinstance(item, ast.Assign) else [item.target]
            names |= {target.id for target in targets if isinstance(target, ast.Name)}
    return names


def test_no_class_overrides_a_private_member_of_another_package():
    """Also through a mixin: a class of ours whose body defines ``_x``, used by a class that
    derives from another package's class that has ``_x``."""
    bodies: dict[type, set[str]] = {}
    for module_name in _module_names():
        module = importlib.import_module(module_name)
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            cls = getattr(module, node.name, None) if isinstance(node, ast.ClassDef) else None
            if inspect.isclass(cls) and cls.__module__ == module_name:
                bodies[cls] = _body_names(node)
    found = set()
    for cls in bodies:
        foreign = [base for base in cls.__mro__
                   if not base.__module__.startswith("brownian_panel")]
        for ours in (base for base in cls.__mro__ if base in bodies):
            for name in bodies[ours]:
                if (_private(name) and name not in DOCUMENTED
                        and any(name in vars(base) for base in foreign)):
                    found.add(f"{ours.__module__}.{ours.__name__}.{name}")
    assert not found, f"private members of other packages overridden: {sorted(found)}"
