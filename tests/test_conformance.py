"""Conformance: what hassfest and the HACS action check, through Home Assistant.

Manifest, strings, icons, forms and entities come from Home Assistant's own
loader, helpers, flow manager and registry; expectations come from the code,
not from lists kept here. Each check returns its problems and also runs on a
broken sample, so a check that stopped looking fails.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
import string
from typing import TYPE_CHECKING, Any, get_args, get_type_hints

from awesomeversion import AwesomeVersion
import homeassistant.components
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import __version__ as ha_version
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import async_get_platforms
from homeassistant.helpers.icon import async_get_icons
from homeassistant.helpers.translation import async_get_translations
from homeassistant.loader import Manifest, async_get_custom_components
from PIL import Image
import pytest
import yaml

from custom_components.mediascribe.const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "custom_components" / DOMAIN
PREFIX = f"component.{DOMAIN}."
INTEGRATION_TYPES = frozenset(get_args(get_type_hints(Manifest)["integration_type"]))
IOT_CLASSES = frozenset(
    {"assumed_state", "calculated", "cloud_polling", "cloud_push"}
    | {"local_polling", "local_push"}
)
# Abort reasons Home Assistant's config flow helpers give on the flow's behalf.
IMPLIED_ABORTS = {
    "_abort_if_unique_id_configured": "already_configured",
    "_async_abort_entries_match": "already_configured",
    "async_set_unique_id": "already_in_progress",
    "_abort_if_unique_id_mismatch": "unique_id_mismatch",
}
# hassfest's rule for translation keys: lower case, no doubled or edge _ or -.
KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")


def placeholders(text: str) -> set[str]:
    """Return the {placeholders} of a translated string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def compare(where: str, used: Iterable[str], present: Iterable[str]) -> list[str]:
    """Report what the code uses that is missing, and what is there unused."""
    used, present = set(used), set(present)
    return [f"{where}.{key}: used but missing" for key in sorted(used - present)] + [
        f"{where}.{key}: stale, never used" for key in sorted(present - used)
    ]


def below(strings: dict[str, str], path: str) -> dict[str, str]:
    """Return the flat strings under path, keyed by what follows it."""
    return {
        k[len(path) + 1 :]: v for k, v in strings.items() if k.startswith(f"{path}.")
    }


# --- What the code uses, read from its syntax trees -----------------------------


def source_trees() -> dict[str, ast.Module]:
    """Parse every module of the integration."""
    return {p.stem: ast.parse(p.read_text()) for p in sorted(PACKAGE_DIR.glob("*.py"))}


def code_keys(
    trees: dict[str, ast.Module],
) -> dict[str, dict[str, list[set[str] | None]]]:
    """Return exception and issue keys with the placeholders each call passes.

    A key built by an f-string stands for every key it matches; one returned by
    a module function for each string that function returns.
    """
    found: dict[str, dict[str, list[set[str] | None]]] = {
        "exceptions": {},
        "issues": {},
    }
    for tree in trees.values():
        for node in ast.walk(tree):
            kw = {k.arg: k.value for k in getattr(node, "keywords", [])}
            if not isinstance(node, ast.Call) or "translation_key" not in kw:
                continue
            if call_name(node) == "async_create_issue":
                section = "issues"
            elif "translation_domain" in kw:
                section = "exceptions"
            else:
                continue
            given = kw.get("translation_placeholders")
            passed = (
                {getattr(k, "value", None) for k in given.keys}
                if isinstance(given, ast.Dict)
                else (set() if given is None else None)
            )
            if passed and None in passed:  # **mapping: names unknown
                passed = None
            for key in key_values(tree, kw["translation_key"]):
                found[section].setdefault(key, []).append(passed)
    return found


