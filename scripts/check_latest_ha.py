"""Check the integration against the newest Home Assistant, without installing it.

Downloads the newest `homeassistant` wheel (or takes one given with --wheel),
reads its Python sources with `ast`, and checks every use the integration makes
of Home Assistant:

- each imported module and name still exists (defined, assigned, imported or
  re-exported there, or a submodule);
- each attribute of an imported module or class used (`dr.async_get`,
  `SensorDeviceClass.TIMESTAMP`) still exists, looked up through the class's
  bases inside the wheel;
- each member used on an object whose class the code states still exists:
  through `self`, a parameter annotated with a class, a local made by a
  constructor, and what annotated attributes, properties and functions return
  (`hass.config_entries.async_forward_entry_setups`, `registry.async_get_device`);
- each keyword argument passed to a Home Assistant class, function or method
  (also `super().__init__`) is still accepted;
- each `_attr_*` class attribute set, and each member that a class overrides of
  its Home Assistant bases today (compared with the installed release), still
  exists in those bases.

"Deprecated" means any of these markers at the definition:
- `_DEPRECATED_<NAME>` module constants and `DeprecatedConstant`,
  `DeprecatedConstantEnum`, `DeprecatedAlias` or `DeferredDeprecatedAlias`
  values (the `check_if_deprecated_constant` mechanism);
- a `@deprecated_class`, `@deprecated_function`, `@deprecated_substitute` or
  `@deprecated` (PEP 702) decorator;
- a function, method or class `__init__` whose body unconditionally calls
  `report_usage(...)`, `report(...)` or `warnings.warn(..., DeprecationWarning)`;
- enum members listed in `deprecated={...}` of an `EnumWithDeprecatedMembers`.
Not detected: deprecations that depend on the arguments (a `report_usage`
inside an `if`), which only show at run time, in the tests' log.
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import dataclass, field
import importlib.util
from pathlib import Path
import re
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING
import zipfile

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "custom_components.mediascribe"
HA = "homeassistant"

DEPRECATED_VALUES = frozenset(
    {
        "DeprecatedConstant",
        "DeprecatedConstantEnum",
        "DeprecatedAlias",
        "DeferredDeprecatedAlias",
    }
)
DEPRECATED_DECORATORS = frozenset(
    {"deprecated_class", "deprecated_function", "deprecated_substitute", "deprecated"}
)
USAGE_REPORTS = frozenset({"report_usage", "report", "_print_deprecation_warning"})
# PEP 758 (Python 3.14) allows `except A, B:`; a release that needs a newer
# Python than the one running this is still read, with the parentheses added.
UNPARENTHESIZED_EXCEPT = re.compile(
    r"^(?P<head>[ \t]*except\*?[ \t]+)(?P<types>[^(:\n][^:\n]*,[^:\n]*?)[ \t]*:",
    re.MULTILINE,
)
MAX_REEXPORTS = 10
# Bases that add no members a subclass could use; a class built only on these
# is fully known. TypedDict and NamedTuple fields are the class's annotations;
# the enum bases add only what is used through a member (`.value`).
PLAIN_BASES = frozenset(
    {
        "Generic",
        "object",
        "Protocol",
        "TypedDict",
        "NamedTuple",
        "Enum",
        "StrEnum",
        "IntEnum",
        "IntFlag",
        "Flag",
    }
)


@dataclass(frozen=True)
class Problem:
    """One use of Home Assistant that the new release breaks or deprecates."""

    symbol: str
    message: str

    def __str__(self) -> str:
        """Name the symbol first."""
        return f"{self.symbol}: {self.message}"


@dataclass
class Module:
    """One parsed module: what it defines at the top level and what it imports."""

    name: str
    tree: ast.Module
    is_package: bool
    defs: dict[str, ast.AST] = field(default_factory=dict)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """Local name -> (module, name in it), or (module, None) for a module."""

    def __post_init__(self) -> None:
        """Index the top level, including `if` and `try` blocks."""
        for node in _top_level(self.tree.body):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.defs[node.name] = node
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.TypeAlias):
                for name in _assigned_names(node):
                    self.defs[name] = node
            elif isinstance(node, ast.ImportFrom):
                source = self._absolute(node)
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (source, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    target = alias.name if alias.asname else local
                    self.imports[local] = (target, None)

    def _absolute(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        parts = self.name.split(".")
        base = parts if self.is_package else parts[:-1]
        base = base[: len(base) - node.level + 1]
        return ".".join([*base, node.module] if node.module else base)


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for node in body:
        if isinstance(node, ast.If | ast.Try):
            yield from _top_level(node.body)
            yield from _top_level(node.orelse)
            if isinstance(node, ast.Try):
                for handler in node.handlers:
                    yield from _top_level(handler.body)
        else:
            yield node


def _assigned_names(node: ast.Assign | ast.AnnAssign | ast.TypeAlias) -> list[str]:
    if isinstance(node, ast.TypeAlias):
        return [node.name.id]
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = []
    for target in targets:
        elements = target.elts if isinstance(target, ast.Tuple) else [target]
        names += [e.id for e in elements if isinstance(e, ast.Name)]
    return names


def _name_of(node: ast.expr) -> str | None:
    """Return the last name of `a`, `a.b` or `a.b(...)`."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _breaks_in(call: ast.Call) -> str:
    """Return ", breaks in X" from a deprecation call's breaks_in_ha_version."""
    for kw in call.keywords:
        if kw.arg == "breaks_in_ha_version" and isinstance(kw.value, ast.Constant):
            return f", breaks in {kw.value.value!s}"
    return ""


