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

from custom_components.mediascribe.const import DOMAIN
from simulator import Fault

from .conftest import (
    PRESET,
    SNAPSHOT_STATES,
    SNAPSHOT_TIME,
    call,
    snapshot_entities,
    state,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from simulator import MediaScribeSimulator

LONG = "Council Chamber, wide shot with the dais and the public gallery " * 6


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the select platform alone."""
    return [Platform.SELECT]


@SNAPSHOT_TIME
@SNAPSHOT_STATES
async def test_select_entity(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
    recording: bool,
) -> None:
    """The select's state, options and registry entry."""
    await snapshot_entities(
        hass, init_integration, simulator, freezer, snapshot, recording=recording
    )


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("put_response", ["status", "ack", "empty"])
async def test_select_preset(
    hass: HomeAssistant, simulator: MediaScribeSimulator, put_response: Any
) -> None:
    """Selecting a label sends its id and returns once the server confirms."""
    simulator.put_response = put_response
    committee = simulator.presets[1]
    await call(hass, "select", SERVICE_SELECT_OPTION, PRESET, option=committee.name)
    assert simulator.active_preset_id == committee.id
    assert state(hass, PRESET) == committee.name
    assert simulator.requests[-2 if put_response != "status" else -1].body == {
        "activePresetId": committee.id
    }


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("preset_change", "key"),
    [("ignore", "preset_not_confirmed"), ("reject", "command_failed")],
)
async def test_preset_not_applied(
    hass: HomeAssistant, simulator: MediaScribeSimulator, preset_change: Any, key: str
) -> None:
    """A server that ignores or refuses the change fails the call; state stays true."""
    simulator.preset_change = preset_change
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "select", SERVICE_SELECT_OPTION, PRESET, option="Default")
    assert err.value.translation_key == key
    assert state(hass, PRESET) == "Council Chamber"


async def serve_presets(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    simulator: MediaScribeSimulator,
    presets: list[dict[str, str]],
    active: str | None = None,
) -> None:
    """Make the server list exactly these presets and read them."""
    simulator.clear_faults()
    simulator.add_fault(Fault(fields={"presets": presets, "activePresetId": active}))
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()


async def chosen_id(
    hass: HomeAssistant, simulator: MediaScribeSimulator, option: str
) -> str:
    """Select an option and return the preset id that reached the server."""
    simulator.preset_change = "ignore"
    with contextlib.suppress(HomeAssistantError):
        await call(hass, "select", SERVICE_SELECT_OPTION, PRESET, option=option)
    put = [r for r in simulator.requests if r.method == "PUT"][-1]
    assert isinstance(put.body, dict)
    return str(put.body["activePresetId"])


PRESET_SETS = {
    "same name": [
        {"id": "aa638eeb-854b-4e14-87a5-500be376f948", "name": "Default"},
        {"id": "0b1f8c2e-1111-4e14-87a5-500be376f948", "name": "Default"},
        {"id": "c3d2", "name": "Wide"},
    ],
    "same name, ids sharing a long prefix": [
        {"id": "preset-000000000001", "name": "Default"},
        {"id": "preset-000000000002", "name": "Default"},
        {"id": "preset-000000000003", "name": "Default"},
    ],
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


@pytest.mark.parametrize("presets", PRESET_SETS.values(), ids=PRESET_SETS)
async def test_labels_unique_fit_and_ignore_order(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    presets: list[dict[str, str]],
) -> None:
    """Every order of the same presets gives the same label for the same preset."""
    seen: dict[str, str] | None = None
    for order in itertools.islice(itertools.permutations(presets), 4):
        await serve_presets(hass, init_integration, simulator, list(order))
        options = hass.states.get(PRESET).attributes[ATTR_OPTIONS]
        assert len(set(options)) == len(options) == len({p["id"] for p in presets})
        assert all(0 < len(option) <= MAX_LENGTH_STATE_STATE for option in options)
        mapping = {
            option: await chosen_id(hass, simulator, option) for option in options
        }
        assert seen in (None, mapping)
        seen = mapping


@pytest.mark.parametrize("name", [LONG, "Ä" * 300, "x" * 256])
async def test_long_active_preset_name_fits(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    """An active preset with a name longer than a state shows, shortened."""
    await serve_presets(
        hass, init_integration, simulator, [{"id": "p", "name": name}], "p"
    )
    shown = state(hass, PRESET)
    assert len(shown) == MAX_LENGTH_STATE_STATE
    assert name.startswith(shown[:-1])
    assert "ERROR" not in caplog.text


async def test_follows_server_and_edge_states(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
) -> None:
    """Renamed presets show at once; an unlisted active preset is unknown."""
    first = simulator.presets[0]
    simulator.rename_preset(first.id, "Chamber (new camera)")
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert state(hass, PRESET) == "Chamber (new camera)"

    simulator.active_preset_id = "gone"
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert state(hass, PRESET) == STATE_UNKNOWN

    await serve_presets(hass, init_integration, simulator, [])
    assert state(hass, PRESET) == STATE_UNAVAILABLE
    assert hass.states.get(PRESET).attributes.get(ATTR_OPTION) is None


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("active", ["gone", "", "09c64401"])
async def test_preset_not_applied_from_an_unlisted_preset(
    hass: HomeAssistant, simulator: MediaScribeSimulator, active: str
) -> None:
    """With the active preset unlisted, the error has no empty part."""
    await async_setup_component(hass, "homeassistant", {})
    simulator.add_fault(Fault(fields={"activePresetId": active}))
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": PRESET}, blocking=True
    )
    simulator.preset_change = "ignore"
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "select", SERVICE_SELECT_OPTION, PRESET, option="Default")
    key = err.value.translation_key
    assert key == "preset_not_confirmed_unlisted"
    strings = await async_get_translations(hass, "en", "exceptions", [DOMAIN])
    message = strings[f"component.{DOMAIN}.exceptions.{key}.message"]
    placeholders = err.value.translation_placeholders or {}
    assert all(placeholders[name] for name in re.findall(r"{(\w+)}", message))
