"""Conformance: what hassfest and the HACS action check, and a little more.

Every check is a small function that takes data and returns a list of
problems. Each is run on the real files (no problems) and on deliberately
broken samples (some problems), so a check that stopped looking would fail.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field, replace
import importlib
import importlib.util
import json
from pathlib import Path
import re
import string
import tomllib
from typing import TYPE_CHECKING, Any, get_args, get_type_hints
from urllib.parse import urlparse

from awesomeversion import (
    AwesomeVersion,
    AwesomeVersionException,
    AwesomeVersionStrategy,
)
from homeassistant.const import Platform, __version__ as ha_version
from homeassistant.loader import Manifest
from PIL import Image
import pytest
import voluptuous as vol
import yaml

from custom_components.mediascribe import api

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "custom_components" / "mediascribe"
PLATFORMS = frozenset(str(platform) for platform in Platform)

# The Integration Quality Scale's rule ids, Bronze to Platinum, as listed on
# developers.home-assistant.io/docs/core/integration-quality-scale/rules. The
# rule list lives in hassfest, which is not installed with Home Assistant;
# test_rule_list_matches_core compares it with the quality_scale.yaml files of
# the core integrations that are installed.
QUALITY_SCALE_RULES = (
    # Bronze
    "action-setup",
    "appropriate-polling",
    "brands",
    "common-modules",
    "config-flow",
    "config-flow-test-coverage",
    "dependency-transparency",
    "docs-actions",
    "docs-high-level-description",
    "docs-installation-instructions",
    "docs-removal-instructions",
    "entity-event-setup",
    "entity-unique-id",
    "has-entity-name",
    "runtime-data",
    "test-before-configure",
    "test-before-setup",
    "unique-config-entry",
    # Silver
    "action-exceptions",
    "config-entry-unloading",
    "docs-configuration-parameters",
    "docs-installation-parameters",
    "entity-unavailable",
    "integration-owner",
    "log-when-unavailable",
    "parallel-updates",
    "reauthentication-flow",
    "test-coverage",
    # Gold
    "devices",
    "diagnostics",
    "discovery",
    "discovery-update-info",
    "docs-data-update",
    "docs-examples",
    "docs-known-limitations",
    "docs-supported-devices",
    "docs-supported-functions",
    "docs-troubleshooting",
    "docs-use-cases",
    "dynamic-devices",
    "entity-category",
    "entity-device-class",
    "entity-disabled-by-default",
    "entity-translations",
    "exception-translations",
    "icon-translations",
    "reconfiguration-flow",
    "repair-issues",
    "stale-devices",
    # Platinum
    "async-dependency",
    "inject-websession",
    "strict-typing",
)


def load_json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def problems_of(schema: vol.Schema, data: object) -> list[str]:
    """Return voluptuous's complaints about data as a list of problems."""
    try:
        schema(data)
    except vol.MultipleInvalid as err:
        return [f"{'.'.join(map(str, e.path))}: {e.msg}" for e in err.errors]
    except vol.Invalid as err:
        return [f"{'.'.join(map(str, err.path))}: {err.msg}"]
    return []


# --- The integration's sources ------------------------------------------------


@dataclass(frozen=True)
class Package:
    """The integration as the checks see it: sources, manifest and companions."""

    sources: dict[str, str]
    """Python source by module name (file stem)."""
    manifest: dict[str, Any]
    files: frozenset[str] = frozenset()
    """Every file of the integration folder, relative to it."""
    pyproject: dict[str, Any] = field(default_factory=dict)
    test_script: str = ""
    readme: str = ""
    trees: dict[str, ast.Module] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Parse every module once."""
        object.__setattr__(
            self, "trees", {name: ast.parse(src) for name, src in self.sources.items()}
        )

    @classmethod
    def load(cls) -> Package:
        """Read the real integration and the project files that describe it."""
        return cls(
            sources={
                path.stem: path.read_text(encoding="utf-8")
                for path in sorted(PACKAGE_DIR.glob("*.py"))
            },
            manifest=load_json(PACKAGE_DIR / "manifest.json"),
            files=frozenset(
                path.relative_to(PACKAGE_DIR).as_posix()
                for path in PACKAGE_DIR.rglob("*")
                if path.is_file() and "__pycache__" not in path.parts
            ),
            pyproject=tomllib.loads((ROOT / "pyproject.toml").read_text()),
            test_script=(ROOT / "scripts" / "test").read_text(),
            readme=(ROOT / "README.md").read_text(encoding="utf-8"),
        )

    def with_source(self, module: str, old: str, new: str) -> Package:
        """Return a copy with one module's text edited (the edit must apply)."""
        assert old in self.sources[module], f"{old!r} not in {module}.py"
        return replace(
            self,
            sources={**self.sources, module: self.sources[module].replace(old, new)},
        )

    def nodes(self, module: str | None = None) -> Iterator[ast.AST]:
        """Walk every node of one module, or of all."""
        names = [module] if module is not None else list(self.trees)
        for name in names:
            if name in self.trees:
                yield from ast.walk(self.trees[name])


def call_name(node: ast.AST) -> str | None:
    """Return the called function's last name: `a.b.c(...)` -> 'c'."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def keyword(node: ast.Call, name: str) -> ast.expr | None:
    """Return a keyword argument's expression, if given."""
    return next((kw.value for kw in node.keywords if kw.arg == name), None)


def const_str(node: ast.AST | None) -> str | None:
    """Return a string literal's value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def module_function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    """Return a module-level function definition."""
    return next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == name
        ),
        None,
    )


def returned(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    """Return the expressions a function returns (nested functions excluded)."""
    found: list[ast.expr] = []
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Return) and node.value is not None:
            found.append(node.value)
        stack.extend(ast.iter_child_nodes(node))
    return found


def resolve_str(tree: ast.Module, node: ast.AST) -> str | None:
    """Return the string a literal or a module constant stands for."""
    if (value := const_str(node)) is not None or not isinstance(node, ast.Name):
        return value
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == node.id for t in targets):
                return const_str(stmt.value)
        if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
            for alias in stmt.names:
                if (alias.asname or alias.name) == node.id:
                    value = getattr(
                        importlib.import_module(stmt.module), alias.name, None
                    )
                    return value if isinstance(value, str) else None
    return None


# --- manifest.json --------------------------------------------------------------

MANIFEST_REQUIRED = (
    "domain",
    "name",
    "codeowners",
    "config_flow",
    "documentation",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "requirements",
    "version",
)
# Everything Home Assistant reads from a manifest file; the loader computes
# the other two keys of its Manifest type itself.
MANIFEST_KEYS = frozenset(get_type_hints(Manifest)) - {
    "is_built_in",
    "overwrites_built_in",
}
INTEGRATION_TYPES = frozenset(get_args(get_type_hints(Manifest)["integration_type"]))
IOT_CLASSES = frozenset(
    {
        "assumed_state",
        "calculated",
        "cloud_polling",
        "cloud_push",
        "local_polling",
        "local_push",
    }
)
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]
PINNED_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[\w,-]+\])?==[\w.+-]+$")
# hassfest's ALLOWED_USED_COMPONENTS besides the entity platforms: components
# an integration may import from without declaring a dependency.
ALLOWED_USED_COMPONENTS = frozenset(
    {
        "alert",
        "automation",
        "conversation",
        "default_config",
        "device_automation",
        "frontend",
        "group",
        "homeassistant",
        "input_boolean",
        "input_button",
        "input_datetime",
        "input_number",
        "input_select",
        "input_text",
        "media_source",
        "onboarding",
        "panel_custom",
        "persistent_notification",
        "person",
        "script",
        "shopping_list",
        "sun",
        "system_health",
        "system_log",
        "timer",
        "webhook",
        "websocket_api",
        "zone",
    }
)


def is_https_url(value: object) -> bool:
    """Return whether a value is an https URL with a host."""
    if not isinstance(value, str):
        return False
    url = urlparse(value)
    return url.scheme == "https" and bool(url.netloc)


def check_manifest(manifest: dict[str, Any], *, folder: str, version: str) -> list[str]:
    """Check a custom integration's manifest as hassfest and HACS would."""
    problems = [
        f"missing key {key}" for key in MANIFEST_REQUIRED if key not in manifest
    ]
    problems += [f"unknown key {key}" for key in sorted(set(manifest) - MANIFEST_KEYS)]
    keys = list(manifest)
    head = [key for key in ("domain", "name") if key in manifest]
    if keys != head + sorted(set(keys) - set(head)):
        problems.append(f"keys must be domain, name, then sorted: {keys}")
    if manifest.get("domain") != folder:
        problems.append(f"domain {manifest.get('domain')!r} is not the folder {folder}")
    for key in ("documentation", "issue_tracker"):
        if key in manifest and not is_https_url(manifest[key]):
            problems.append(f"{key} is not an https URL")
    problems += _check_manifest_values(manifest)
    try:
        AwesomeVersion(manifest.get("version"), ensure_strategy=VERSION_STRATEGIES)
    except AwesomeVersionException:
        problems.append(f"version {manifest.get('version')!r} is not a version")
    if manifest.get("version") != version:
        problems.append(
            f"version {manifest.get('version')} is not the client's {version}"
        )
    return problems