def _usage_report(body: list[ast.stmt]) -> str | None:
    """Describe an unconditional warning at a body's own top level, if any."""
    for stmt in body:
        if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
            continue
        call = stmt.value
        name = _name_of(call)
        if name in USAGE_REPORTS:
            return f"{name}{_breaks_in(call)}"
        arguments = [*call.args, *(kw.value for kw in call.keywords)]
        if name == "warn" and any(
            _name_of(arg) == "DeprecationWarning" for arg in arguments
        ):
            return "DeprecationWarning"
    return None


def _deprecation(node: ast.AST) -> str | None:
    """Return how a definition is marked deprecated, if it is."""
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        if isinstance(node.value, ast.Call) and (
            _name_of(node.value) in DEPRECATED_VALUES
        ):
            return f"{_name_of(node.value)}{_breaks_in(node.value)}"
        return None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return None
    for decorator in node.decorator_list:
        if _name_of(decorator) in DEPRECATED_DECORATORS:
            breaks = _breaks_in(decorator) if isinstance(decorator, ast.Call) else ""
            return f"@{_name_of(decorator)}{breaks}"
    if isinstance(node, ast.ClassDef):
        init = _member_defs(node).get("__init__")
        reason = _deprecation(init) if init is not None else None
        return f"{reason} in __init__" if reason else None
    return _usage_report(node.body)


