"""Tests for scripts/check_latest_ha.py on small synthetic sources, offline."""

from __future__ import annotations

from pathlib import Path
import textwrap
import zipfile

import pytest

from scripts import check_latest_ha
from scripts.check_latest_ha import Checker, Report

VERSION = "2099.1.0"


def dedented(files: dict[str, str]) -> dict[str, str]:
    """Return the files with the indentation of this module's literals removed."""
    return {name: textwrap.dedent(text).lstrip() for name, text in files.items()}


# A tiny Home Assistant: just what the tiny integration below uses.
HA_FILES = dedented(
    {
        "__init__.py": "",
        "const.py": """
        from enum import StrEnum

        CONF_URL = "url"


        class Platform(StrEnum):
            SWITCH = "switch"
    """,
        "core.py": """
        from .config_entries import ConfigEntries


        class HomeAssistant:
            def __init__(self) -> None:
                self.config_entries: ConfigEntries = ConfigEntries()
    """,
        "config_entries.py": """
        class ConfigEntry:
            runtime_data: object

            def __init__(self, *, data: dict) -> None:
                self.data = data


        class ConfigEntries:
            async def async_forward_entry_setups(self, entry, platforms) -> None:
                pass
    """,
        "helpers/__init__.py": "",
        "helpers/frame.py": """
        def report_usage(what, *, breaks_in_ha_version=None):
            pass
    """,
        "helpers/deprecation.py": """
        from enum import EnumType
        from typing import NamedTuple


        class DeprecatedConstant(NamedTuple):
            value: object
            replacement: str
            breaks_in_ha_version: str | None


        class DeprecatedAlias(NamedTuple):
            value: object
            replacement: str
            breaks_in_ha_version: str | None


        def deprecated_class(replacement, *, breaks_in_ha_version=None):
            return lambda cls: cls


        class EnumWithDeprecatedMembers(EnumType):
            pass
    """,
        "helpers/entity.py": """
        class Entity:
            _attr_has_entity_name: bool = False
            _attr_unique_id: str | None = None

            @property
            def available(self) -> bool:
                return True
    """,
        "helpers/update_coordinator.py": """
        from typing import Generic, TypeVar

        from ..config_entries import ConfigEntry
        from .frame import report_usage

        _DataT = TypeVar("_DataT")


        class DataUpdateCoordinator(Generic[_DataT]):
            def __init__(
                self, hass, logger, *, config_entry=None, name, update_interval=None
            ) -> None:
                self.hass = hass
                self.data: _DataT = None
                self.config_entry: ConfigEntry | None = config_entry
                if update_interval is None:
                    report_usage("passes no update_interval")

            async def _async_update_data(self) -> _DataT:
                raise NotImplementedError

            async def async_refresh(self) -> None:
                pass


        class UpdateFailed(Exception):
            pass
    """,
    }
)
# The tiny integration.
PACKAGE_FILES = dedented(
    {
        "__init__.py": """
        from homeassistant.const import CONF_URL, Platform
        from homeassistant.core import HomeAssistant

        from .coordinator import DemoConfigEntry, DemoCoordinator

        PLATFORMS = [Platform.SWITCH]


        async def async_setup_entry(hass: HomeAssistant, entry: DemoConfigEntry):
            coordinator = DemoCoordinator(hass, entry)
            await coordinator.async_refresh()
            entry.runtime_data = coordinator
            await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
            return entry.data[CONF_URL] != ""
    """,
        "coordinator.py": """
        from homeassistant.config_entries import ConfigEntry
        from homeassistant.helpers import update_coordinator

        type DemoConfigEntry = ConfigEntry


        class DemoCoordinator(update_coordinator.DataUpdateCoordinator[int]):
            def __init__(self, hass, entry: DemoConfigEntry) -> None:
                super().__init__(hass, None, config_entry=entry, name="demo")
                self.client = object()

            async def _async_update_data(self) -> int:
                if self.data is None:
                    raise update_coordinator.UpdateFailed
                return self.data + 1
    """,
        "switch.py": """
        from homeassistant.helpers.entity import Entity

        from .coordinator import DemoCoordinator


        class DemoSwitch(Entity):
            _attr_has_entity_name = True

            def __init__(self, coordinator: DemoCoordinator) -> None:
                self.coordinator = coordinator
                self._attr_unique_id = "demo"

            @property
            def available(self) -> bool:
                return self.coordinator.data is not None
    """,
    }
)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write files under root and return root."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def edit(files: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    """Return a copy of files with one replacement made (which must apply)."""
    assert old in files[name], f"{old!r} not in {name}"
    return {**files, name: files[name].replace(old, new)}


def check(
    tmp_path: Path,
    new_ha: dict[str, str] = HA_FILES,
    current_ha: dict[str, str] = HA_FILES,
    package: dict[str, str] = PACKAGE_FILES,
) -> Report:
    """Check the tiny integration against a new and a current tiny Home Assistant."""
    new_root = write_tree(
        tmp_path / "new", {f"homeassistant/{n}": t for n, t in new_ha.items()}
    )
    current_root = write_tree(
        tmp_path / "current", {f"homeassistant/{n}": t for n, t in current_ha.items()}
    )
    package_root = write_tree(
        tmp_path / "repo",
        {f"custom_components/demo/{n}": t for n, t in package.items()},
    )
    return Checker(
        package_root, "custom_components.demo", new_root, VERSION, current_root
    ).run()


def messages(report: Report) -> list[str]:
    """Return the report's problems as text."""
    return [str(problem) for problem in report.problems]