def _check_manifest_values(manifest: dict[str, Any]) -> list[str]:
    problems = []
    owners = manifest.get("codeowners")
    if not owners or not all(
        isinstance(o, str) and o.startswith("@") and len(o) > 1 for o in owners
    ):
        problems.append("codeowners must be a non-empty list of @handles")
    if not isinstance(manifest.get("config_flow"), bool):
        problems.append("config_flow must be true or false")
    if manifest.get("integration_type") not in INTEGRATION_TYPES:
        problems.append(f"integration_type must be one of {sorted(INTEGRATION_TYPES)}")
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append(f"iot_class must be one of {sorted(IOT_CLASSES)}")
    requirements = manifest.get("requirements")
    if not isinstance(requirements, list) or not all(
        isinstance(r, str) and PINNED_REQUIREMENT.match(r) for r in requirements
    ):
        problems.append("requirements must be a list of pinned name==version")
    return problems


def type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """Return the nodes inside `if TYPE_CHECKING:` blocks, which never run."""
    return {
        inner
        for node in ast.walk(tree)
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
        for stmt in node.body
        for inner in ast.walk(stmt)
    }


def check_dependencies(package: Package) -> list[str]:
    """Check that every component imported at run time is allowed, as hassfest does."""
    manifest = package.manifest
    allowed = (
        PLATFORMS
        | ALLOWED_USED_COMPONENTS
        | set(manifest.get("dependencies", []))
        | set(manifest.get("after_dependencies", []))
        | set(package.sources)  # diagnostics.py may import the diagnostics component
    )
    problems = []
    for module, tree in package.trees.items():
        skipped = type_checking_only(tree)
        for node in ast.walk(tree):
            if node in skipped or not isinstance(node, ast.ImportFrom):
                continue
            parts = (node.module or "").split(".")
            if parts[:2] == ["homeassistant", "components"] and not (
                set(parts[2:3]) <= allowed
            ):
                problems.append(
                    f"{module}.py imports component {parts[2]}, "
                    "which is not in dependencies or after_dependencies"
                )
    return problems


# --- hacs.json --------------------------------------------------------------------

HACS_KEYS = frozenset(
    {
        "name",
        "content_in_root",
        "zip_release",
        "filename",
        "hide_default_branch",
        "country",
        "homeassistant",
        "persistent_directory",
        "render_readme",
        "hacs",
    }
)


def minimum_ha_version(running: str) -> str:
    """Return the release series the tests run on, as major.minor.0."""
    version = AwesomeVersion(running)
    return f"{version.section(0)}.{version.section(1)}.0"


def check_hacs(hacs: dict[str, Any], *, ha_version: str) -> list[str]:
    """Check hacs.json: known keys, a name, and the tested minimum version."""
    problems = [f"unknown key {key}" for key in sorted(set(hacs) - HACS_KEYS)]
    if not isinstance(hacs.get("name"), str) or not hacs["name"]:
        problems.append("name is missing")
    if hacs.get("homeassistant") != minimum_ha_version(ha_version):
        problems.append(
            f"homeassistant is {hacs.get('homeassistant')!r}; the tests run "
            f"{ha_version}, so it must be {minimum_ha_version(ha_version)}"
        )
    return problems


# --- translations/en.json: structure ----------------------------------------------

RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
RE_HTML = re.compile(r"<[a-z].*?>", re.IGNORECASE)
RE_QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")


def placeholders(text: str) -> set[str]:
    """Return the {placeholders} of a translated string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def text(*, allow_placeholders: bool = True) -> Callable[[object], str]:
    """Return a validator for one translated string, with hassfest's rules."""

    def validate(value: object) -> str:
        if not isinstance(value, str) or not value:
            raise vol.Invalid("must be a non-empty string")
        if RE_HTML.search(value):
            raise vol.Invalid("must not contain HTML")
        if RE_URL.search(value):
            raise vol.Invalid("must not contain URLs; use a placeholder")
        if value != value.strip():
            raise vol.Invalid("must not start or end with spaces")
        if "[%key:" in value:
            raise vol.Invalid("references do not resolve in custom integrations")
        if RE_QUOTED_PLACEHOLDER.search(value):
            raise vol.Invalid("must not put placeholders in single quotes")
        try:
            names = placeholders(value)
        except ValueError as err:
            raise vol.Invalid(f"malformed placeholder: {err}") from err
        if names and not allow_placeholders:
            raise vol.Invalid("placeholders are not supported here")
        if not all(name.isidentifier() for name in names):
            raise vol.Invalid("placeholders must be identifiers")
        return value

    return validate


KEY = vol.Match(RE_TRANSLATION_KEY)
TEXT = text()
PLAIN_TEXT = text(allow_placeholders=False)
STEP = {
    vol.Optional("title"): TEXT,
    vol.Optional("description"): TEXT,
    vol.Optional("data"): {str: TEXT},
    vol.Optional("data_description"): {str: TEXT},
    vol.Optional("menu_options"): {str: TEXT},
    vol.Optional("submit"): TEXT,
    vol.Optional("sections"): {
        str: {
            vol.Optional("name"): TEXT,
            vol.Optional("description"): TEXT,
            vol.Optional("data"): {str: TEXT},
            vol.Optional("data_description"): {str: TEXT},
        }
    },
}


def _data_described(flow: dict[str, Any]) -> dict[str, Any]:
    for step_id, step in flow["step"].items():
        extra = set(step.get("data_description", {})) - set(step.get("data", {}))
        if extra:
            raise vol.Invalid(f"step {step_id}: data_description of unknown {extra}")
    return flow


