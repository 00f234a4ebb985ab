"""Mark Home Assistant's run-time deprecations as PEP 702 deprecations.

Home Assistant reports most deprecations only when the code runs, so the type
checker would miss them. In a copy of its sources, functions and classes that
always call `report_usage(..., breaks_in_ha_version=...)` (directly or through
a helper of their module) or carry `@deprecated_function`/`@deprecated_class`
get `@warnings.deprecated`, and a module `__getattr__` serving
`DeprecatedConstant`s is replaced by deprecated stubs of those constants.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, TypeIs

if TYPE_CHECKING:
    from pathlib import Path

type Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef

IMPORT = "import warnings as _compat_warnings\n"
MARK = "@_compat_warnings.deprecated('run-time deprecation in Home Assistant')\n"
DECORATORS = frozenset({"deprecated_function", "deprecated_class"})
# Python 3.14 (PEP 758) allows `except A, B:`; older parsers need parentheses.
UNPARENTHESIZED = re.compile(r"^(\s*except\*?\s+)([^():\n]+,[^():\n]+?)(\s*:)", re.M)


def marked_sources(package: Path) -> dict[Path, str]:
    """Return the marked text of every module under package that needs marks."""
    marked = {}
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if ("eprecat" in text or "breaks_in_ha" in text) and (
            new := mark(text)
        ) != text:
            marked[path] = new
    return marked


def mark(text: str) -> str:
    """Return a module's source with its run-time deprecations marked."""
    tree = ast.parse(UNPARENTHESIZED.sub(r"\1(\2)\3", text))
    defs: list[Definition] = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    # Helpers such as `_report_deprecated_property(...)` report for their callers.
    reporters = {node.name for node in defs if _reports(node, set())}
    deprecated = [
        node
        for node in defs
        if any(_name(d) in DECORATORS for d in node.decorator_list)
        or _reports(node, reporters)
    ]
    getattrs = [node for node in tree.body if _is_constant_getattr(node)]
    if not deprecated and not getattrs:
        return text
    lines = text.splitlines(keepends=True)
    for node in deprecated:
        lines[node.lineno - 1] = " " * node.col_offset + MARK + lines[node.lineno - 1]
    constants = re.findall(r"^_DEPRECATED_(\w+)\s*[:=]", text, re.MULTILINE)
    for statement in getattrs:
        # Without `__getattr__` a removed name is an error again; a deprecated
        # constant becomes a deprecated function, the nearest PEP 702 allows.
        stubs = "".join(f"{MARK}def {name}() -> None: ...\n" for name in constants)
        start, end = statement.lineno, statement.end_lineno or statement.lineno
        lines[start - 1 : end] = [stubs] + [""] * (end - start)
    # After `from __future__` imports, which must come first; a docstring that
    # stops being one changes nothing for the type checker.
    futures = [
        statement.end_lineno or 0
        for statement in tree.body
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
    ]
    after = max(futures, default=0)
    lines[after] = IMPORT + lines[after]
    return "".join(lines)


def _reports(node: Definition, reporters: set[str]) -> bool:
    """Return whether a definition always reports a deprecation, not only on a path.

    A report under an `if` depends on the arguments or the object's state (a
    light still using mireds); only running the code tells, so none is marked.
    """
    return any(
        isinstance(statement, ast.Expr)
        and isinstance(call := statement.value, ast.Call)
        and (
            _name(call) in reporters
            or (
                _name(call) == "report_usage"
                and any(kw.arg == "breaks_in_ha_version" for kw in call.keywords)
            )
        )
        for statement in node.body
    )


def _name(node: ast.expr) -> str | None:
    """Return the name a call or decorator refers to: `a.b(...)` -> 'b'."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _is_constant_getattr(node: ast.stmt) -> TypeIs[ast.Assign]:
    """Return whether node is `__getattr__ = partial(check_if_deprecated_constant)`."""
    return (
        isinstance(node, ast.Assign)
        and "__getattr__" in ast.unparse(node.targets[0])
        and "check_if_deprecated_constant" in ast.unparse(node.value)
    )