def key_values(tree: ast.Module, node: ast.expr) -> list[str]:
    """Return the keys an expression can be: literals, f-string patterns."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [pattern(node)]
    if isinstance(node, ast.IfExp):
        return key_values(tree, node.body) + key_values(tree, node.orelse)
    if isinstance(node, ast.Name):  # a variable: every value assigned to it
        return [
            key
            for assign in ast.walk(tree)
            if isinstance(assign, ast.Assign | ast.AnnAssign)
            and node.id in {getattr(t, "id", None) for t in _targets(assign)}
            and assign.value is not None
            for key in key_values(tree, assign.value)
        ]
    name = call_name(node)
    return [
        value.value
        for func in tree.body
        if isinstance(func, ast.FunctionDef) and func.name == name
        for value in ast.walk(func)
        if isinstance(value, ast.Constant) and KEY.match(str(value.value))
    ]


def _targets(assign: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    """Return what an assignment assigns to, chained targets included."""
    if isinstance(assign, ast.AnnAssign):
        return [assign.target]
    return [e for t in assign.targets for e in getattr(t, "elts", [t])]


def pattern(node: ast.JoinedStr) -> str:
    """Return an f-string as a regular expression: f"{x}_done" -> '(.+)_done'."""
    return "".join(
        re.escape(part.value) if isinstance(part, ast.Constant) else "(.+)"
        for part in node.values
    )


def call_name(node: ast.AST) -> str | None:
    """Return the called function's last name: `a.b.c(...)` -> 'c'."""
    func = node.func if isinstance(node, ast.Call) else None
    return getattr(func, "attr", None) or getattr(func, "id", None)


def flow_keys(tree: ast.Module, steps: Iterable[str]) -> tuple[set[str], set[str]]:
    """Return the config flow's form error keys and abort reasons."""
    errors, aborts = set(), set()
    for node in ast.walk(tree):
        pairs: Iterable[tuple[ast.expr | None, ast.expr]] = []
        if isinstance(node, ast.Dict):
            pairs = zip(node.keys, node.values, strict=True)
        elif isinstance(node, ast.Tuple):  # (error class, "base", "key") tables
            pairs = zip(node.elts, node.elts[1:], strict=False)
        elif isinstance(node, ast.Assign) and isinstance(
            node.targets[0], ast.Subscript
        ):
            pairs = [(node.targets[0].slice, node.value)]
        errors |= {
            value.value
            for field, value in pairs
            if is_form_field(field) and isinstance(value, ast.Constant)
        }
        name = call_name(node)
        if isinstance(node, ast.keyword) and node.arg == "reason":
            aborts.add(getattr(node.value, "value", "?"))
        elif name in ("AbortFlow", "async_abort") and isinstance(node, ast.Call):
            aborts |= {a.value for a in node.args[:1] if isinstance(a, ast.Constant)}
        elif name in IMPLIED_ABORTS:
            aborts.add(IMPLIED_ABORTS[name])
        elif name == "async_update_reload_and_abort":
            aborts |= {
                f"{flow}_successful"
                for flow in ("reauth", "reconfigure")
                if any(step.startswith(flow) for step in steps)
            }
    return errors, aborts


def is_form_field(node: ast.expr | None) -> bool:
    """Return whether node names a form field: "base" or a CONF_ constant."""
    name = str(getattr(node, "value", getattr(node, "id", "")))
    return name == "base" or name.startswith("CONF_")


# --- Checks -------------------------------------------------------------------------


def check_manifest(manifest: dict[str, Any], version: object) -> list[str]:
    """Check a custom integration's manifest as hassfest and HACS do."""
    problems = [f"{k} missing" for k in ("codeowners", "name") if not manifest.get(k)]
    keys = list(manifest)
    if keys[:2] != ["domain", "name"] or keys[2:] != sorted(keys[2:]):
        problems.append("keys must be domain, name, then sorted")
    if manifest.get("domain") != PACKAGE_DIR.name:
        problems.append(f"domain is not the folder name {PACKAGE_DIR.name}")
    if version is None:
        problems.append("version is not a version Home Assistant accepts")
    problems += [
        f"{key} is not an https URL"
        for key in ("documentation", "issue_tracker")
        if not str(manifest.get(key)).startswith("https://")
    ]
    if not all(o.startswith("@") for o in manifest.get("codeowners", [])):
        problems.append("codeowners must be GitHub @handles")
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append("iot_class is not one hassfest knows")
    if manifest.get("integration_type") not in INTEGRATION_TYPES:
        problems.append("integration_type is not one Home Assistant knows")
    if manifest.get("config_flow") is not True:
        problems.append("config_flow is not true")
    if not all("==" in r for r in manifest.get("requirements", [])):
        problems.append("requirements must be pinned with ==")
    return problems