FLOW = vol.All(
    {
        vol.Required("step"): {KEY: STEP},
        vol.Optional("error"): {KEY: TEXT},
        vol.Optional("abort"): {KEY: TEXT},
        vol.Optional("progress"): {KEY: TEXT},
        vol.Optional("create_entry"): {KEY: TEXT},
    },
    _data_described,
)
STRINGS_SCHEMA = vol.Schema(
    {
        vol.Optional("title"): TEXT,
        vol.Optional("config"): FLOW,
        vol.Optional("options"): FLOW,
        vol.Optional("entity"): {
            vol.In(PLATFORMS): {
                KEY: {
                    vol.Optional("name"): TEXT,
                    vol.Optional("state"): {KEY: PLAIN_TEXT},
                    vol.Optional("state_attributes"): {
                        KEY: {
                            vol.Optional("name"): PLAIN_TEXT,
                            vol.Optional("state"): {KEY: PLAIN_TEXT},
                        }
                    },
                    vol.Optional("unit_of_measurement"): PLAIN_TEXT,
                }
            }
        },
        vol.Optional("exceptions"): {KEY: {vol.Required("message"): TEXT}},
        vol.Optional("issues"): {
            KEY: {vol.Required("title"): TEXT, vol.Optional("description"): TEXT}
        },
        vol.Optional("device"): {KEY: {vol.Optional("name"): TEXT}},
    }
)


def check_translation_file(strings: object) -> list[str]:
    """Check en.json's structure and every string in it."""
    return problems_of(STRINGS_SCHEMA, strings)


# --- translations/en.json: what the code uses -------------------------------------


@dataclass
class Step:
    """A config-flow form as the code shows it."""

    fields: frozenset[str] | None
    """The schema's field names; None when they are not statically known."""
    placeholders: frozenset[str]


@dataclass
class Usage:
    """Every translation the code asks for, read from its syntax tree."""

    entities: dict[str, set[str]] = field(default_factory=dict)
    """Platform -> entity translation keys."""
    attributes: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """(platform, translation key) -> state attribute names."""
    exceptions: dict[str, list[frozenset[str] | None]] = field(default_factory=dict)
    """Exception translation key -> the placeholders of each raise (None: unknown)."""
    issues: dict[str, list[frozenset[str] | None]] = field(default_factory=dict)
    """Repair issue translation key -> the placeholders of each creation."""
    steps: dict[str, Step] = field(default_factory=dict)
    errors: set[str] = field(default_factory=set)
    aborts: set[str] = field(default_factory=set)
    unresolved: list[str] = field(default_factory=list)
    """What the collector could not read statically: a gap in the check."""


def collect_usage(package: Package) -> Usage:
    """Read every translation key, placeholder, step and field the code uses."""
    usage = Usage()
    for module, tree in package.trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and keyword(node, "translation_key"):
                if call_name(node) == "async_create_issue":
                    _collect_keyed(usage.issues, usage, module, tree, node)
                elif keyword(node, "translation_domain") is not None:
                    _collect_keyed(usage.exceptions, usage, module, tree, node)
                elif module in PLATFORMS:
                    _collect_entity(usage, module, tree, node)
            elif (
                isinstance(node, ast.Assign)
                and module in PLATFORMS
                and any(
                    isinstance(t, ast.Name) and t.id == "_attr_translation_key"
                    for t in node.targets
                )
            ):
                _add_entity_key(usage, module, node.value)
    if "config_flow" in package.trees:
        _collect_flow(usage, package.trees["config_flow"])
    return usage


def _strings_of(tree: ast.Module, node: ast.expr) -> set[str] | None:
    """Return the strings an expression can be: a literal, or what a helper returns."""
    if (value := const_str(node)) is not None:
        return {value}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        func = module_function(tree, node.func.id)
        if func is not None:
            values = [const_str(expr) for expr in returned(func)]
            if values and None not in values:
                return {v for v in values if v is not None}
    return None


def _collect_keyed(
    found: dict[str, list[frozenset[str] | None]],
    usage: Usage,
    module: str,
    tree: ast.Module,
    node: ast.Call,
) -> None:
    """Record an exception's or an issue's translation key and placeholders."""
    key_node = keyword(node, "translation_key")
    assert key_node is not None
    keys = _strings_of(tree, key_node)
    if keys is None:
        usage.unresolved.append(f"{module}.py:{node.lineno}: translation key")
        return
    given = keyword(node, "translation_placeholders")
    passed: frozenset[str] | None = frozenset()
    if given is not None:
        names = (
            [const_str(k) for k in given.keys]
            if isinstance(given, ast.Dict)
            else [None]
        )
        passed = None if None in names else frozenset(n for n in names if n)
    for key in keys:
        found.setdefault(key, []).append(passed)


def _collect_entity(
    usage: Usage, module: str, tree: ast.Module, node: ast.Call
) -> None:
    key = _add_entity_key(usage, module, keyword(node, "translation_key"))
    attributes_fn = keyword(node, "attributes_fn")
    if key is None or attributes_fn is None:
        return
    names: set[str] = set()
    if isinstance(attributes_fn, ast.Name) and (
        func := module_function(tree, attributes_fn.id)
    ):
        for expr in returned(func):
            if isinstance(expr, ast.Dict):
                names |= {k for k in map(const_str, expr.keys) if k}
    elif not isinstance(attributes_fn, ast.Lambda):
        usage.unresolved.append(f"{module}.py:{node.lineno}: attributes of {key}")
    usage.attributes[(module, key)] = names


def _add_entity_key(usage: Usage, module: str, node: ast.expr | None) -> str | None:
    key = const_str(node)
    if key is None:
        usage.unresolved.append(f"{module}.py: entity translation key")
        return None
    usage.entities.setdefault(module, set()).add(key)
    return key


def _collect_flow(usage: Usage, tree: ast.Module) -> None:
    for method in ast.walk(tree):
        if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(method):
                _collect_flow_node(usage, tree, method.name, node)


def _collect_flow_node(
    usage: Usage, tree: ast.Module, method: str, node: ast.AST
) -> None:
    if isinstance(node, ast.Assign) and (value := const_str(node.value)):
        if any(
            isinstance(t, ast.Subscript)
            and isinstance(t.value, ast.Name)
            and t.value.id == "errors"
            for t in node.targets
        ):
            usage.errors.add(value)
    elif isinstance(node, ast.Dict) and node.keys and _is_error_dict(node):
        usage.errors |= {v for v in map(const_str, node.values) if v}
    elif isinstance(node, ast.Call):
        _collect_flow_call(usage, tree, method, node)


def _is_error_dict(node: ast.Dict) -> bool:
    """Return whether a dict literal maps "base" or CONF_ fields to error keys."""
    return all(
        const_str(k) == "base" or (isinstance(k, ast.Name) and k.id.startswith("CONF_"))
        for k in node.keys
    ) and all(const_str(v) is not None for v in node.values)


# Abort reasons that Home Assistant's flow helpers raise on the flow's behalf.
DEFAULT_ABORTS: dict[str, str] = {
    "_abort_if_unique_id_configured": "already_configured",
    "_abort_if_unique_id_mismatch": "unique_id_mismatch",
}


def _collect_flow_call(
    usage: Usage, tree: ast.Module, method: str, node: ast.Call
) -> None:
    name = call_name(node)
    if name == "async_show_form":
        _collect_step(usage, tree, node)
    elif name == "async_abort":
        usage.aborts.add(const_str(keyword(node, "reason")) or "?")
    elif name in DEFAULT_ABORTS:
        reason = keyword(node, "error" if name.endswith("configured") else "reason")
        usage.aborts.add(const_str(reason) or DEFAULT_ABORTS[name])
    elif name in ("async_update_reload_and_abort", "async_update_and_abort"):
        default = (
            "reconfigure_successful" if "reconfigure" in method else "reauth_successful"
        )
        usage.aborts.add(const_str(keyword(node, "reason")) or default)
    elif name == "async_set_unique_id":
        progress = keyword(node, "raise_on_progress")
        if not (isinstance(progress, ast.Constant) and progress.value is False):
            usage.aborts.add("already_in_progress")


