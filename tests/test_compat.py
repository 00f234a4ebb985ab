"""The forward-compatibility check (tools/compat), run on the installed release."""

from __future__ import annotations

import ast
from pathlib import Path
import sysconfig

from tools.compat.deprecations import mark
from tools.compat.typecheck import check

INSTALLED = Path(sysconfig.get_paths()["purelib"])
INTEGRATION = Path(__file__).parent.parent / "custom_components" / "mediascribe"
# An integration that uses a removed name and a method deprecated at run time.
SAMPLE = """\
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import ThisNameDoesNotExist


async def async_setup(hass: HomeAssistant) -> bool:
    hass.async_add_job(print, ThisNameDoesNotExist)
    return True
"""


def test_typecheck(tmp_path: Path) -> None:
    """The integration passes; a removed import and a run-time deprecation fail."""
    assert check(INSTALLED, INTEGRATION) == []
    package = tmp_path / "custom_components" / "sample"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(SAMPLE)
    removed, deprecated = check(INSTALLED, package)
    assert removed.startswith("sample/__init__.py:2: ")
    assert '"ThisNameDoesNotExist" is unknown import symbol' in removed
    assert deprecated.startswith("sample/__init__.py:6: ")
    assert '"async_add_job" in class "HomeAssistant" is deprecated' in deprecated


MODULE = '''\
"""A Home Assistant module."""

from __future__ import annotations

_DEPRECATED_OLD_UNIT = DeprecatedConstant("x", "NEW_UNIT", "2027.1")


def _report_gone(name):
    report_usage(f"uses {name}", breaks_in_ha_version="2027.1")


class Registry:
    @callback
    def async_get_device(self, identifiers):
        report_usage("calls async_get_device", breaks_in_ha_version="2027.1")

    @property
    def legacy(self):
        _report_gone("legacy")

    def sometimes(self, old):
        if old:
            report_usage("passes old", breaks_in_ha_version="2027.1")

    def thread_check(self):
        report_usage("calls from a thread")


@deprecated_function("new_helper", breaks_in_ha_version="2027.1")
def old_helper():
    pass


__getattr__ = partial(check_if_deprecated_constant, module_globals=globals())
'''


def test_run_time_deprecations_are_marked() -> None:
    """What always reports a deprecation is marked; what sometimes does is not."""
    tree = ast.parse(mark(MODULE))
    marked = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any("_compat_warnings" in ast.unparse(d) for d in node.decorator_list)
    }
    always = {"OLD_UNIT", "_report_gone", "async_get_device", "legacy", "old_helper"}
    assert marked == always
    assert "__getattr__" not in ast.unparse(tree)
    assert isinstance(tree.body[2], ast.Import)


def test_python_314_syntax_is_marked() -> None:
    """A module with `except A, B:` (PEP 758, Python 3.14) is marked all the same."""
    tail = "\ntry:\n    pass\nexcept ValueError, TypeError:\n    pass\n"
    assert mark(MODULE + tail) == mark(MODULE) + tail