def test_unchanged_release_passes(tmp_path: Path) -> None:
    """Nothing is reported when every use still exists, and every kind was checked."""
    report = check(tmp_path)
    assert messages(report) == []
    assert {
        "homeassistant.const.CONF_URL",  # an imported name
        "homeassistant.const.Platform.SWITCH",  # an enum member
        "homeassistant.helpers.update_coordinator",  # an imported module
        # an attribute of an imported module, and a constructor keyword
        "homeassistant.helpers.update_coordinator.UpdateFailed",
        "homeassistant.helpers.update_coordinator.DataUpdateCoordinator"
        ".__init__(config_entry=...)",
        # members through self, a typed parameter, a local and an annotation
        "homeassistant.helpers.update_coordinator.DataUpdateCoordinator.data",
        "homeassistant.helpers.update_coordinator.DataUpdateCoordinator.async_refresh",
        "homeassistant.config_entries.ConfigEntry.runtime_data",
        "homeassistant.config_entries.ConfigEntries.async_forward_entry_setups",
        "homeassistant.core.HomeAssistant.config_entries",
        # class attributes set, and members overridden
        "homeassistant.helpers.entity.Entity._attr_has_entity_name",
        "homeassistant.helpers.entity.Entity._attr_unique_id",
        "homeassistant.helpers.entity.Entity.available",
        "homeassistant.helpers.update_coordinator.DataUpdateCoordinator"
        "._async_update_data",
    } <= report.symbols


ConstEdit = tuple[str, str, str]


REMOVALS = [
    pytest.param(
        ("const.py", 'CONF_URL = "url"', 'CONF_ADDRESS = "url"'),
        "homeassistant.const.CONF_URL: not found in homeassistant 2099.1.0 "
        "(imported in __init__.py)",
        id="removed-name",
    ),
    pytest.param(
        ("const.py", 'SWITCH = "switch"', 'TOGGLE = "switch"'),
        "homeassistant.const.Platform.SWITCH: not found in homeassistant "
        "2099.1.0 (used in __init__.py:6)",
        id="removed-enum-member",
    ),
    pytest.param(
        ("core.py", "self.config_entries", "self.entries"),
        "homeassistant.core.HomeAssistant.config_entries: not found",
        id="removed-attribute",
    ),
    pytest.param(
        (
            "config_entries.py",
            "async def async_forward_entry_setups",
            "async def f",
        ),
        "homeassistant.config_entries.ConfigEntries.async_forward_entry_setups: "
        "not found",
        id="removed-method-through-annotation",
    ),
    pytest.param(
        ("config_entries.py", "runtime_data: object", "stored: object"),
        "homeassistant.config_entries.ConfigEntry.runtime_data: not found",
        id="removed-attribute-set-on-parameter",
    ),
    pytest.param(
        (
            "helpers/update_coordinator.py",
            "self.data: _DataT",
            "self.value: _DataT",
        ),
        "homeassistant.helpers.update_coordinator.DataUpdateCoordinator.data: "
        "not found in homeassistant 2099.1.0 (used in coordinator.py:13)",
        id="removed-inherited-member",
    ),
    pytest.param(
        ("helpers/update_coordinator.py", "async def async_refresh", "async def r"),
        "DataUpdateCoordinator.async_refresh: not found in homeassistant "
        "2099.1.0 (used in __init__.py:11)",
        id="removed-method-of-local",
    ),
    pytest.param(
        ("helpers/update_coordinator.py", "config_entry=None, ", ""),
        "DataUpdateCoordinator.__init__(config_entry=...): keyword not accepted "
        "in homeassistant 2099.1.0 (used in coordinator.py:9)",
        id="removed-keyword",
    ),
    pytest.param(
        ("helpers/entity.py", "_attr_has_entity_name: bool = False", ""),
        "homeassistant.helpers.entity.Entity._attr_has_entity_name: not found "
        "in homeassistant 2099.1.0 (set by DemoSwitch in switch.py)",
        id="removed-attr",
    ),
    pytest.param(
        ("helpers/entity.py", "def available", "def is_available"),
        "homeassistant.helpers.entity.Entity.available: not found in "
        "homeassistant 2099.1.0 (overridden by DemoSwitch in switch.py)",
        id="removed-overridden-property",
    ),
    pytest.param(
        ("helpers/update_coordinator.py", "class UpdateFailed", "class Failed"),
        "homeassistant.helpers.update_coordinator.UpdateFailed: not found",
        id="removed-module-attribute",
    ),
    pytest.param(
        ("helpers/update_coordinator.py", "def _async_update_data", "def update"),
        "DataUpdateCoordinator._async_update_data: not found in homeassistant "
        "2099.1.0 (overridden by DemoCoordinator in coordinator.py)",
        id="removed-overridden-method",
    ),
]