def _collect_step(usage: Usage, tree: ast.Module, node: ast.Call) -> None:
    step_id = const_str(keyword(node, "step_id"))
    if step_id is None:
        usage.unresolved.append(f"config_flow.py:{node.lineno}: step_id")
        return
    given = keyword(node, "description_placeholders")
    names = [const_str(k) for k in given.keys] if isinstance(given, ast.Dict) else []
    if given is not None and (not isinstance(given, ast.Dict) or None in names):
        usage.unresolved.append(f"config_flow.py:{node.lineno}: placeholders")
    schema = keyword(node, "data_schema")
    fields = frozenset() if schema is None else _schema_fields(tree, schema)
    usage.steps[step_id] = Step(fields, frozenset(n for n in names if n))


def _schema_fields(tree: ast.Module, node: ast.expr) -> frozenset[str] | None:
    """Return a form schema's field names: vol.Schema({...}) or a builder's result."""
    if not isinstance(node, ast.Call):
        return None
    name = call_name(node)
    if name == "Schema" and node.args and isinstance(node.args[0], ast.Dict):
        fields = set()
        for key in node.args[0].keys:
            if call_name(key) not in ("Required", "Optional"):
                return None
            assert isinstance(key, ast.Call)
            if (value := resolve_str(tree, key.args[0])) is None:
                return None
            fields.add(value)
        return frozenset(fields)
    if isinstance(node.func, ast.Name) and (func := module_function(tree, name or "")):
        results = {_schema_fields(tree, expr) for expr in returned(func)}
        return results.pop() if len(results) == 1 else None
    return None


def check_translation_usage(strings: dict[str, Any], usage: Usage) -> list[str]:
    """Check that en.json has every string the code uses, and nothing else."""
    problems = [f"not statically readable: {where}" for where in usage.unresolved]
    config = strings.get("config", {})
    problems += _compare("config.error", usage.errors, config.get("error", {}))
    problems += _compare("config.abort", usage.aborts, config.get("abort", {}))
    for section in ("error", "abort"):
        for key, value in config.get(section, {}).items():
            if placeholders(value):
                problems.append(f"config.{section}.{key}: placeholders, none passed")
    problems += _check_steps(usage.steps, config.get("step", {}))
    problems += _check_keyed(
        "exceptions", usage.exceptions, strings.get("exceptions", {}), ("message",)
    )
    problems += _check_keyed(
        "issues", usage.issues, strings.get("issues", {}), ("title", "description")
    )
    problems += _check_entities(usage, strings.get("entity", {}))
    return problems


def _compare(where: str, used: Iterable[str], present: Iterable[str]) -> list[str]:
    used, present = set(used), set(present)
    return [f"{where}.{key}: used but missing" for key in sorted(used - present)] + [
        f"{where}.{key}: stale, never used" for key in sorted(present - used)
    ]


def _check_steps(steps: dict[str, Step], translated: dict[str, Any]) -> list[str]:
    problems = _compare("config.step", steps, translated)
    for step_id in sorted(set(steps) & set(translated)):
        step, strings = steps[step_id], translated[step_id]
        where = f"config.step.{step_id}"
        if step.fields is not None:
            problems += _compare(f"{where}.data", step.fields, strings.get("data", {}))
        texts = [strings.get("title", ""), strings.get("description", "")]
        texts += [*strings.get("data", {}).values()]
        texts += [*strings.get("data_description", {}).values()]
        used = set().union(*(placeholders(t) for t in texts))
        if used != step.placeholders:
            problems.append(
                f"{where}: placeholders {sorted(used)} but the code passes "
                f"{sorted(step.placeholders)}"
            )
    return problems


def _check_keyed(
    section: str,
    used: dict[str, list[frozenset[str] | None]],
    translated: dict[str, Any],
    texts: tuple[str, ...],
) -> list[str]:
    """Compare keys, and each use's placeholders with those of the strings."""
    problems = _compare(section, used, translated)
    for key in sorted(set(used) & set(translated)):
        wanted = set().union(*(placeholders(translated[key].get(t, "")) for t in texts))
        for passed in used[key]:
            if passed is not None and set(passed) != wanted:
                problems.append(
                    f"{section}.{key}: strings use {sorted(wanted)}, "
                    f"the code passes {sorted(passed)}"
                )
    return problems


def _check_entities(usage: Usage, translated: dict[str, Any]) -> list[str]:
    problems = _compare("entity", usage.entities, translated)
    for platform in sorted(set(usage.entities) & set(translated)):
        keys, strings = usage.entities[platform], translated[platform]
        problems += _compare(f"entity.{platform}", keys, strings)
        for key in sorted(keys & set(strings)):
            if "name" not in strings[key]:
                problems.append(f"entity.{platform}.{key}: no name")
            problems += _compare(
                f"entity.{platform}.{key}.state_attributes",
                usage.attributes.get((platform, key), set()),
                strings[key].get("state_attributes", {}),
            )
    return problems


# --- icons.json --------------------------------------------------------------------

ICON = vol.Match(r"^mdi:[a-z0-9]+(-[a-z0-9]+)*$")
ICONS_SCHEMA = vol.Schema(
    {
        vol.Required("entity"): {
            vol.In(PLATFORMS): {
                KEY: {
                    vol.Optional("default"): ICON,
                    vol.Optional("state"): {KEY: ICON},
                    vol.Optional("state_attributes"): {
                        KEY: {
                            vol.Optional("default"): ICON,
                            vol.Optional("state"): {KEY: ICON},
                        }
                    },
                }
            }
        },
        vol.Optional("services"): {KEY: vol.Any(ICON, {vol.Required("service"): ICON})},
    }
)
ON_OFF_PLATFORMS = frozenset({"binary_sensor", "switch"})


def check_icons(icons: object, entities: dict[str, set[str]]) -> list[str]:
    """Check icons.json: mdi icons for exactly the entities' translation keys."""
    problems = problems_of(ICONS_SCHEMA, icons)
    if problems or not isinstance(icons, dict):
        return problems
    icon_keys = {platform: set(keys) for platform, keys in icons["entity"].items()}
    problems += _compare("entity", entities, icon_keys)
    for platform in sorted(set(entities) & set(icon_keys)):
        problems += _compare(
            f"entity.{platform}", entities[platform], icon_keys[platform]
        )
        if platform in ON_OFF_PLATFORMS:
            for key, icon in icons["entity"][platform].items():
                if extra := set(icon.get("state", {})) - {"on", "off"}:
                    problems.append(f"entity.{platform}.{key}: states {extra}")
    return problems


# --- quality_scale.yaml ------------------------------------------------------------

STATUSES = frozenset({"done", "todo", "exempt"})


def rule_statuses(scale: dict[str, Any]) -> dict[str, str]:
    """Return each rule's status from quality_scale.yaml's data."""
    return {
        rule: value if isinstance(value, str) else value.get("status", "?")
        for rule, value in (scale.get("rules") or {}).items()
    }


def check_quality_scale(scale: object) -> list[str]:
    """Check quality_scale.yaml: every rule, a valid status, exemptions explained."""
    if not isinstance(scale, dict) or not isinstance(scale.get("rules"), dict):
        return ["quality_scale.yaml must have a rules mapping"]
    rules = scale["rules"]
    problems = _compare("rules", QUALITY_SCALE_RULES, rules)
    for rule, value in rules.items():
        status = value if isinstance(value, str) else value.get("status")
        if status not in STATUSES:
            problems.append(f"{rule}: status {status!r}")
        comment = value.get("comment") if isinstance(value, dict) else None
        if status == "exempt" and not (isinstance(comment, str) and comment.strip()):
            problems.append(f"{rule}: exempt without a comment saying why")
    return problems