def _member_defs(node: ast.ClassDef) -> dict[str, ast.AST]:
    """Return a class's members: its body, and what its methods set on self."""
    members: dict[str, ast.AST] = {}
    for stmt in _top_level(node.body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            members.setdefault(stmt.name, stmt)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            for name in _assigned_names(stmt):
                members.setdefault(name, stmt)
    for inner in ast.walk(node):
        targets: list[ast.expr] = []
        if isinstance(inner, ast.Assign):
            targets = inner.targets
        elif isinstance(inner, ast.AnnAssign | ast.AugAssign):
            targets = [inner.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
            ):
                members.setdefault(target.attr, inner)
    return members


def _deprecated_members(node: ast.ClassDef) -> set[str]:
    """Return the members an EnumWithDeprecatedMembers class lists as deprecated."""
    for kw in node.keywords:
        if kw.arg == "deprecated" and isinstance(kw.value, ast.Dict):
            return {
                k.value
                for k in kw.value.keys
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
    return set()


@dataclass(frozen=True)
class Symbol:
    """What a name resolved to."""

    qualname: str
    node: ast.AST | None
    """The definition; None for a module or something outside the trees."""
    module: Module | None
    deprecated: str | None = None

    @property
    def is_external(self) -> bool:
        """Return whether the name lives outside the sources read (e.g. typing)."""
        return self.module is None and self.node is None


class Sources:
    """The modules of some top-level packages, parsed when first needed."""

    def __init__(self, roots: list[Path], packages: frozenset[str]) -> None:
        """Look the packages' modules up under each root in turn."""
        self._roots = roots
        self._packages = packages
        self._modules: dict[str, Module | None] = {}
        self.unreadable: dict[str, str] = {}
        """Modules that exist but did not parse: nothing can be said about them."""

    def module(self, name: str) -> Module | None:
        """Return a module by dotted name, or None if no root has it."""
        if name not in self._modules:
            self._modules[name] = self._load(name)
        return self._modules[name]

    def _load(self, name: str) -> Module | None:
        if not self.knows(name):
            return None
        relative = Path(*name.split("."))
        for root in self._roots:
            for path, is_package in (
                (root / relative / "__init__.py", True),
                (root / relative.with_suffix(".py"), False),
            ):
                if path.is_file():
                    try:
                        tree = parse(path.read_text(encoding="utf-8"), path.name)
                    except SyntaxError as err:
                        self.unreadable[name] = f"{err.msg} (line {err.lineno})"
                        return None
                    return Module(name, tree, is_package)
        return None

    def knows(self, module: str) -> bool:
        """Return whether a module is inside these sources' packages."""
        return module.split(".")[0] in self._packages

    def resolve(self, module_name: str, name: str, depth: int = 0) -> Symbol | None:
        """Resolve module.name through definitions, re-exports and submodules."""
        qualname = f"{module_name}.{name}"
        module = self.module(module_name)
        if module is None or depth > MAX_REEXPORTS:
            known = self.knows(module_name) and module_name not in self.unreadable
            return None if known else Symbol(qualname, None, None)
        symbol: Symbol | None = None
        if (node := module.defs.get(f"_DEPRECATED_{name}")) is not None:
            symbol = Symbol(qualname, node, module, "a deprecated constant")
        elif (node := module.defs.get(name)) is not None:
            symbol = Symbol(qualname, node, module, _deprecation(node))
        elif name in module.imports:
            source, attr = module.imports[name]
            symbol = (
                self.module_symbol(source)
                if attr is None
                else self.resolve(source, attr, depth + 1)
            )
        elif self.module(qualname) is not None:
            symbol = self.module_symbol(qualname)
        return symbol

    def module_symbol(self, name: str) -> Symbol | None:
        """Return a module as a symbol (None when a known package lacks it)."""
        module = self.module(name)
        if module is None:
            known = self.knows(name) and name not in self.unreadable
            return None if known else Symbol(name, None, None)
        return Symbol(name, None, module)

    def class_of(self, symbol: Symbol) -> Symbol | None:
        """Follow a type alias or a subscripted generic to the class it names."""
        node, module = symbol.node, symbol.module
        if isinstance(node, ast.ClassDef) or module is None:
            return symbol if isinstance(node, ast.ClassDef) else None
        if isinstance(node, ast.TypeAlias | ast.AnnAssign | ast.Assign):
            value = node.value
            target = self.expression(module, value) if value is not None else None
            if target is not None and target != symbol:
                return self.class_of(target)
        return None

    def expression(self, module: Module, node: ast.expr) -> Symbol | None:
        """Resolve a class-naming expression: `A`, `mod.A`, `A[T]`, `A | None`."""
        while isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp):
            left = self.expression(module, node.left)
            return left or self.expression(module, node.right)
        if isinstance(node, ast.Name):
            return self.resolve(module.name, node.id)
        if isinstance(node, ast.Attribute):
            owner = self.expression(module, node.value)
            if owner is not None and owner.node is None and owner.module is not None:
                return self.resolve(owner.module.name, node.attr)
        return None

    def mro(self, symbol: Symbol) -> tuple[list[Symbol], bool]:
        """Return a class and its bases (depth first), and whether all resolved."""
        found: list[Symbol] = []
        complete = True
        pending = [self.class_of(symbol) or symbol]
        while pending:
            current = pending.pop(0)
            if not isinstance(current.node, ast.ClassDef) or current.module is None:
                continue
            if any(c.node is current.node for c in found):
                continue
            found.append(current)
            for base in current.node.bases:
                resolved = self.expression(current.module, base)
                resolved = self.class_of(resolved) if resolved else None
                if resolved is None:
                    complete = complete and _base_name(base) in PLAIN_BASES
                else:
                    pending.append(resolved)
        return found, complete

    def member(self, symbol: Symbol, name: str) -> tuple[Symbol | None, bool]:
        """Look a member up through a class's bases; say if all bases were read."""
        classes, complete = self.mro(symbol)
        for cls in classes:
            if not isinstance(cls.node, ast.ClassDef):
                continue
            qualname = f"{cls.qualname}.{name}"
            if name in _deprecated_members(cls.node):
                reason = "a deprecated enum member"
                return Symbol(qualname, cls.node, cls.module, reason), complete
            if (node := _member_defs(cls.node).get(name)) is not None:
                marked = None if isinstance(node, ast.ClassDef) else _deprecation(node)
                return Symbol(qualname, node, cls.module, marked), complete
        return None, complete

    def parameters(self, symbol: Symbol) -> set[str] | None:
        """Return the keyword names a callable accepts; None for "any"."""
        node = symbol.node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return _parameters(node)
        if not isinstance(node, ast.ClassDef):
            return None
        classes, complete = self.mro(symbol)
        for cls in classes:
            init = (
                _member_defs(cls.node).get("__init__")
                if isinstance(cls.node, ast.ClassDef)
                else None
            )
            if isinstance(init, ast.FunctionDef):
                return _parameters(init)
        if not complete:
            return None
        # No __init__ anywhere: a dataclass (entity descriptions are made ones
        # by their metaclass), whose fields are the annotated class attributes.
        return {
            stmt.target.id
            for cls in classes
            if isinstance(cls.node, ast.ClassDef)
            for stmt in cls.node.body
            if isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and "ClassVar" not in ast.unparse(stmt.annotation)
        }


def parse(source: str, filename: str) -> ast.Module:
    """Parse Python source, also when it uses PEP 758's unparenthesized except."""
    try:
        return ast.parse(source, filename)
    except SyntaxError:
        rewritten = UNPARENTHESIZED_EXCEPT.sub(
            lambda m: f"{m['head']}({m['types']}):", source
        )
        return ast.parse(rewritten, filename)


def _base_name(node: ast.expr) -> str | None:
    return _name_of(node.value if isinstance(node, ast.Subscript) else node)


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str] | None:
    args = node.args
    if args.kwarg is not None:
        return None
    return {a.arg for a in [*args.args, *args.kwonlyargs]} - {"self", "cls"}


