"""Tests for the recording sensors: start time and file."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.const import MAX_LENGTH_STATE_STATE, STATE_UNKNOWN, Platform
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform

from simulator import Fault

from .conftest import FILE, STARTED, poll, state

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from simulator import MediaScribeSimulator


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the sensor platform alone."""
    return [Platform.SENSOR]


async def test_sensor_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    snapshot_entry: MockConfigEntry,
) -> None:
    """The sensors' states and registry entries."""
    await snapshot_platform(hass, entity_registry, snapshot, snapshot_entry.entry_id)


@pytest.mark.usefixtures("init_integration")
async def test_started_time_is_steady(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The start time is now minus the position and does not jitter with polls."""
    simulator.start_recording()
    began = dt_util.utcnow().replace(microsecond=0)
    await poll(hass, freezer)
    assert dt_util.parse_datetime(state(hass, STARTED)) == began
    for seconds in (4.6, 5.4, 5.0):
        await poll(hass, freezer, timedelta(seconds=seconds))
        assert dt_util.parse_datetime(state(hass, STARTED)) == began
    # A counter that really jumps moves the start with it.
    simulator.add_fault(Fault(fields={"recording": {"position": 2, "path": "x"}}))
    await poll(hass, freezer)
    assert dt_util.parse_datetime(state(hass, STARTED)) > began
    simulator.clear_faults()
    simulator.stop_recording()
    await poll(hass, freezer)
    assert state(hass, STARTED) == STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/srv/recordings/2026-11-29/council.mkv", "council.mkv"),
        ("E:\\" + "deep\\" * 80 + "meeting.mp4", "meeting.mp4"),
        ("D:\\rec\\" + "n" * 300 + ".mp4", "n" * (MAX_LENGTH_STATE_STATE - 1) + "…"),
    ],
)
async def test_recording_file_shows_file_name(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    path: str,
    name: str,
) -> None:
    """The state is the file name that fits a state; the full path is an attribute."""
    simulator.add_fault(Fault(fields={"recording": {"position": 1, "path": path}}))
    await poll(hass, freezer)
    assert state(hass, FILE) == name
    assert hass.states.get(FILE).attributes["path"] == path


@pytest.mark.usefixtures("init_integration")
async def test_stopped_shows_the_last_recording(
    hass: HomeAssistant, simulator: MediaScribeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """While stopped the file sensor shows the last recording and its length."""
    assert state(hass, FILE) == STATE_UNKNOWN
    for _ in range(2):  # the second recording replaces the first
        simulator.start_recording()
        await poll(hass, freezer)
        await poll(hass, freezer, timedelta(minutes=2))
        path = hass.states.get(FILE).attributes["path"]
        simulator.stop_recording()
        await poll(hass, freezer)
        await poll(hass, freezer)
        assert hass.states.get(FILE).attributes == {
            "friendly_name": "Springfield City Council Recording file",
            "path": path,
            "duration": 125,
        }
        assert state(hass, STARTED) == STATE_UNKNOWN