def _defines(package: Package, module: str, name: str) -> bool:
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
        for node in package.nodes(module)
    )


def _calls(package: Package, name: str, module: str | None = None) -> bool:
    return any(call_name(node) == name for node in package.nodes(module))


def _has_assignment(package: Package, module: str, name: str, value: object) -> bool:
    """Return whether module assigns name (a plain name or self.name) the value."""
    for node in package.nodes(module):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            target_name = (
                target.id
                if isinstance(target, ast.Name)
                else target.attr
                if isinstance(target, ast.Attribute)
                else None
            )
            if target_name == name and (
                value is ...
                or (isinstance(node.value, ast.Constant) and node.value.value == value)
            ):
                return True
    return False


def _runtime_data(package: Package) -> bool:
    stored = any(
        isinstance(node, ast.Attribute)
        and node.attr == "runtime_data"
        and isinstance(node.ctx, ast.Store)
        for node in package.nodes("__init__")
    )
    hass_data = any(
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "data"
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "hass"
        for node in package.nodes()
    )
    return stored and not hass_data


def _parallel_updates(package: Package) -> bool:
    platforms = [m for m in package.sources if m in PLATFORMS]
    return bool(platforms) and all(
        any(
            isinstance(node, ast.Assign)
            and any(
                isinstance(t, ast.Name) and t.id == "PARALLEL_UPDATES"
                for t in node.targets
            )
            for node in package.trees[m].body
        )
        for m in platforms
    )


def _strict_typing(package: Package) -> bool:
    mypy = package.pyproject.get("tool", {}).get("mypy", {})
    files = mypy.get("files", [])
    targeted = "custom_components" in files or re.search(
        r"(mypy|TYPED=\().*custom_components", package.test_script
    )
    return mypy.get("strict") is True and bool(targeted)


# Exceptions that reach the user: each must carry a translation key.
USER_FACING_ERRORS = frozenset(
    {
        "HomeAssistantError",
        "ServiceValidationError",
        "UpdateFailed",
        "ConfigEntryAuthFailed",
        "ConfigEntryNotReady",
        "ConfigEntryError",
    }
)


def _translated_exceptions(package: Package) -> bool:
    return all(
        keyword(node, "translation_key") is not None
        for node in package.nodes()
        if call_name(node) in USER_FACING_ERRORS
    )


def _registers_actions(package: Package) -> bool:
    return any(
        call_name(node)
        in (
            "async_register",
            "async_register_entity_service",
            "async_register_admin_service",
        )
        for node in package.nodes()
    )


DISCOVERY_KEYS = ("bluetooth", "dhcp", "homekit", "mqtt", "ssdp", "usb", "zeroconf")


def _readme_section(pattern: str) -> Callable[[Package], bool]:
    def check(package: Package) -> bool:
        return re.search(pattern, package.readme, re.MULTILINE) is not None

    return check


def _config_flow(package: Package) -> bool:
    return (
        package.manifest.get("config_flow") is True
        and _defines(package, "config_flow", "async_step_user")
        and any(
            kw.arg == "domain"
            for node in package.nodes("config_flow")
            if isinstance(node, ast.ClassDef)
            for kw in node.keywords
        )
    )


def _polls(package: Package) -> bool:
    return any(
        isinstance(node, ast.keyword) and node.arg == "update_interval"
        for node in package.nodes("coordinator")
    )


def _entity_translations(package: Package) -> bool:
    usage = collect_usage(package)
    return bool(usage.entities) and not usage.unresolved


def _shared_session(package: Package) -> bool:
    # The client may open its own session when none is given; nothing else may.
    return _calls(package, "async_get_clientsession") and not any(
        call_name(node) == "ClientSession"
        for module in package.trees
        if module != "api"
        for node in package.nodes(module)
    )


