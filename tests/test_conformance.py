"""What hassfest and the HACS action check, read through Home Assistant itself.

Expectations come from the code; every check also runs on broken samples.
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
INTEGRATION_TYPES = frozenset(get_args(get_type_hints(Manifest)["integration_type"]))
IOT_CLASSES = {"assumed_state", "calculated", "cloud_polling", "cloud_push"}
IOT_CLASSES |= {"local_polling", "local_push"}
# Abort reasons Home Assistant's config flow helpers give on the flow's behalf.
IMPLIED_ABORTS = {
    "_abort_if_unique_id_configured": "already_configured",
    "_async_abort_entries_match": "already_configured",
    "async_set_unique_id": "already_in_progress",
    "_abort_if_unique_id_mismatch": "unique_id_mismatch",
}
# hassfest's rule for translation keys: lower case, no doubled or edge _ or -.
KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
# Rules core's hassfest (quality_scale.py, ALL_RULES) added after the release
# the tests run on, whose integrations do not rate them yet.
NEWER_RULES = {"docs-conditions", "docs-triggers"}
WORKFLOW_STEPS = {
    "hassfest.yaml": {"uses": "home-assistant/actions/hassfest@master"},
    "hacs.yaml": {"uses": "hacs/action@main", "with": {"category": "integration"}},
    "tests.yaml": {"run": "scripts/test"},
}

type Calls = dict[str, list[set[str] | None]]


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
    start = f"{path}."
    return {k.removeprefix(start): v for k, v in strings.items() if k.startswith(start)}


def call_name(node: ast.AST) -> str | None:
    """Return the called function's last name: `a.b.c(...)` -> 'c'."""
    func = node.func if isinstance(node, ast.Call) else None
    return getattr(func, "attr", None) or getattr(func, "id", None)


def exception_keys(trees: Iterable[ast.Module]) -> Calls:
    """Return translated exception keys with the placeholders each call passes.

    A key built by an f-string is a pattern for the keys it matches; a key a
    module function returns stands for each string that function returns.
    """
    found: Calls = {}
    for tree in trees:
        for node in ast.walk(tree):
            kw = {k.arg: k.value for k in getattr(node, "keywords", [])}
            if not {"translation_domain", "translation_key"} <= kw.keys():
                continue
            given = kw.get("translation_placeholders", ast.Dict(keys=[], values=[]))
            names = {getattr(k, "value", None) for k in getattr(given, "keys", [None])}
            passed = None if None in names else names  # None: names not literal
            for key in key_values(tree, kw["translation_key"]):
                found.setdefault(key, []).append(passed)
    return found


