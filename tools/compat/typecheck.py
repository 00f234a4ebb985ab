"""Type-check the integration against a given Home Assistant with basedpyright."""

from __future__ import annotations

import json
from pathlib import Path
import re
import subprocess
import sys
import sysconfig
import tempfile

from .deprecations import marked_sources

HA = "homeassistant"
RULES = {
    "typeCheckingMode": "standard",
    "reportDeprecated": "error",
    # Home Assistant overrides attributes with cached_property on purpose.
    "reportIncompatibleVariableOverride": "none",
}


def check(source: Path, package: Path) -> list[str]:
    """Return the type errors in package against the homeassistant in source."""
    version = python_version(source)
    with tempfile.TemporaryDirectory(prefix="compat-") as tmp:
        root = Path(tmp)
        # basedpyright reads the packages of a virtual environment: this one
        # holds the installed dependencies with source's Home Assistant instead
        # of the installed one, so no module can fall back to the older release.
        site = root / "env" / "lib" / f"python{version}" / "site-packages"
        link_site_packages(Path(sysconfig.get_paths()["purelib"]), source, site)
        config = root / "pyrightconfig.json"
        settings = {"include": [str(package)], "pythonVersion": version, **RULES}
        config.write_text(json.dumps(settings | {"venvPath": tmp, "venv": "env"}))
        result = subprocess.run(  # noqa: S603 - our interpreter, our arguments
            [sys.executable, "-m", "basedpyright", "-p", str(config), "--outputjson"],
            capture_output=True,
            text=True,
            check=False,
        )
    try:
        diagnostics = json.loads(result.stdout)["generalDiagnostics"]
    except (json.JSONDecodeError, KeyError) as err:
        raise RuntimeError(f"basedpyright failed: {result.stderr}") from err
    return [
        f"{Path(d['file']).relative_to(package.parent)}:"
        f"{d['range']['start']['line'] + 1}: {d['message']} ({d.get('rule', '')})"
        for d in diagnostics
        if d["severity"] == "error" and Path(d["file"]).is_relative_to(package)
    ]


def link_site_packages(installed: Path, source: Path, site: Path) -> None:
    """Fill site with the installed packages, then source's, then marked HA."""
    site.mkdir(parents=True)
    for entry in [*installed.iterdir(), *source.iterdir()]:
        if entry.name != HA and not entry.name.startswith(f"{HA}-"):
            (site / entry.name).unlink(missing_ok=True)
            (site / entry.name).symlink_to(entry)
    mirror(source / HA, site / HA, marked_sources(source / HA))
    # Releases that replaced voluptuous with probatio alias one to the other
    # when Home Assistant starts; integrations keep importing voluptuous.
    if "install_as_voluptuous()" in (source / HA / "__init__.py").read_text():
        (site / "voluptuous").unlink()
        (site / "voluptuous").mkdir()
        (site / "voluptuous" / "__init__.pyi").write_text("from probatio import *\n")


def mirror(source: Path, target: Path, replaced: dict[Path, str]) -> None:
    """Link source's entries into target, writing replaced files' new text."""
    target.mkdir()
    for entry in source.iterdir():
        if entry in replaced:
            (target / entry.name).write_text(replaced[entry], encoding="utf-8")
        elif any(path.is_relative_to(entry) for path in replaced):
            mirror(entry, target / entry.name, replaced)
        else:
            (target / entry.name).symlink_to(entry)


def python_version(source: Path) -> str:
    """Return the oldest Python the Home Assistant in source supports, as 3.N."""
    for metadata in source.glob(f"{HA}-*.dist-info/METADATA"):
        if found := re.search(
            r"^Requires-Python: >=(\d+\.\d+)", metadata.read_text(), re.M
        ):
            return found.group(1)
    return f"{sys.version_info.major}.{sys.version_info.minor}"