def _async_client(package: Package) -> bool:
    imported = {
        (alias.name if isinstance(node, ast.Import) else node.module or "").split(".")[
            0
        ]
        for node in package.nodes()
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    return "aiohttp" in imported and not imported & {"requests", "urllib3"}


def _coverage_enforced(package: Package) -> bool:
    report = package.pyproject.get("tool", {}).get("coverage", {}).get("report", {})
    return report.get("fail_under", 0) >= 95


def _tracks_events(package: Package) -> bool:
    return any(
        (name := call_name(node)) is not None and name.startswith("async_track_")
        for node in package.nodes()
    )


def _discoverable(package: Package) -> bool:
    return any(key in package.manifest for key in DISCOVERY_KEYS)


# What "done" promises, checked in the code. Rules not listed (the quality of
# the docs, tests, device classes and categories) are left to a reviewer.
DONE_CHECKS: dict[str, Callable[[Package], bool]] = {
    "appropriate-polling": _polls,
    "async-dependency": _async_client,
    "brands": lambda p: {"brand/icon.png", "brand/icon@2x.png"} <= p.files,
    "config-entry-unloading": lambda p: _defines(p, "__init__", "async_unload_entry"),
    "config-flow": _config_flow,
    "dependency-transparency": lambda p: all(
        PINNED_REQUIREMENT.match(r) for r in p.manifest.get("requirements", [])
    ),
    "devices": lambda p: _calls(p, "DeviceInfo", "entity"),
    "diagnostics": lambda p: _defines(
        p, "diagnostics", "async_get_config_entry_diagnostics"
    ),
    "docs-data-update": _readme_section(r"^#+ How data is updated"),
    "docs-examples": _readme_section(r"^## Examples"),
    "docs-installation-instructions": _readme_section(r"^## Installation"),
    "docs-installation-parameters": _readme_section(r"^## Configuration"),
    "docs-known-limitations": _readme_section(r"^## Known limitations"),
    "docs-removal-instructions": _readme_section(r"^## Removal"),
    "docs-supported-functions": _readme_section(r"^## Entities"),
    "docs-troubleshooting": _readme_section(r"^## Troubleshooting"),
    "entity-translations": _entity_translations,
    "entity-unavailable": lambda p: _calls(p, "UpdateFailed", "coordinator"),
    "entity-unique-id": lambda p: _has_assignment(p, "entity", "_attr_unique_id", ...),
    "exception-translations": _translated_exceptions,
    "has-entity-name": lambda p: _has_assignment(
        p, "entity", "_attr_has_entity_name", True
    ),
    "icon-translations": lambda p: "icons.json" in p.files,
    "inject-websession": _shared_session,
    "integration-owner": lambda p: bool(p.manifest.get("codeowners")),
    "parallel-updates": _parallel_updates,
    "reauthentication-flow": lambda p: _defines(p, "config_flow", "async_step_reauth")
    and _calls(p, "ConfigEntryAuthFailed"),
    "repair-issues": lambda p: _calls(p, "async_create_issue"),
    "reconfiguration-flow": lambda p: _defines(
        p, "config_flow", "async_step_reconfigure"
    ),
    "runtime-data": _runtime_data,
    "strict-typing": _strict_typing,
    "test-before-configure": lambda p: _calls(p, "get_status", "config_flow"),
    "test-before-setup": lambda p: _calls(
        p, "async_config_entry_first_refresh", "__init__"
    ),
    "test-coverage": _coverage_enforced,
    "unique-config-entry": lambda p: _calls(p, "async_set_unique_id", "config_flow")
    and _calls(p, "_abort_if_unique_id_configured", "config_flow"),
}
# What an exemption claims, checked in the code.
EXEMPT_CHECKS: dict[str, Callable[[Package], bool]] = {
    "action-setup": lambda p: not _registers_actions(p),
    "docs-actions": lambda p: not _registers_actions(p),
    "discovery": lambda p: not _discoverable(p),
    "discovery-update-info": lambda p: not _discoverable(p),
    "entity-event-setup": lambda p: not _tracks_events(p),
}


def check_rules_against_code(scale: dict[str, Any], package: Package) -> list[str]:
    """Check that what quality_scale.yaml claims holds in the code."""
    problems = []
    for rule, status in rule_statuses(scale).items():
        checks = {"done": DONE_CHECKS, "exempt": EXEMPT_CHECKS}.get(status, {})
        if rule in checks and not checks[rule](package):
            problems.append(f"{rule} is marked {status}, but the code disagrees")
    return problems


# --- brand, license ------------------------------------------------------------------


def check_png(path: Path, size: int) -> list[str]:
    """Check that a file is a PNG image of size x size pixels."""
    try:
        with Image.open(path) as image:
            kind, dimensions = image.format, image.size
    except (OSError, Image.UnidentifiedImageError) as err:
        return [f"{path.name}: not an image ({err})"]
    problems = [] if kind == "PNG" else [f"{path.name}: {kind}, not PNG"]
    if dimensions != (size, size):
        problems.append(
            f"{path.name}: {dimensions[0]}x{dimensions[1]}, not {size}x{size}"
        )
    return problems


# The MIT license's text after its copyright line (opensource.org/license/mit).
MIT_BODY = """
Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def check_license(text: str, *, declared: str) -> list[str]:
    """Check that LICENSE is the unmodified MIT license text with a copyright line."""
    lines = text.strip().splitlines()
    problems = [] if declared == "MIT" else [f"pyproject declares {declared!r}"]
    if not lines or lines[0].strip() != "MIT License":
        problems.append("LICENSE does not start with 'MIT License'")
    if not any(re.match(r"^Copyright \(c\) \d{4}", line) for line in lines):
        problems.append("LICENSE has no copyright line")
    if " ".join(MIT_BODY.split()) not in " ".join(text.split()):
        problems.append("LICENSE text differs from the MIT license")
    return problems


# --- Tests: the real files -------------------------------------------------------


@pytest.fixture(scope="module")
def package() -> Package:
    """Return the real integration."""
    return Package.load()


@pytest.fixture(scope="module")
def strings() -> dict[str, Any]:
    """Return translations/en.json."""
    return load_json(PACKAGE_DIR / "translations" / "en.json")


@pytest.fixture(scope="module")
def scale() -> dict[str, Any]:
    """Return quality_scale.yaml."""
    return yaml.safe_load((PACKAGE_DIR / "quality_scale.yaml").read_text())


def test_manifest(package: Package) -> None:
    """manifest.json passes hassfest's and HACS's checks; version = the client's."""
    assert (
        check_manifest(package.manifest, folder=PACKAGE_DIR.name, version=api.VERSION)
        == []
    )


def test_domain_is_not_built_in(package: Package) -> None:
    """The domain does not shadow a core integration."""
    domain = package.manifest["domain"]
    assert importlib.util.find_spec(f"homeassistant.components.{domain}") is None


def test_dependencies(package: Package) -> None:
    """Every component imported at run time is allowed without a dependency."""
    assert check_dependencies(package) == []


def test_hacs() -> None:
    """hacs.json: known keys, a name, and the minimum version the tests run."""
    assert check_hacs(load_json(ROOT / "hacs.json"), ha_version=ha_version) == []


def test_translation_file(strings: dict[str, Any]) -> None:
    """en.json has hassfest's structure; no HTML, URLs or bad placeholders."""
    assert check_translation_file(strings) == []


def test_translation_usage(package: Package, strings: dict[str, Any]) -> None:
    """en.json has every string the code uses and none it does not."""
    usage = collect_usage(package)
    # The collector found what is there: a silent collector would pass anything.
    assert usage.entities == {
        "binary_sensor": {"no_signal"},
        "select": {"preset"},
        "sensor": {"recording_file", "recording_started"},
        "switch": {"recording"},
    }
    assert {"user", "reauth_confirm", "reconfigure"} <= set(usage.steps)
    assert {"cannot_connect", "invalid_auth"} <= usage.errors
    assert check_translation_usage(strings, usage) == []


def test_icons(package: Package) -> None:
    """icons.json has an mdi icon for exactly the entities' translation keys."""
    icons = load_json(PACKAGE_DIR / "icons.json")
    assert check_icons(icons, collect_usage(package).entities) == []


def test_quality_scale(scale: dict[str, Any], package: Package) -> None:
    """quality_scale.yaml lists every rule, explains exemptions and matches the code."""
    assert check_quality_scale(scale) == []
    assert check_rules_against_code(scale, package) == []


def test_rule_list_matches_core() -> None:
    """The hard-coded rule ids are those the installed core integrations use."""
    components = Path(importlib.import_module("homeassistant.components").__path__[0])
    used = {
        rule
        for path in components.glob("*/quality_scale.yaml")
        for rule in (yaml.safe_load(path.read_text()) or {}).get("rules", {})
    }
    assert used, "no core quality_scale.yaml found"
    assert used == set(QUALITY_SCALE_RULES)


@pytest.mark.parametrize(("name", "size"), [("icon.png", 256), ("icon@2x.png", 512)])
def test_brand_icons(name: str, size: int) -> None:
    """The brand icons are PNG files of the sizes Home Assistant's brands use."""
    assert check_png(PACKAGE_DIR / "brand" / name, size) == []


def test_license() -> None:
    """LICENSE is the MIT license, as pyproject.toml declares."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "license"
    ]
    assert check_license((ROOT / "LICENSE").read_text(), declared=declared) == []


def test_changelog_names_the_version() -> None:
    """The newest CHANGELOG entry is the manifest's version."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    heading = re.search(r"^## \[?(\S+?)\]?(\s|$)", changelog, re.MULTILINE)
    assert heading is not None
    assert heading.group(1) == load_json(PACKAGE_DIR / "manifest.json")["version"]


# --- Tests: broken samples fail ------------------------------------------------------


def _manifest(**changes: Any) -> dict[str, Any]:
    manifest = load_json(PACKAGE_DIR / "manifest.json")
    for key, value in changes.items():
        if value is None:
            del manifest[key]
        else:
            manifest[key] = value
    return manifest


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        pytest.param(
            {"name": "X", **_manifest(name=None)}, "keys must be", id="name-first"
        ),
        pytest.param(
            dict(reversed(_manifest().items())), "keys must be", id="reversed"
        ),
        pytest.param(_manifest(version=None), "missing key version", id="no-version"),
        pytest.param(
            _manifest(issue_tracker=None), "missing key issue_tracker", id="no-tracker"
        ),
        pytest.param(_manifest(homepage="https://x.org"), "unknown key", id="unknown"),
        pytest.param(
            _manifest(documentation="http://example.org"), "not an https", id="http"
        ),
        pytest.param(_manifest(domain="other"), "not the folder", id="domain"),
        pytest.param(_manifest(version="0.2.0"), "not the client's", id="version"),
        pytest.param(_manifest(version="banana"), "not a version", id="bad-version"),
        pytest.param(_manifest(iot_class="local"), "iot_class", id="iot-class"),
        pytest.param(
            _manifest(integration_type="gadget"), "integration_type", id="type"
        ),
        pytest.param(_manifest(codeowners=["someone"]), "codeowners", id="owner"),
        pytest.param(_manifest(requirements=["aiohttp>=3"]), "pinned", id="unpinned"),
        pytest.param(_manifest(config_flow="yes"), "config_flow", id="config-flow"),
    ],
)
def test_manifest_check_fails(manifest: dict[str, Any], expected: str) -> None:
    """Each kind of manifest mistake is reported."""
    problems = check_manifest(manifest, folder="mediascribe", version="0.1.0")
    assert any(expected in problem for problem in problems), problems