def key_values(tree: ast.Module, node: ast.expr) -> list[str]:
    """Return the keys an expression can be: literals, f-string patterns."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):  # f"{x}_done" -> '(.+)_done'
        parts = [
            re.escape(p.value) if isinstance(p, ast.Constant) else "(.+)"
            for p in node.values
        ]
        return ["".join(parts)]
    if isinstance(node, ast.IfExp):
        return key_values(tree, node.body) + key_values(tree, node.orelse)
    if isinstance(node, ast.Name):  # a variable: every value assigned to it
        return [
            key
            for assign in ast.walk(tree)
            if isinstance(assign, ast.Assign)
            and node.id in {getattr(t, "id", None) for t in assign.targets}
            for key in key_values(tree, assign.value)
        ]
    return [
        value.value
        for func in tree.body
        if isinstance(func, ast.FunctionDef) and func.name == call_name(node)
        for value in ast.walk(func)
        if isinstance(value, ast.Constant) and KEY.match(str(value.value))
    ]


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
        for field, value in pairs:
            name = str(getattr(field, "value", getattr(field, "id", "")))
            if (name == "base" or name.startswith("CONF_")) and isinstance(
                value, ast.Constant
            ):
                errors.add(value.value)
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
        f"entity.{p}: an entity without translation_key" for p, k in entities if not k
    ]
    keyed = {f"{p}.{k}": attrs for (p, k), attrs in entities.items() if k is not None}
    named = {".".join(key.split(".")[:2]) for key in below(strings, "entity")}
    problems += compare("entity", keyed, named)
    for key, attributes in keyed.items():
        wanted = [f"entity.{key}.name"] + [
            f"entity.{key}.state_attributes.{attr}.name" for attr in sorted(attributes)
        ]
        problems += [f"{k}: missing" for k in wanted if k not in strings]
    given = {f"{p}.{k}" for p, keys in icons.items() for k in keys}
    problems += compare("icons: entity", keyed, given)
    return problems + [
        f"icons: {i!r} is not mdi:" for i in leaves(icons) if not i.startswith("mdi:")
    ]


def leaves(data: object) -> list[str]:
    """Return every string in nested dicts."""
    if isinstance(data, dict):
        return [leaf for value in data.values() for leaf in leaves(value)]
    return [data] if isinstance(data, str) else []


def check_exceptions(used: Calls, strings: dict[str, str]) -> list[str]:
    """Check exception strings: present, used, with the placeholders calls pass."""
    present = {key.split(".")[0] for key in below(strings, "exceptions")}
    problems = []
    for key, calls in used.items():
        matches = (
            {p for p in present if re.fullmatch(key, p)} if "(.+)" in key else {key}
        )
        if not matches & present:
            problems.append(f"exceptions.{key}: used but missing")
        for match in matches & present:
            texts = below(strings, f"exceptions.{match}").values()
            wanted = set().union(*map(placeholders, texts))
            problems += [
                f"exceptions.{match}: strings use {sorted(wanted)}, "
                f"a call passes only {sorted(passed)}"
                for passed in calls
                if passed is not None and not wanted <= passed
            ]
    keys = [re.compile(k if "(.+)" in k else re.escape(k)) for k in used]
    return problems + [
        f"exceptions.{p}: stale, never used"
        for p in sorted(present)
        if not any(k.fullmatch(p) for k in keys)
    ]


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
        data = {k.split(".")[1] for k in texts if k.startswith("data.")}
        problems += compare(f"config.step.{step}.data", fields, data)
        if unknown := set().union(*map(placeholders, texts.values())) - passed:
            problems.append(
                f"config.step.{step}: placeholders {sorted(unknown)} not passed"
            )
    problems += compare("config.error", errors, below(strings, "config.error"))
    return problems + compare("config.abort", aborts, below(strings, "config.abort"))


def check_text(strings: dict[str, str]) -> list[str]:
    """Check every key and string as hassfest does for a custom integration."""
    return [
        f"{k}: {problem}"
        for k, v in strings.items()
        for problem, found in (
            ("lower_snake_case", not all(map(KEY.match, k.split(".")))),
            ("empty or padded", v != v.strip() or not v),
            ("[%key:%] does not resolve", "[%key:" in v),
        )
        if found
    ]


def check_hacs(hacs: dict[str, Any], ha_version: str) -> list[str]:
    """Check hacs.json: a name, and the release the tests run as the minimum."""
    version = AwesomeVersion(ha_version)
    minimum = f"{version.section(0)}.{version.section(1)}.0"
    problems = [] if hacs.get("name") else ["name missing"]
    if hacs.get("homeassistant") != minimum:
        problems.append(f"homeassistant must be {minimum}, the release tested")
    return problems


def check_quality_scale(scale: dict[str, Any], rules: set[str]) -> list[str]:
    """Check quality_scale.yaml: every rule, a status, exemptions explained."""
    given = scale.get("rules") or {}
    problems = compare("rules", rules, given)
    for rule, rating in given.items():
        details = {"status": rating} if isinstance(rating, str) else rating
        status, comment = details.get("status"), str(details.get("comment", ""))
        if status not in {"done", "todo", "exempt"}:
            problems.append(f"{rule}: status {status!r}")
        if status == "exempt" and not comment.strip():
            problems.append(f"{rule}: exempt without a comment saying why")
    return problems


def check_png(path: Path, size: int) -> list[str]:
    """Check that a file is a size x size PNG image."""
    with Image.open(path) as image:
        if (image.format, image.size) != ("PNG", (size, size)):
            return [f"{path.name}: {image.format} {image.size}, not PNG {size}x{size}"]
    return []


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


def read(path: Path) -> Any:
    """Return a JSON or YAML file's content."""
    text = path.read_text()
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def core_rules() -> set[str]:
    """Return the quality scale rules of core's current list."""
    components = Path(homeassistant.components.__path__[0])
    return NEWER_RULES | {
        rule
        for path in components.glob("*/quality_scale.yaml")
        for rule in yaml.load(path.read_text(), Loader=yaml.CSafeLoader)["rules"]
    }


