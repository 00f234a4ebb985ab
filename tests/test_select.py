"""Tests for the preset select: unique labels that fit, confirmed changes."""

from __future__ import annotations

import contextlib
import itertools
import re
from typing import TYPE_CHECKING, Any

from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import (
    MAX_LENGTH_STATE_STATE,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform

from custom_components.mediascribe.const import DOMAIN
from simulator import Fault

from .conftest import PRESET, call, poll, state

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from simulator import MediaScribeSimulator

LONG = "Council Chamber, wide shot with the dais and the public gallery " * 6


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the select platform alone."""
    return [Platform.SELECT]


async def test_select_entity(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    snapshot_entry: MockConfigEntry,
) -> None:
    """The select's state, options and registry entry."""
    await snapshot_platform(hass, entity_registry, snapshot, snapshot_entry.entry_id)


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("put_response", "preset_change", "active", "key"),
    [
        ("status", "apply", None, None),
        ("ack", "apply", None, None),
        ("empty", "apply", None, None),
        ("status", "ignore", None, "preset_not_confirmed"),
        ("status", "reject", None, "command_failed"),
        *[
            ("status", "ignore", unlisted, "preset_not_confirmed_unlisted")
            for unlisted in ("gone", "", "09c64401")
        ],
    ],
)
async def test_select_preset(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    put_response: Any,
    preset_change: Any,
    active: str | None,
    key: str | None,
) -> None:
    """Selecting a label sends its id; unconfirmed, the call fails in full words."""
    simulator.put_response, simulator.preset_change = put_response, preset_change
    if active is not None:
        await async_setup_component(hass, "homeassistant", {})
        simulator.add_fault(Fault(fields={"activePresetId": active}))
        await call(hass, "homeassistant", "update_entity", PRESET)
    shown = state(hass, PRESET)
    committee = simulator.presets[1]

    with pytest.raises(HomeAssistantError) if key else contextlib.nullcontext() as err:
        await call(hass, "select", SERVICE_SELECT_OPTION, PRESET, option=committee.name)

    puts = [request.body for request in simulator.requests if request.method == "PUT"]
    assert puts == [{"activePresetId": committee.id}]
    assert state(hass, PRESET) == (shown if key else committee.name)
    if key:
        assert err.value.translation_key == key
        strings = await async_get_translations(hass, "en", "exceptions", [DOMAIN])
        message = strings[f"component.{DOMAIN}.exceptions.{key}.message"]
        placeholders = err.value.translation_placeholders or {}
        assert all(placeholders[name] for name in re.findall(r"{(\w+)}", message))
        if key == "preset_not_confirmed":
            assert placeholders["preset"] == shown


async def serve_presets(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    presets: list[dict[str, str]],
) -> None:
    """Make the server list exactly these presets, none active, and poll them."""
    simulator.clear_faults()
    simulator.add_fault(Fault(fields={"presets": presets, "activePresetId": None}))
    await poll(hass, freezer)


async def chosen_id(
    hass: HomeAssistant, simulator: MediaScribeSimulator, option: str
) -> str:
    """Select an option and return the preset id that reached the server."""
    with contextlib.suppress(HomeAssistantError):
        await call(hass, "select", SERVICE_SELECT_OPTION, PRESET, option=option)
    put = [r.body for r in simulator.requests if r.method == "PUT"][-1]
    return put["activePresetId"]  # type: ignore[index]


PRESET_SETS = {
    "a name that reads like another's label": [
        {"id": "aa638eeb-1", "name": "Default"},
        {"id": "aa638eeb-2", "name": "Default"},
        {"id": "zz", "name": "Default (aa638eeb-1)"},
    ],
    "long names that differ only at the end": [
        {"id": "p1", "name": LONG + "left"},
        {"id": "p2", "name": LONG + "right"},
        {"id": "p3", "name": "Short"},
    ],
    "blank and duplicated ids": [
        {"id": "x", "name": "  "},
        {"id": "y", "name": ""},
        {"id": "x", "name": "Again"},
    ],
}


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("presets", PRESET_SETS.values(), ids=PRESET_SETS)
async def test_labels_unique_fit_and_ignore_order(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    presets: list[dict[str, str]],
) -> None:
    """Every order of the same presets gives the same label for the same preset."""
    simulator.preset_change = "reject"  # refused at once: no read-back to wait for
    seen: dict[str, str] | None = None
    for order in itertools.islice(itertools.permutations(presets), 4):
        await serve_presets(hass, freezer, simulator, list(order))
        options = hass.states.get(PRESET).attributes[ATTR_OPTIONS]
        assert len(set(options)) == len(options) == len({p["id"] for p in presets})
        assert all(0 < len(option) <= MAX_LENGTH_STATE_STATE for option in options)
        mapping = {
            option: await chosen_id(hass, simulator, option) for option in options
        }
        assert seen in (None, mapping)
        seen = mapping


@pytest.mark.usefixtures("init_integration")
async def test_follows_server_and_edge_states(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Renamed presets show on the next poll, shortened if long; unlisted: unknown."""
    simulator.rename_preset(simulator.presets[0].id, "Chamber (new camera)")
    await poll(hass, freezer)
    assert state(hass, PRESET) == "Chamber (new camera)"

    for name in (LONG, "Ä" * 300, "x" * 256):
        simulator.rename_preset(simulator.presets[0].id, name)
        await poll(hass, freezer)
        assert len(shown := state(hass, PRESET)) == MAX_LENGTH_STATE_STATE
        assert name.startswith(shown[:-1])
    assert "ERROR" not in caplog.text

    simulator.active_preset_id = "gone"
    await poll(hass, freezer)
    assert state(hass, PRESET) == STATE_UNKNOWN

    await serve_presets(hass, freezer, simulator, [])
    assert state(hass, PRESET) == STATE_UNAVAILABLE
    assert hass.states.get(PRESET).attributes.get(ATTR_OPTION) is None


@pytest.mark.usefixtures("init_integration")
async def test_labels_say_which_preset(
    hass: HomeAssistant, simulator: MediaScribeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A shared name gets the id; a label that still collides, a short digest."""
    await serve_presets(
        hass, freezer, simulator, PRESET_SETS["a name that reads like another's label"]
    )
    options = sorted(hass.states.get(PRESET).attributes[ATTR_OPTIONS])
    patterns = [
        r"Default \(#[0-9a-f]{10}\)",
        r"Default \(aa638eeb-1\) \(#[0-9a-f]{10}\)",
        r"Default \(aa638eeb-2\)",
    ]
    assert all(re.fullmatch(p, o) for p, o in zip(patterns, options, strict=True))