def test_removed_module_is_reported(tmp_path: Path) -> None:
    """A module that is gone is reported once per import, by its name."""
    new_ha = {k: v for k, v in HA_FILES.items() if k != "core.py"}
    assert messages(check(tmp_path, new_ha=new_ha)) == [
        "homeassistant.core: not found in homeassistant 2099.1.0 "
        "(imported in __init__.py)"
    ]


DEPRECATION = "from .helpers.deprecation import DeprecatedConstant, DeprecatedAlias\n"


DEPRECATIONS = [
    pytest.param(
        (
            "const.py",
            'CONF_URL = "url"',
            DEPRECATION
            + '_DEPRECATED_CONF_URL = DeprecatedConstant("url", "X", "2099.6")',
        ),
        "homeassistant.const.CONF_URL: deprecated in homeassistant 2099.1.0 "
        "(a deprecated constant; imported in __init__.py)",
        id="deprecated-constant",
    ),
    pytest.param(
        (
            "const.py",
            'CONF_URL = "url"',
            DEPRECATION + 'CONF_URL = DeprecatedAlias("url", "X", "2099.6")',
        ),
        "homeassistant.const.CONF_URL: deprecated in homeassistant 2099.1.0 "
        "(DeprecatedAlias; imported in __init__.py)",
        id="deprecated-alias",
    ),
    pytest.param(
        (
            "helpers/entity.py",
            "class Entity:",
            "from .deprecation import deprecated_class\n\n\n"
            '@deprecated_class("NewEntity", breaks_in_ha_version="2099.12")\n'
            "class Entity:",
        ),
        "homeassistant.helpers.entity.Entity: deprecated in homeassistant "
        "2099.1.0 (@deprecated_class, breaks in 2099.12; imported in switch.py)",
        id="deprecated-class",
    ),
    pytest.param(
        (
            "helpers/update_coordinator.py",
            "async def async_refresh(self) -> None:\n",
            "async def async_refresh(self) -> None:\n"
            '        report_usage("calls async_refresh", '
            'breaks_in_ha_version="2099.3")\n',
        ),
        "DataUpdateCoordinator.async_refresh: deprecated in homeassistant "
        "2099.1.0 (report_usage, breaks in 2099.3; used in __init__.py:11)",
        id="reported-method",
    ),
    pytest.param(
        (
            "core.py",
            "    def __init__(self) -> None:\n",
            "    def __init__(self) -> None:\n"
            "        import warnings\n\n"
            '        warnings.warn("use Hass", DeprecationWarning)\n',
        ),
        "homeassistant.core.HomeAssistant: deprecated in homeassistant 2099.1.0 "
        "(DeprecationWarning in __init__",
        id="warning-constructor",
    ),
    pytest.param(
        (
            "const.py",
            "class Platform(StrEnum):",
            "from .helpers.deprecation import EnumWithDeprecatedMembers\n\n\n"
            "class Platform(\n"
            "    StrEnum,\n"
            "    metaclass=EnumWithDeprecatedMembers,\n"
            '    deprecated={"SWITCH": ("Platform.TOGGLE", "2099.9")},\n'
            "):",
        ),
        "homeassistant.const.Platform.SWITCH: deprecated in homeassistant "
        "2099.1.0 (a deprecated enum member; used in __init__.py:6)",
        id="deprecated-enum-member",
    ),
]


@pytest.mark.parametrize(("change", "expected"), REMOVALS + DEPRECATIONS)
def test_changed_use_is_reported(
    tmp_path: Path, change: ConstEdit, expected: str
) -> None:
    """What the integration uses, gone or deprecated, is named with the version.

    Deprecations also name their marker and the version they break in.
    """
    report = check(tmp_path, new_ha=edit(HA_FILES, *change))
    assert any(expected in message for message in messages(report)), messages(report)


def test_conditional_usage_report_is_not_a_deprecation(tmp_path: Path) -> None:
    """A report_usage that depends on the arguments does not mark the function."""
    # DataUpdateCoordinator.__init__ reports only when update_interval is None.
    assert "report_usage" in HA_FILES["helpers/update_coordinator.py"]
    assert messages(check(tmp_path)) == []