async def test_strings_and_icons(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Every string and icon the integration uses resolves, and none is stale."""
    strings: dict[str, str] = {}
    for category in ("config", "entity", "exceptions"):
        loaded = await async_get_translations(hass, "en", category, [DOMAIN])
        strings |= {
            k.removeprefix(f"component.{DOMAIN}."): v for k, v in loaded.items()
        }
    objects = [
        (platform.domain, entity)
        for platform in async_get_platforms(hass, DOMAIN)
        for entity in platform.entities.values()
    ]
    entities = {
        (domain, entity.translation_key): set(entity.extra_state_attributes or {})
        for domain, entity in objects
    }
    assert len(entities) == len(objects) > 0  # translation keys are unique
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
        passed = set(result["description_placeholders"] or {})
        forms[result["step_id"]] = (fields, passed)
    trees = {p.stem: ast.parse(p.read_text()) for p in PACKAGE_DIR.glob("*.py")}
    errors, aborts = flow_keys(trees["config_flow"], forms)
    used = exception_keys(trees.values())
    # The readers found something: one that stopped looking would pass anything.
    assert {"user", "reauth_confirm", "reconfigure"} <= set(forms)
    assert all((errors, aborts, used))
    assert check_flow(forms, errors, aborts, strings) == []
    assert check_exceptions(used, strings) == []
    assert check_text(strings) == []


async def test_files(hass: HomeAssistant) -> None:
    """Manifest, hacs.json, quality scale, brand icons and CI workflows pass."""
    integration = (await async_get_custom_components(hass))[DOMAIN]
    assert not integration.overwrites_built_in
    manifest = read(PACKAGE_DIR / "manifest.json")
    assert check_manifest(manifest, integration.version) == []
    assert check_hacs(read(ROOT / "hacs.json"), ha_version) == []
    scale = read(PACKAGE_DIR / "quality_scale.yaml")
    assert check_quality_scale(scale, core_rules()) == []
    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        assert check_png(PACKAGE_DIR / "brand" / name, size) == []
    workflows = {p.name: read(p) for p in (ROOT / ".github/workflows").glob("*.yaml")}
    assert check_workflows(workflows) == []
    # What core's unique_config_entry validator looks for in config_flow.py.
    flow = ast.parse((PACKAGE_DIR / "config_flow.py").read_text())
    calls = {call_name(node) for node in ast.walk(flow)}
    unique_id = {"async_set_unique_id", "_abort_if_unique_id_configured"}
    assert "_async_abort_entries_match" in calls or unique_id <= calls


# --- Broken samples fail ------------------------------------------------------------

MANIFEST = read(PACKAGE_DIR / "manifest.json")
STRINGS = {
    "config.step.user.title": "Add {name}",
    "config.step.user.data.url": "URL",
    "config.error.cannot_connect": "No answer",
    "config.abort.already_configured": "Set up already",
    "entity.switch.rec.name": "Recording",
    "entity.switch.rec.state_attributes.path.name": "Path",
    "exceptions.down.message": "Down: {error}",
}
RAISES = """
raise HomeAssistantError(translation_domain=DOMAIN, translation_key="gone")
raise HomeAssistantError(translation_domain=DOMAIN, translation_key=f"{x}_down")
"""
SCALE = {"rules": {"brands": "done", "discovery": {"status": "exempt", "comment": "-"}}}
HACS = {"name": "MediaScribe", "homeassistant": "2026.2.0"}
WORKFLOWS = {
    name: {True: ["push", "pull_request"], "jobs": {"a": {"steps": [step]}}}
    for name, step in WORKFLOW_STEPS.items()
}
ENTITIES = {("switch", "rec"): {"path"}}
ICONS = {"switch": {"rec": {"default": "mdi:record"}}}
FORMS = {"user": ({"url"}, {"name"})}
CHECKS: dict[str, tuple[Any, ...]] = {
    "manifest": (check_manifest, MANIFEST, "0.1"),
    "entities": (check_entities, ENTITIES, STRINGS, ICONS),
    "exceptions": (check_exceptions, {"down": [{"error"}]}, STRINGS),
    "flow": (check_flow, FORMS, {"cannot_connect"}, {"already_configured"}, STRINGS),
    "text": (check_text, STRINGS),
    "hacs": (check_hacs, HACS, "2026.2.3"),
    "scale": (check_quality_scale, SCALE, {"brands", "discovery"}),
    "workflows": (check_workflows, WORKFLOWS),
}
BROKEN: list[tuple[str, int, object, str]] = [
    ("manifest", 1, {**MANIFEST, "documentation": "http://x.org"}, "not an https"),
    ("manifest", 1, dict(reversed(MANIFEST.items())), "keys must be"),
    ("manifest", 2, None, "not a version"),
    ("entities", 1, {("switch", "gone"): set()}, "entity.switch.gone: used but"),
    ("entities", 1, {("switch", "rec"): {"size"}}, "size.name: missing"),
    ("entities", 1, {("switch", None): set()}, "without translation_key"),
    ("entities", 3, {"switch": {"rec": {"default": "record"}}}, "not mdi:"),
    ("exceptions", 1, {"down": [{"error"}, set()]}, "a call passes only []"),
    ("exceptions", 1, {}, "exceptions.down: stale"),
    ("exceptions", 1, exception_keys([ast.parse(RAISES)]), "gone: used"),
    ("flow", 1, {"user": ({"url", "token"}, {"name"})}, "data.token: used but"),
    ("flow", 1, {"user": ({"url"}, set())}, "placeholders ['name'] not passed"),
    ("flow", 2, flow_keys(ast.parse("errors['base'] = 'oops'"), [])[0], "oops"),
    ("flow", 3, flow_keys(ast.parse("raise AbortFlow('dup')"), [])[1], "dup: used"),
    ("text", 1, {"config.error.Bad": "x"}, "lower_snake_case"),
    ("text", 1, {"config.error.x": "[%key:common::x%]"}, "does not resolve"),
    ("text", 1, {"config.error.x": " x"}, "padded"),
    ("hacs", 1, {**HACS, "homeassistant": "2025.1.0"}, "must be 2026.2.0"),
    ("hacs", 1, {"homeassistant": "2026.2.0"}, "name missing"),
    ("scale", 1, {"rules": {"discovery": "exempt"}}, "brands: used but"),
    ("scale", 1, {"rules": {"discovery": "exempt"}}, "without a comment"),
    ("scale", 1, {"rules": {**SCALE["rules"], "brands": "finished"}}, "status"),
    ("workflows", 1, {**WORKFLOWS, "hacs.yaml": {}}, "hacs.yaml: no step"),
]


@pytest.mark.parametrize(("check", "position", "broken", "expected"), BROKEN)
def test_broken_samples_fail(
    check: str, position: int, broken: object, expected: str
) -> None:
    """Each check passes its well-formed sample and reports what breaks it."""
    function, *arguments = CHECKS[check]
    assert function(*arguments) == []
    arguments[position - 1] = broken
    problems = function(*arguments)
    assert any(expected in problem for problem in problems), problems


def test_png_check_fails(tmp_path: Path) -> None:
    """A brand icon of the wrong size or format is reported."""
    Image.new("RGBA", (128, 128)).save(small := tmp_path / "small.png")
    Image.new("RGB", (256, 256)).save(jpeg := tmp_path / "icon.png", "JPEG")
    assert check_png(small, 256) + check_png(jpeg, 256) == [
        "small.png: PNG (128, 128), not PNG 256x256",
        "icon.png: JPEG (256, 256), not PNG 256x256",
    ]