def test_dependencies_check_fails(package: Package) -> None:
    """Importing another component at run time needs a dependency."""
    broken = package.with_source(
        "switch",
        "from .entity import",
        "from homeassistant.components.recorder import get_instance\n"
        "from .entity import",
    )
    assert check_dependencies(broken) == [
        "switch.py imports component recorder, "
        "which is not in dependencies or after_dependencies"
    ]


@pytest.mark.parametrize(
    ("hacs", "expected"),
    [
        ({"name": "X", "homeassistant": "2026.2.0", "domains": ["x"]}, "unknown key"),
        ({"homeassistant": "2026.2.0"}, "name is missing"),
        ({"name": "X", "homeassistant": "2025.1.0"}, "must be 2026.2.0"),
        ({"name": "X"}, "must be 2026.2.0"),
    ],
)
def test_hacs_check_fails(hacs: dict[str, Any], expected: str) -> None:
    """Unknown keys, no name, or a minimum version the tests do not run fail."""
    problems = check_hacs(hacs, ha_version="2026.2.3")
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Press <b>OK</b>", "HTML"),
        ("See https://mediascribe.example.org for help", "URLs"),
        ("Visit www.example.org", "URLs"),
        (" Leading space", "spaces"),
        ("[%key:common::config_flow::error::cannot_connect%]", "references"),
        ("Server '{name}' failed", "single quotes"),
        ("Broken {placeholder", "malformed"),
        ("", "non-empty"),
    ],
)
def test_translation_file_check_fails(
    strings: dict[str, Any], value: str, expected: str
) -> None:
    """A bad string anywhere in en.json is reported."""
    broken = copy.deepcopy(strings)
    broken["config"]["error"]["cannot_connect"] = value
    problems = check_translation_file(broken)
    assert any(expected in problem for problem in problems), problems


def _pop(*path: str) -> Callable[[dict[str, Any]], None]:
    """Return an edit that deletes the key at path."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = path
        for key in parents:
            data = data[key]
        del data[last]

    return edit


def _set(*path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """Return an edit that sets the key at path."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = path
        for key in parents:
            data = data[key]
        data[last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            _set("entity", "switch", "recording", "state", value={"on": "{x}"}),
            "placeholders are not supported",
        ),
        (
            _set("config", "step", "user", "data_description", "port", value="Port"),
            "data_description of unknown",
        ),
        (_set("entity", "gadget", value={}), "entity.gadget"),
        (_set("exceptions", "Bad_Key", value={"message": "x"}), "Bad_Key"),
    ],
)
def test_translation_structure_check_fails(
    strings: dict[str, Any], edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    """State placeholders, undescribed fields, unknown platforms, bad keys fail."""
    broken = copy.deepcopy(strings)
    edit(broken)
    problems = check_translation_file(broken)
    assert any(expected in problem for problem in problems), problems


FLOW_STEPS = ("config", "step")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_pop("config", "error", "invalid_url"), "error.invalid_url: used but missing"),
        (_set("config", "error", "old", value="Old"), "config.error.old: stale"),
        (_pop("config", "abort", "already_configured"), "already_configured: used"),
        (_pop("config", "abort", "already_in_progress"), "already_in_progress: used"),
        (_pop("config", "abort", "reauth_successful"), "reauth_successful: used"),
        (_pop(*FLOW_STEPS, "reconfigure"), "config.step.reconfigure: used but missing"),
        (_pop(*FLOW_STEPS, "user", "data", "verify_ssl"), "data.verify_ssl: used but"),
        (
            _set(*FLOW_STEPS, "user", "data", "port", value="Port"),
            "user.data.port: stale",
        ),
        (
            _set(*FLOW_STEPS, "reauth_confirm", "title", value="Token"),
            "placeholders ['url']",
        ),
        (
            _set(*FLOW_STEPS, "user", "title", value="Add {name}"),
            "placeholders ['name']",
        ),
        (_pop("exceptions", "preset_not_applied"), "preset_not_applied: used but"),
        (_set("exceptions", "gone", value={"message": "x"}), "exceptions.gone: stale"),
        (
            _set("exceptions", "cannot_connect", "message", value="Down"),
            "exceptions.cannot_connect: strings use []",
        ),
        (
            _set("exceptions", "invalid_response", "message", value="{detail}"),
            "exceptions.invalid_response: strings use ['detail']",
        ),
        (_pop("entity", "sensor", "recording_file"), "recording_file: used but"),
        (
            _set("entity", "switch", "standby", value={"name": "Standby"}),
            "entity.switch.standby: stale",
        ),
        (
            _pop("entity", "sensor", "recording_file", "state_attributes", "path"),
            "state_attributes.path: used but missing",
        ),
        (
            _set(
                "entity",
                "sensor",
                "recording_started",
                "state_attributes",
                value={"x": {"name": "X"}},
            ),
            "state_attributes.x: stale",
        ),
        (_pop("entity", "select", "preset", "name"), "preset: no name"),
        (_pop("issues", "token_unencrypted"), "token_unencrypted: used but missing"),
        (
            _set("issues", "token_unencrypted", "title", value="Token of {site}"),
            "issues.token_unencrypted: strings use ['name', 'site', 'url']",
        ),
        (
            _set("config", "error", "cannot_connect", value="Cannot reach {url}"),
            "cannot_connect: placeholders",
        ),
    ],
)
def test_translation_usage_check_fails(
    package: Package,
    strings: dict[str, Any],
    edit: Callable[[dict[str, Any]], None],
    expected: str,
) -> None:
    """Missing, stale and mismatched strings are each reported."""
    broken = copy.deepcopy(strings)
    edit(broken)
    problems = check_translation_usage(broken, collect_usage(package))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("module", "old", "new", "expected"),
    [
        ("config_flow", '"invalid_url"', '"bad_url"', "error.bad_url: used"),
        ("config_flow", '{"base": "unknown"}', '{"base": "oops"}', "error.oops: used"),
        (
            "config_flow",
            "self._abort_if_unique_id_configured()",
            'return self.async_abort(reason="duplicate")',
            "config.abort.duplicate: used but missing",
        ),
        (
            "select",
            'translation_key="unknown_preset"',
            'translation_key="no_preset"',
            "exceptions.no_preset: used but missing",
        ),
        (
            "select",
            'placeholders={"option": option},\n            )\n        client',
            'placeholders={"choice": option},\n            )\n        client',
            "the code passes ['choice']",
        ),
        (
            "coordinator",
            'return "invalid_response"',
            'return "bad_response"',
            "exceptions.bad_response: used but missing",
        ),
        (
            "coordinator",
            "translation_key=_error_key(err)",
            "translation_key=str(err)",
            "not statically readable",
        ),
        (
            "__init__",
            'translation_key="token_unencrypted"',
            'translation_key="token_plain"',
            "issues.token_plain: used but missing",
        ),
        (
            "switch",
            'translation_key="recording"',
            'translation_key="capture"',
            "entity.switch.capture: used but missing",
        ),
        (
            "sensor",
            '"file_name": PureWindowsPath',
            '"name": PureWindowsPath',
            "state_attributes.name: used but missing",
        ),
        (
            "config_flow",
            'step_id="reauth_confirm"',
            'step_id="reauth_token"',
            "config.step.reauth_token: used but missing",
        ),
        (
            "config_flow",
            '"url": entry.data[CONF_URL]}',
            '"address": entry.data[CONF_URL]}',
            "the code passes ['address', 'name']",
        ),
        (
            "config_flow",
            "CONF_VERIFY_SSL, default=",
            '"port", default=',
            "data.port: used but missing",
        ),
    ],
)
def test_usage_collector_sees_code_changes(
    package: Package,
    strings: dict[str, Any],
    module: str,
    old: str,
    new: str,
    expected: str,
) -> None:
    """A changed key, reason, placeholder or field in the code makes en.json wrong."""
    broken = package.with_source(module, old, new)
    problems = check_translation_usage(strings, collect_usage(broken))
    assert any(expected in problem for problem in problems), problems