def check_entities(
    entities: dict[tuple[str, str | None], set[str]],
    strings: dict[str, str],
    icons: dict[str, Any],
) -> list[str]:
    """Check names, attribute names and icons of (platform, key) -> attributes."""
    problems = [
        f"entity.{p}: an entity without translation_key"
        for p, k in entities
        if k is None
    ]
    keyed = {(p, k): attrs for (p, k), attrs in entities.items() if k is not None}
    named = {".".join(key.split(".")[:2]) for key in below(strings, "entity")}
    problems += compare("entity", {f"{p}.{k}" for p, k in keyed}, named)
    for (platform, key), attributes in keyed.items():
        where = f"entity.{platform}.{key}"
        if f"{where}.name" not in strings:
            problems.append(f"{where}.name: missing")
        problems += [
            f"{where}.state_attributes.{attr}.name: missing"
            for attr in sorted(attributes)
            if f"{where}.state_attributes.{attr}.name" not in strings
        ]
    given = {f"{p}.{k}" for p, keys in icons.items() for k in keys}
    problems += compare("icons: entity", {f"{p}.{k}" for p, k in keyed}, given)
    problems += [
        f"icons: {icon!r} is not mdi:"
        for icon in leaves(icons)
        if not icon.startswith("mdi:")
    ]
    return problems


def leaves(data: object) -> list[str]:
    """Return every string in nested dicts."""
    if isinstance(data, dict):
        return [leaf for value in data.values() for leaf in leaves(value)]
    return [data] if isinstance(data, str) else []


def check_keyed(
    section: str, used: dict[str, list[set[str] | None]], strings: dict[str, str]
) -> list[str]:
    """Check exception or issue strings: present, used, same placeholders."""
    present = {key.split(".")[0] for key in below(strings, section)}
    problems = []
    for key, calls in used.items():
        matches = (
            {p for p in present if re.fullmatch(key, p)} if "(.+)" in key else {key}
        )
        if not matches & present:
            problems.append(f"{section}.{key}: used but missing")
        for match in matches & present:
            wanted = set().union(
                *map(placeholders, below(strings, f"{section}.{match}").values())
            )
            problems += [
                f"{section}.{match}: strings use {sorted(wanted)}, "
                f"a call passes only {sorted(passed)}"
                for passed in calls
                if passed is not None and not wanted <= passed
            ]
    keys = [re.compile(k if "(.+)" in k else re.escape(k)) for k in used]
    problems += [
        f"{section}.{p}: stale, never used"
        for p in sorted(present)
        if not any(k.fullmatch(p) for k in keys)
    ]
    return problems


def check_flow(
    forms: dict[str, tuple[set[str], set[str]]],
    errors: set[str],
    aborts: set[str],
    strings: dict[str, str],
) -> list[str]:
    """Check config flow strings against the forms shown, errors and aborts."""
    steps = {key.split(".")[0] for key in below(strings, "config.step")}
    problems = compare("config.step", forms, steps)
    for step, (fields, passed) in forms.items():
        texts = below(strings, f"config.step.{step}")
        problems += compare(
            f"config.step.{step}.data",
            fields,
            {k.split(".")[1] for k in texts if k.startswith("data.")},
        )
        if unknown := set().union(*map(placeholders, texts.values())) - passed:
            problems.append(
                f"config.step.{step}: placeholders {sorted(unknown)} not passed"
            )
    problems += compare("config.error", errors, below(strings, "config.error"))
    problems += compare("config.abort", aborts, below(strings, "config.abort"))
    return problems


def check_text(strings: dict[str, str]) -> list[str]:
    """Check every key and string as hassfest does for a custom integration."""
    problems = [
        f"{k}: lower_snake_case"
        for k in strings
        if not all(map(KEY.match, k.split(".")))
    ]
    problems += [
        f"{k}: empty or padded" for k, v in strings.items() if v != v.strip() or not v
    ]
    problems += [
        f"{k}: [%key:%] does not resolve" for k, v in strings.items() if "[%key:" in v
    ]
    return problems