def test_new_python_syntax_is_read(tmp_path: Path) -> None:
    """A release written for Python 3.14 (unparenthesized except) is still read."""
    new_ha = edit(
        HA_FILES,
        "const.py",
        'CONF_URL = "url"',
        'CONF_URL = "url"\n\n\ndef f():\n    try:\n        pass\n'
        "    except KeyError, ValueError:\n        pass\n",
    )
    assert messages(check(tmp_path, new_ha=new_ha)) == []


def test_unreadable_module_is_reported(tmp_path: Path) -> None:
    """A module that does not parse makes the check fail instead of guessing."""
    new_ha = {**HA_FILES, "const.py": "def broken(:\n"}
    assert messages(check(tmp_path, new_ha=new_ha)) == [
        "homeassistant.const: could not be read, so its uses went unchecked: "
        "invalid syntax (line 1)"
    ]


def test_member_added_by_the_integration_is_its_own(tmp_path: Path) -> None:
    """Attributes the integration defines itself are not looked up in the release."""
    report = check(tmp_path)
    assert not any("client" in symbol for symbol in report.symbols)


def test_real_integration_against_installed_release() -> None:
    """The integration uses nothing missing or deprecated in the installed release."""
    import homeassistant  # noqa: PLC0415 - only to find the installed sources

    installed = Path(homeassistant.__file__).parent.parent
    report = Checker(
        check_latest_ha.ROOT, check_latest_ha.PACKAGE, installed, "now", installed
    ).run()
    assert messages(report) == []
    assert report.checked > 150
    assert {
        "homeassistant.helpers.update_coordinator.DataUpdateCoordinator"
        ".async_config_entry_first_refresh",
        "homeassistant.config_entries.ConfigEntries.async_forward_entry_setups",
        "homeassistant.config_entries.ConfigFlow.async_show_form(step_id=...)",
        "homeassistant.helpers.device_registry.DeviceRegistry.async_update_device",
    } <= report.symbols


def build_wheel(path: Path, files: dict[str, str]) -> Path:
    """Write a wheel-shaped zip holding the given homeassistant files."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"homeassistant/{name}", text)
        archive.writestr("homeassistant-2099.1.0.dist-info/METADATA", "Name: x\n")
    return path


@pytest.fixture
def tiny_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the script at the tiny integration instead of the real one."""
    root = write_tree(
        tmp_path / "repo",
        {f"custom_components/demo/{n}": t for n, t in PACKAGE_FILES.items()},
    )
    monkeypatch.setattr(check_latest_ha, "ROOT", root)
    monkeypatch.setattr(check_latest_ha, "PACKAGE", "custom_components.demo")
    return root


@pytest.mark.usefixtures("tiny_repo")
def test_main_with_a_wheel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command reads the wheel's version, prints the result, exits 0 or 1."""
    good = build_wheel(tmp_path / "homeassistant-2099.1.0-py3-none-any.whl", HA_FILES)
    assert check_latest_ha.main(["--wheel", str(good)]) == 0
    assert "no problems with homeassistant 2099.1.0" in capsys.readouterr().out

    broken = edit(HA_FILES, "const.py", 'CONF_URL = "url"', "")
    bad = build_wheel(tmp_path / "homeassistant-2099.2.0-py3-none-any.whl", broken)
    assert check_latest_ha.main(["--wheel", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "homeassistant.const.CONF_URL: not found in homeassistant 2099.2.0" in out
    assert "1 problem(s) with homeassistant 2099.2.0" in out


@pytest.mark.usefixtures("tiny_repo")
def test_main_downloads_the_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --wheel it asks pip for the newest wheel, without dependencies."""
    commands: list[list[str]] = []

    def fake_pip(command: list[str], **_: object) -> object:
        commands.append(command)
        directory = Path(command[command.index("-d") + 1])
        build_wheel(directory / "homeassistant-2099.1.0-py3-none-any.whl", HA_FILES)
        return type("Result", (), {"returncode": 0, "stderr": ""})()

    monkeypatch.setattr(check_latest_ha.subprocess, "run", fake_pip)
    assert check_latest_ha.main([]) == 0
    assert "no problems with homeassistant 2099.1.0" in capsys.readouterr().out
    assert commands[0][1:5] == ["-m", "pip", "download", "homeassistant"]
    assert {"--no-deps", "--ignore-requires-python"} <= set(commands[0])


def test_failed_download_stops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When pip fails the command stops with pip's message."""

    def failing_pip(command: list[str], **_: object) -> object:
        return type("Result", (), {"returncode": 1, "stderr": "no network"})()

    monkeypatch.setattr(check_latest_ha.subprocess, "run", failing_pip)
    with pytest.raises(SystemExit, match="no network"):
        check_latest_ha.download_newest(tmp_path)