ICON_SWITCH = ("entity", "switch", "recording")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_set(*ICON_SWITCH, "default", value="record"), "recording.default"),
        (_set(*ICON_SWITCH, "state", "paused", value="mdi:pause"), "{'paused'}"),
        (_pop("entity", "sensor", "recording_file"), "recording_file: used but"),
        (_set("entity", "select", "mode", value={}), "entity.select.mode: stale"),
        (_pop("entity"), "entity"),
    ],
)
def test_icons_check_fails(
    package: Package, edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    """Icons that are not mdi, or that do not match the entities, are reported."""
    icons = load_json(PACKAGE_DIR / "icons.json")
    edit(icons)
    problems = check_icons(icons, collect_usage(package).entities)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_pop("rules", "strict-typing"), "rules.strict-typing: used but missing"),
        (_set("rules", "brand-new-rule", value="done"), "rules.brand-new-rule: stale"),
        (
            _set("rules", "discovery", value={"status": "exempt"}),
            "discovery: exempt without",
        ),
        (
            _set("rules", "discovery", value={"status": "exempt", "comment": " "}),
            "discovery: exempt without",
        ),
        (_set("rules", "brands", value="finished"), "brands: status 'finished'"),
        (_pop("rules"), "must have a rules mapping"),
    ],
)
def test_quality_scale_check_fails(
    scale: dict[str, Any], edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    """A missing or unknown rule, an unexplained exemption or a bad status fail."""
    broken = copy.deepcopy(scale)
    edit(broken)
    problems = check_quality_scale(broken)
    assert any(expected in problem for problem in problems), problems


def _tool(package: Package, section: str, value: dict[str, Any]) -> Package:
    """Return a copy with one [tool.*] section of pyproject.toml replaced."""
    tool = {**package.pyproject["tool"], section: value}
    return replace(package, pyproject={**package.pyproject, "tool": tool})


def _without(package: Package, module: str) -> Package:
    sources = {name: src for name, src in package.sources.items() if name != module}
    return replace(package, sources=sources)


BREAKS: list[tuple[str, Callable[[Package], Package]]] = [
    (
        "config-flow",
        lambda p: replace(p, manifest={**p.manifest, "config_flow": False}),
    ),
    (
        "runtime-data",
        lambda p: p.with_source(
            "__init__", "entry.runtime_data = coordinator", "hass.data[DOMAIN] = 1"
        ),
    ),
    (
        "unique-config-entry",
        lambda p: p.with_source(
            "config_flow", "self._abort_if_unique_id_configured()", "pass"
        ),
    ),
    (
        "test-before-setup",
        lambda p: p.with_source(
            "__init__", "await coordinator.async_config_entry_first_refresh()", ""
        ),
    ),
    (
        "config-entry-unloading",
        lambda p: p.with_source("__init__", "def async_unload_entry", "def unload"),
    ),
    (
        "reauthentication-flow",
        lambda p: p.with_source("config_flow", "def async_step_reauth(", "def renew("),
    ),
    (
        "reconfiguration-flow",
        lambda p: p.with_source("config_flow", "def async_step_reconfigure", "def c"),
    ),
    ("parallel-updates", lambda p: p.with_source("switch", "PARALLEL_UPDATES = 1", "")),
    ("diagnostics", lambda p: _without(p, "diagnostics")),
    (
        "has-entity-name",
        lambda p: p.with_source("entity", "entity_name = True", "entity_name = False"),
    ),
    (
        "entity-unique-id",
        lambda p: p.with_source("entity", "self._attr_unique_id = ", "unique_id = "),
    ),
    ("strict-typing", lambda p: _tool(p, "mypy", {"strict": False})),
    ("strict-typing", lambda p: replace(p, test_script="mypy simulator")),
    (
        "exception-translations",
        lambda p: p.with_source(
            "select",
            "raise ServiceValidationError(",
            'raise HomeAssistantError("no such preset")\n'
            "            raise ServiceValidationError(",
        ),
    ),
    (
        "inject-websession",
        lambda p: p.with_source(
            "coordinator",
            "async_get_clientsession(hass, verify_ssl=entry.data[CONF_VERIFY_SSL])",
            "aiohttp.ClientSession()",
        ),
    ),
    ("brands", lambda p: replace(p, files=p.files - {"brand/icon@2x.png"})),
    (
        "repair-issues",
        lambda p: p.with_source("__init__", "ir.async_create_issue(", "print("),
    ),
    ("test-coverage", lambda p: _tool(p, "coverage", {})),
    (
        "docs-removal-instructions",
        lambda p: replace(p, readme=p.readme.replace("## Removal", "## Uninstall")),
    ),
    (
        "action-setup",
        lambda p: p.with_source(
            "__init__",
            "    return True\n",
            '    hass.services.async_register(DOMAIN, "x", print)\n    return True\n',
        ),
    ),
    (
        "discovery",
        lambda p: replace(p, manifest={**p.manifest, "zeroconf": ["_ms._tcp.local."]}),
    ),
    (
        "entity-event-setup",
        lambda p: p.with_source(
            "switch",
            "    async def async_turn_on",
            "    def hook(self):\n        async_track_time_interval(1, 2, 3)\n\n"
            "    async def async_turn_on",
        ),
    ),
]


@pytest.mark.parametrize(("rule", "break_it"), BREAKS)
def test_rules_check_fails(
    scale: dict[str, Any],
    package: Package,
    rule: str,
    break_it: Callable[[Package], Package],
) -> None:
    """Code that breaks what a rule's status claims makes that rule fail."""
    problems = check_rules_against_code(scale, break_it(package))
    status = rule_statuses(scale)[rule]
    assert f"{rule} is marked {status}, but the code disagrees" in problems


def test_png_check_fails(tmp_path: Path) -> None:
    """A wrong size, a JPEG, or not an image at all are reported."""
    Image.new("RGBA", (128, 128)).save(small := tmp_path / "small.png")
    Image.new("RGB", (256, 256)).save(jpeg := tmp_path / "icon.jpg", "JPEG")
    (text_file := tmp_path / "text.png").write_text("not a picture")
    assert check_png(small, 256) == ["small.png: 128x128, not 256x256"]
    assert check_png(jpeg, 256) == ["icon.jpg: JPEG, not PNG"]
    assert check_png(text_file, 256)[0].startswith("text.png: not an image")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("MIT License", "License"), "does not start"),
        (lambda t: t.replace("Copyright (c) 2026", "(c) 2026"), "no copyright"),
        (lambda t: t.replace("free of charge", "for a fee"), "differs"),
        (lambda t: t.split("THE SOFTWARE IS")[0], "differs"),
    ],
)
def test_license_check_fails(edit: Callable[[str], str], expected: str) -> None:
    """A changed or truncated license text is reported."""
    problems = check_license(edit((ROOT / "LICENSE").read_text()), declared="MIT")
    assert any(expected in problem for problem in problems), problems
    assert check_license((ROOT / "LICENSE").read_text(), declared="Apache-2.0")
