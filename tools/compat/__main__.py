"""Type-check the integration against the newest Home Assistant on PyPI.

Downloads the newest homeassistant wheel (or takes --wheel) and the requirements
of it that this environment lacks, then runs the check in typecheck.py. Exit
status 1 on any error.
"""

from __future__ import annotations

import argparse
import importlib.metadata
from pathlib import Path
import re
import subprocess
import sys
import tempfile
import zipfile

from .typecheck import HA, check, python_version

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "mediascribe"


def download(requirements: list[str], python: str, directory: Path) -> list[Path]:
    """Download wheels without their dependencies; return their paths."""
    result = subprocess.run(  # noqa: S603 - our interpreter, our arguments
        [
            *(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"),
            *("--only-binary=:all:", "--python-version", python),
            *("--ignore-requires-python", "-d", str(directory), *requirements),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"pip could not download {requirements}:\n{result.stderr}")
    return sorted(directory.glob("*.whl"))


def unpack(wheel: Path, target: Path) -> None:
    """Extract a wheel's Python sources and metadata into target."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        wanted = (".py", ".pyi", "py.typed", "METADATA")
        archive.extractall(target, [name for name in names if name.endswith(wanted)])


def missing_requirements(source: Path) -> list[str]:
    """Return the unconditional requirements of source's release not installed."""
    metadata = next(source.glob(f"{HA}-*.dist-info/METADATA")).read_text()
    missing = []
    for requirement in re.findall(r"^Requires-Dist: ([^;\n]+)$", metadata, re.M):
        try:
            importlib.metadata.distribution(re.split(r"[ <>=!~\[]", requirement)[0])
        except importlib.metadata.PackageNotFoundError:
            missing.append(requirement)
    return missing


def main(argv: list[str] | None = None) -> int:
    """Prepare the release, check, print the errors; 1 if there are any."""
    parser = argparse.ArgumentParser(prog="scripts/check-latest-ha")
    parser.add_argument("--wheel", type=Path, help="a homeassistant wheel to use")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="check-latest-ha-") as tmp:
        source = Path(tmp) / "source"
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        unpack(args.wheel or download([HA], python, Path(tmp))[0], source)
        # Without them the checker sees no types where the release relies on
        # them: 2026.11 aliases voluptuous to probatio, and every vol.* is an error.
        if missing := missing_requirements(source):
            requirements = Path(tmp) / "requirements"
            for wheel in download(missing, python_version(source), requirements):
                unpack(wheel, source)
        release = next(source.glob(f"{HA}-*.dist-info")).stem
        print(f"{release}: basedpyright on {PACKAGE.name}", flush=True)
        errors = check(source, PACKAGE)
    for error in errors:
        print(error)
    print(f"{len(errors)} error(s) against {release}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