def check_hacs(hacs: dict[str, Any], ha_version: str) -> list[str]:
    """Check hacs.json: a name, and the release the tests run as the minimum."""
    problems = [] if hacs.get("name") else ["name missing"]
    version = AwesomeVersion(ha_version)
    minimum = f"{version.section(0)}.{version.section(1)}.0"
    if hacs.get("homeassistant") != minimum:
        problems.append(f"homeassistant must be {minimum}, the release tested")
    return problems


def check_quality_scale(scale: dict[str, Any], rules: set[str]) -> list[str]:
    """Check quality_scale.yaml: every rule, a status, exemptions explained."""
    given = scale.get("rules") or {}
    problems = compare("rules", rules, given)
    for rule, value in given.items():
        status, comment = (
            (value, "")
            if isinstance(value, str)
            else (value.get("status"), str(value.get("comment", "")).strip())
        )
        if status not in {"done", "todo", "exempt"}:
            problems.append(f"{rule}: status {status!r}")
        if status == "exempt" and not comment:
            problems.append(f"{rule}: exempt without a comment saying why")
    return problems


def check_png(path: Path, size: int) -> list[str]:
    """Check that a file is a size x size PNG image."""
    with Image.open(path) as image:
        if (image.format, image.size) != ("PNG", (size, size)):
            return [f"{path.name}: {image.format} {image.size}, not PNG {size}x{size}"]
    return []


WORKFLOW_STEPS = {
    "hassfest.yaml": {"uses": "home-assistant/actions/hassfest@master"},
    "hacs.yaml": {"uses": "hacs/action@main", "with": {"category": "integration"}},
    "tests.yaml": {"run": "scripts/test"},
}


def check_workflows(workflows: dict[str, Any]) -> list[str]:
    """Check the CI workflows run the validators and the tests on every push."""
    problems = []
    for name, wanted in WORKFLOW_STEPS.items():
        workflow = workflows.get(name) or {}
        triggers = workflow.get("on", workflow.get(True)) or {}  # YAML 1.1: on = true
        if not {"push", "pull_request"} <= set(triggers):
            problems.append(f"{name}: not run on push and pull_request")
        steps = [s for job in workflow.get("jobs", {}).values() for s in job["steps"]]
        if not any(wanted.items() <= step.items() for step in steps):
            problems.append(f"{name}: no step {wanted}")
    return problems


# --- The real integration ----------------------------------------------------------


# Rules core's hassfest (script/hassfest/quality_scale.py, ALL_RULES) added
# after the release the tests run on, whose integrations do not rate them yet.
NEWER_RULES = {"docs-conditions", "docs-triggers"}


@pytest.fixture(scope="module")
def core_rules() -> set[str]:
    """Return the quality scale rules of core's current list."""
    components = Path(homeassistant.components.__path__[0])
    return NEWER_RULES | {
        rule
        for path in components.glob("*/quality_scale.yaml")
        for rule in (yaml.load(path.read_text(), Loader=yaml.CSafeLoader) or {})[
            "rules"
        ]
    }


async def all_strings(hass: HomeAssistant) -> dict[str, str]:
    """Return the integration's English strings as Home Assistant loads them."""
    strings: dict[str, str] = {}
    for category in ("config", "entity", "exceptions", "issues"):
        loaded = await async_get_translations(hass, "en", category, [DOMAIN])
        strings |= {k.removeprefix(PREFIX): v for k, v in loaded.items()}
    return strings


async def test_manifest(hass: HomeAssistant) -> None:
    """The loader accepts the manifest, which has what hassfest and HACS need."""
    integration = (await async_get_custom_components(hass))[DOMAIN]
    assert not integration.overwrites_built_in
    manifest = json.loads((PACKAGE_DIR / "manifest.json").read_text())
    assert check_manifest(manifest, integration.version) == []