@dataclass
class Report:
    """What was checked, and what failed."""

    version: str
    checked: int = 0
    symbols: set[str] = field(default_factory=set)
    """Every symbol looked up, for a reader (or a test) to see the coverage."""
    problems: list[Problem] = field(default_factory=list)

    def check(self, qualname: str, symbol: Symbol | None, where: str) -> Symbol | None:
        """Record one lookup: missing and deprecated symbols are problems."""
        self.checked += 1
        self.symbols.add(qualname)
        if symbol is None:
            self.problems.append(
                Problem(
                    qualname, f"not found in homeassistant {self.version} ({where})"
                )
            )
        elif symbol.deprecated:
            self.problems.append(
                Problem(
                    qualname,
                    f"deprecated in homeassistant {self.version} "
                    f"({symbol.deprecated}; {where})",
                )
            )
        return symbol


type Env = dict[str, Symbol]
"""Local names whose class is known: parameters, `self`, constructed objects."""


class Checker:
    """Check one package's uses of Home Assistant against a release's sources."""

    def __init__(
        self,
        package_root: Path,
        package: str,
        new_ha_root: Path,
        version: str,
        current_ha_root: Path | None = None,
    ) -> None:
        """Read our package from package_root and Home Assistant from new_ha_root.

        With current_ha_root (the installed release), members the package
        overrides today are checked to still exist in the new one.
        """
        self.package = package
        self.package_root = package_root
        packages = frozenset({HA, package.split(".")[0]})
        self.new = Sources([new_ha_root, package_root], packages)
        self.current = (
            Sources([current_ha_root, package_root], packages)
            if current_ha_root
            else None
        )
        self.report = Report(version)

    def run(self) -> Report:
        """Check every module of the package."""
        package_dir = self.package_root / Path(*self.package.split("."))
        for path in sorted(package_dir.glob("*.py")):
            stem = path.stem
            name = self.package if stem == "__init__" else f"{self.package}.{stem}"
            module = self.new.module(name)
            if module is None:
                raise SystemExit(f"cannot read {path}")
            self._check_imports(module, path.name)
            self._check_scope(module, module.tree, {}, None, path.name)
        for name, error in sorted(self.new.unreadable.items()):
            self.report.problems.append(
                Problem(name, f"could not be read, so its uses went unchecked: {error}")
            )
        return self.report

    def _is_ha(self, symbol: Symbol | None) -> bool:
        return symbol is not None and (
            symbol.qualname == HA or symbol.qualname.startswith(f"{HA}.")
        )

    def _builds_on_ha(self, symbol: Symbol) -> bool:
        return any(self._is_ha(cls) for cls in self.new.mro(symbol)[0])

    def _check_imports(self, module: Module, filename: str) -> None:
        for source, attr in module.imports.values():
            if not (source == HA or source.startswith(f"{HA}.")):
                continue
            where = f"imported in {filename}"
            if attr is None or self.new.module(source) is None:
                self.report.check(source, self.new.module_symbol(source), where)
            else:
                qualname = f"{source}.{attr}"
                self.report.check(qualname, self.new.resolve(source, attr), where)

    def _check_scope(
        self,
        module: Module,
        scope: ast.AST,
        outer: Env,
        cls: Symbol | None,
        filename: str,
    ) -> None:
        """Check the uses in one scope; nested functions and classes get their own."""
        env = dict(outer)
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            env.update(self._parameter_types(module, scope, cls))
        nodes = list(_scope_nodes(scope))
        for node in nodes:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and (
                    kind := self._type_of(module, node.value, env)
                ):
                    env[target.id] = kind
        for node in nodes:
            where = f"{filename}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Attribute):
                self._check_attribute(module, node, env, where)
            elif isinstance(node, ast.Call):
                self._check_call(module, node, env, cls, where)
            elif isinstance(node, ast.ClassDef):
                symbol = Symbol(f"{module.name}.{node.name}", node, module)
                self._check_class(module, symbol, filename)
                self._check_scope(module, node, {}, symbol, filename)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inner_cls = cls if isinstance(scope, ast.ClassDef) else None
                self._check_scope(module, node, env, inner_cls, filename)

    def _parameter_types(
        self,
        module: Module,
        func: ast.FunctionDef | ast.AsyncFunctionDef,
        cls: Symbol | None,
    ) -> Env:
        env: Env = {}
        arguments = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        for position, arg in enumerate(arguments):
            if position == 0 and cls is not None and arg.arg in ("self", "cls"):
                env[arg.arg] = cls
            elif arg.annotation is not None and (
                kind := self._class_named(module, arg.annotation)
            ):
                env[arg.arg] = kind
        return env

    def _class_named(
        self, module: Module | None, annotation: ast.expr
    ) -> Symbol | None:
        if module is None:
            return None
        symbol = self.new.expression(module, annotation)
        return self.new.class_of(symbol) if symbol else None

    def _type_of(self, module: Module, node: ast.expr, env: Env) -> Symbol | None:
        """Return the class (or module) of an expression's value, where known."""
        if isinstance(node, ast.Name):
            return self._type_of_name(module, node.id, env)
        if isinstance(node, ast.Attribute):
            owner = self._type_of(module, node.value, env)
            if owner is not None and owner.node is None and owner.module is not None:
                return self.new.resolve(owner.qualname, node.attr)
            member = self.new.member(owner, node.attr)[0] if owner else None
            return self._value_type(member)
        if isinstance(node, ast.Call):
            callee = self._callee(module, node, env)
            cls = self.new.class_of(callee) if callee else None
            return cls or self._value_type(callee, call=True)
        return None

    def _type_of_name(self, module: Module, name: str, env: Env) -> Symbol | None:
        if name in env:
            return env[name]
        symbol = self.new.resolve(module.name, name)
        if symbol is None or symbol.node is None:  # a module, or nothing
            return symbol
        return self.new.class_of(symbol)  # a class: Class.member

    def _value_type(
        self, member: Symbol | None, *, call: bool = False
    ) -> Symbol | None:
        """Return the class a member holds (or returns, when called), by annotation."""
        if member is None:
            return None
        node = member.node
        annotation: ast.expr | None = None
        if isinstance(node, ast.AnnAssign):
            annotation = node.annotation
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            is_property = any(
                _name_of(d) in ("property", "cached_property")
                for d in node.decorator_list
            )
            if call or is_property:
                annotation = node.returns
        elif isinstance(node, ast.ClassDef) and not call:
            return None
        return self._class_named(member.module, annotation) if annotation else None

    def _check_attribute(
        self, module: Module, node: ast.Attribute, env: Env, where: str
    ) -> None:
        if (
            isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
            and not node.attr.startswith("_attr_")
        ):
            return  # an attribute of our own
        owner = self._type_of(module, node.value, env)
        if owner is None:
            return
        if owner.node is None and owner.module is not None:
            if self._is_ha(owner):
                qualname = f"{owner.qualname}.{node.attr}"
                found = self.new.resolve(owner.qualname, node.attr)
                self.report.check(qualname, found, f"used in {where}")
            return
        if not self._builds_on_ha(owner):
            return
        member, complete = self.new.member(owner, node.attr)
        if member is not None and not self._is_ha(member):
            return  # defined by the package itself
        if member is None:
            base = next(c for c in self.new.mro(owner)[0] if self._is_ha(c))
            missing = None if complete else Symbol(node.attr, None, None)
            self.report.check(
                f"{base.qualname}.{node.attr}", missing, f"used in {where}"
            )
        else:
            self.report.check(member.qualname, member, f"used in {where}")

    def _check_call(
        self, module: Module, node: ast.Call, env: Env, cls: Symbol | None, where: str
    ) -> None:
        keywords = [kw.arg for kw in node.keywords if kw.arg is not None]
        if not keywords:
            return
        target = self._callee(module, node, env, cls)
        if target is None:
            return
        owner = self.new.class_of(target)
        if not (self._is_ha(target) or (owner and self._builds_on_ha(owner))):
            return
        accepted = self.new.parameters(target)
        if accepted is None:
            return
        for name in keywords:
            self.report.checked += 1
            self.report.symbols.add(f"{target.qualname}({name}=...)")
            if name not in accepted:
                self.report.problems.append(
                    Problem(
                        f"{target.qualname}({name}=...)",
                        f"keyword not accepted in homeassistant {self.report.version} "
                        f"(used in {where})",
                    )
                )

    def _callee(
        self, module: Module, node: ast.Call, env: Env, cls: Symbol | None = None
    ) -> Symbol | None:
        """Return what a call calls: a class, a function or a method."""
        func = node.func
        if _is_super_init(func):
            return self._super_init(cls)
        if isinstance(func, ast.Attribute):
            owner = self._type_of(module, func.value, env)
            if owner is not None and owner.node is None and owner.module is not None:
                return self.new.resolve(owner.qualname, func.attr)
            return self.new.member(owner, func.attr)[0] if owner else None
        if isinstance(func, ast.Name):
            symbol = self.new.resolve(module.name, func.id)
            return (self.new.class_of(symbol) or symbol) if symbol else None
        return None

    def _super_init(self, cls: Symbol | None) -> Symbol | None:
        """Return the __init__ that super().__init__ in cls calls."""
        classes = self.new.mro(cls)[0] if cls else []
        for base in classes[1:]:
            if isinstance(base.node, ast.ClassDef) and "__init__" in _member_defs(
                base.node
            ):
                return self.new.member(base, "__init__")[0]
        return None

    def _check_class(self, module: Module, symbol: Symbol, filename: str) -> None:
        """Check a class's `_attr_*` settings and what it overrides of its bases."""
        node = symbol.node
        assert isinstance(node, ast.ClassDef)  # noqa: S101 - callers pass classes
        classes, complete = self.new.mro(symbol)
        theirs = [c for c in classes if self._is_ha(c)]
        if not theirs:
            return
        where = f"set by {node.name} in {filename}"
        for stmt in node.body:
            if isinstance(stmt, ast.Assign | ast.AnnAssign):
                for name in _assigned_names(stmt):
                    if name.startswith("_attr_"):
                        self._check_inherited(theirs, name, where, complete=complete)
        if self.current is not None:
            self._check_overrides(module, node, theirs, filename)

    def _check_inherited(
        self, theirs: list[Symbol], name: str, where: str, *, complete: bool
    ) -> None:
        for base in theirs:
            member, _ = self.new.member(base, name)
            if member is not None:
                self.report.check(member.qualname, member, where)
                return
        qualname = f"{theirs[0].qualname}.{name}"
        self.report.check(
            qualname, None if complete else Symbol(name, None, None), where
        )

    def _check_overrides(
        self, module: Module, node: ast.ClassDef, theirs: list[Symbol], filename: str
    ) -> None:
        """What a class overrides or sets of its bases today must exist tomorrow."""
        assert self.current is not None  # noqa: S101 - only called with it
        today = Symbol(
            f"{module.name}.{node.name}", node, self.current.module(module.name)
        )
        bases_today = [c for c in self.current.mro(today)[0] if self._is_ha(c)]
        for name in sorted(_member_defs(node)):
            if name.startswith("__") or not any(
                self.current.member(base, name)[0] for base in bases_today
            ):
                continue
            where = f"overridden by {node.name} in {filename}"
            self._check_inherited(theirs, name, where, complete=True)


def _is_super_init(func: ast.expr) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "__init__"
        and isinstance(func.value, ast.Call)
        and _name_of(func.value) == "super"
    )


def _scope_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Yield a scope's nodes; nested functions and classes, but not their insides."""
    pending = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            pending.extend(ast.iter_child_nodes(node))


def download_newest(directory: Path, requirement: str = HA) -> Path:
    """Download the newest homeassistant wheel (no dependencies) into directory."""
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            requirement,
            "--no-deps",
            "--ignore-requires-python",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--quiet",
            "-d",
            str(directory),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wheels = sorted(directory.glob("homeassistant-*.whl"))
    if result.returncode or not wheels:
        raise SystemExit(f"pip could not download {requirement}:\n{result.stderr}")
    return wheels[-1]


def extract(wheel: Path, directory: Path) -> str:
    """Extract the wheel's homeassistant sources; return its version."""
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.startswith(f"{HA}/") and member.endswith(".py"):
                archive.extract(member, directory)
    return wheel.name.split("-")[1]


def main(argv: list[str] | None = None) -> int:
    """Download, extract, check, print; exit 1 when a use breaks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="check this wheel, download none")
    parser.add_argument(
        "--requirement", default=HA, help="what to download (default: the newest)"
    )
    args = parser.parse_args(argv)
    spec = importlib.util.find_spec(HA)
    # The installed release tells which members the integration overrides.
    current = Path(spec.origin).parent.parent if spec and spec.origin else None
    with tempfile.TemporaryDirectory(prefix="check-latest-ha-") as tmp:
        directory = Path(tmp)
        wheel = args.wheel or download_newest(directory, args.requirement)
        version = extract(wheel, directory / "src")
        report = Checker(ROOT, PACKAGE, directory / "src", version, current).run()
    print(f"homeassistant {version}: {report.checked} uses of Home Assistant checked")
    for problem in dict.fromkeys(report.problems):
        print(f"  {problem}")
    if report.problems:
        print(f"{len(report.problems)} problem(s) with homeassistant {version}")
        return 1
    print(f"no problems with homeassistant {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