async def test_strings_and_icons(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Every string and icon the integration uses resolves, and none is stale."""
    strings = await all_strings(hass)
    objects = {
        entity.entity_id: entity
        for platform in async_get_platforms(hass, DOMAIN)
        for entity in platform.entities.values()
    }
    entries = er.async_entries_for_config_entry(
        er.async_get(hass), init_integration.entry_id
    )
    entities = {
        (entry.domain, entry.translation_key): set(
            getattr(objects.get(entry.entity_id), "extra_state_attributes", None) or {}
        )
        for entry in entries
    }
    assert len(entities) == len(entries) > 0  # translation keys are unique
    icons = (await async_get_icons(hass, "entity", [DOMAIN]))[DOMAIN]
    assert check_entities(entities, strings, icons) == []

    forms = {}
    for result in (
        await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        ),
        await init_integration.start_reauth_flow(hass),
        await init_integration.start_reconfigure_flow(hass),
    ):
        fields = {str(field) for field in result["data_schema"].schema}
        forms[result["step_id"]] = (
            fields,
            set(result["description_placeholders"] or {}),
        )
    trees = source_trees()
    errors, aborts = flow_keys(trees["config_flow"], forms)
    keys = code_keys(trees)
    # The readers found something: one that stopped looking would pass anything.
    assert {"user", "reauth_confirm", "reconfigure"} <= set(forms)
    assert errors
    assert aborts
    assert keys["exceptions"]
    assert keys["issues"]
    assert check_flow(forms, errors, aborts, strings) == []
    for section, used in keys.items():
        assert check_keyed(section, used, strings) == [], section
    assert check_text(strings) == []


def test_hacs() -> None:
    """hacs.json names the integration and the release the tests run on."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert check_hacs(hacs, ha_version) == []


def test_quality_scale(core_rules: set[str]) -> None:
    """quality_scale.yaml rates every current rule; core's validator would pass."""
    scale = yaml.safe_load((PACKAGE_DIR / "quality_scale.yaml").read_text())
    assert check_quality_scale(scale, core_rules) == []
    # What core's unique_config_entry validator looks for in config_flow.py.
    flow = ast.parse((PACKAGE_DIR / "config_flow.py").read_text())
    calls = {call_name(node) for node in ast.walk(flow) if isinstance(node, ast.Call)}
    assert (
        "_async_abort_entries_match" in calls
        or {
            "async_set_unique_id",
            "_abort_if_unique_id_configured",
        }
        <= calls
    )


@pytest.mark.parametrize(("name", "size"), [("icon.png", 256), ("icon@2x.png", 512)])
def test_brand_icons(name: str, size: int) -> None:
    """The brand icons Home Assistant serves for custom integrations exist."""
    assert check_png(PACKAGE_DIR / "brand" / name, size) == []


def test_workflows() -> None:
    """GitHub runs hassfest, the HACS action and scripts/test."""
    workflows = {
        path.name: yaml.safe_load(path.read_text())
        for path in (ROOT / ".github" / "workflows").glob("*.yaml")
    }
    assert check_workflows(workflows) == []


# --- Broken samples fail -------------------------------------------------------------

MANIFEST = json.loads((PACKAGE_DIR / "manifest.json").read_text())
STRINGS = {
    "config.step.user.title": "Add {name}",
    "config.step.user.data.url": "URL",
    "config.error.cannot_connect": "No answer",
    "config.abort.already_configured": "Set up already",
    "entity.switch.rec.name": "Recording",
    "entity.switch.rec.state_attributes.path.name": "Path",
    "exceptions.down.message": "Down: {error}",
    "issues.plain.title": "Plain http",
}
ENTITIES: dict[tuple[str, str | None], set[str]] = {("switch", "rec"): {"path"}}
ICONS = {"switch": {"rec": {"default": "mdi:record"}}}
FORMS = {"user": ({"url"}, {"name"})}
RAISES = """
raise HomeAssistantError(translation_domain=DOMAIN, translation_key="gone")
raise HomeAssistantError(translation_domain=DOMAIN, translation_key=f"{x}_down")
"""
SCALE = {
    "rules": {"brands": "done", "discovery": {"status": "exempt", "comment": "No"}}
}
RULES = {"brands", "discovery"}
HACS = {"name": "MediaScribe", "homeassistant": "2026.2.0"}
WORKFLOWS = {
    name: {True: ["push", "pull_request"], "jobs": {"a": {"steps": [step]}}}
    for name, step in WORKFLOW_STEPS.items()
}


def without(data: dict[Any, Any], key: object) -> dict[Any, Any]:
    """Return data without one key."""
    return {k: v for k, v in data.items() if k != key}


CHECKS: dict[str, tuple[Any, ...]] = {
    "manifest": (check_manifest, MANIFEST, "0.1"),
    "entities": (check_entities, ENTITIES, STRINGS, ICONS),
    "exceptions": (check_keyed, "exceptions", {"down": [{"error"}]}, STRINGS),
    "flow": (check_flow, FORMS, {"cannot_connect"}, {"already_configured"}, STRINGS),
    "text": (check_text, STRINGS),
    "hacs": (check_hacs, HACS, "2026.2.3"),
    "scale": (check_quality_scale, SCALE, RULES),
    "workflows": (check_workflows, WORKFLOWS),
}
BROKEN: list[tuple[str, int, object, str]] = [
    ("manifest", 1, {**MANIFEST, "documentation": "http://x.org"}, "not an https"),
    ("manifest", 1, dict(reversed(MANIFEST.items())), "keys must be"),
    ("manifest", 1, {**MANIFEST, "iot_class": "local"}, "iot_class"),
    ("manifest", 2, None, "not a version"),
    ("entities", 1, {("switch", "gone"): set()}, "entity.switch.gone: used but"),
    ("entities", 1, {("switch", "rec"): {"size"}}, "size.name: missing"),
    ("entities", 1, {("switch", None): set()}, "without translation_key"),
    ("entities", 1, {}, "entity.switch.rec: stale"),
    ("entities", 3, {"switch": {"rec": {"default": "record"}}}, "not mdi:"),
    ("exceptions", 2, {"down": [{"error"}, set()]}, "a call passes only []"),
    ("exceptions", 2, {}, "exceptions.down: stale"),
    ("exceptions", 2, code_keys({"m": ast.parse(RAISES)})["exceptions"], "gone: used"),
    ("flow", 1, {"user": ({"url", "token"}, {"name"})}, "data.token: used but"),
    ("flow", 1, {"user": ({"url"}, set())}, "placeholders ['name'] not passed"),
    ("flow", 2, flow_keys(ast.parse("errors['base'] = 'oops'"), [])[0], "oops"),
    ("flow", 3, flow_keys(ast.parse("raise AbortFlow('dup')"), [])[1], "dup: used"),
    ("text", 1, {"config.error.Bad": "x"}, "lower_snake_case"),
    ("text", 1, {"config.error.x": "[%key:common::x%]"}, "does not resolve"),
    ("text", 1, {"config.error.x": " x"}, "padded"),
    ("hacs", 1, {**HACS, "homeassistant": "2025.1.0"}, "must be 2026.2.0"),
    ("hacs", 1, without(HACS, "name"), "name missing"),
    ("scale", 1, {"rules": without(SCALE["rules"], "brands")}, "brands: used but"),
    ("scale", 1, {"rules": {**SCALE["rules"], "discovery": "exempt"}}, "without a"),
    ("scale", 1, {"rules": {**SCALE["rules"], "brands": "finished"}}, "status"),
    ("workflows", 1, without(WORKFLOWS, "hacs.yaml"), "hacs.yaml: no step"),
]


@pytest.mark.parametrize("check", CHECKS)
def test_samples_pass(check: str) -> None:
    """Each check passes its well-formed sample, so the broken ones show a fault."""
    function, *arguments = CHECKS[check]
    assert function(*arguments) == []


@pytest.mark.parametrize(("check", "position", "broken", "expected"), BROKEN)
def test_broken_samples_fail(
    check: str, position: int, broken: object, expected: str
) -> None:
    """Each check reports what is wrong with a broken sample."""
    function, *arguments = CHECKS[check]
    arguments[position - 1] = broken
    problems = function(*arguments)
    assert any(expected in problem for problem in problems), problems


def test_png_check_fails(tmp_path: Path) -> None:
    """A brand icon of the wrong size or format is reported."""
    Image.new("RGBA", (128, 128)).save(small := tmp_path / "small.png")
    Image.new("RGB", (256, 256)).save(jpeg := tmp_path / "icon.png", "JPEG")
    assert check_png(small, 256) == ["small.png: PNG (128, 128), not PNG 256x256"]
    assert check_png(jpeg, 256) == ["icon.png: JPEG (256, 256), not PNG 256x256"]
