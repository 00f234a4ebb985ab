"""Tests for the video signal and recording problem sensors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import STATE_OFF, STATE_ON, Platform
import pytest

from .conftest import (
    NO_SIGNAL,
    SNAPSHOT_STATES,
    SNAPSHOT_TIME,
    poll,
    snapshot_entities,
    state,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from simulator import MediaScribeSimulator


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the binary sensor platform alone."""
    return [Platform.BINARY_SENSOR]


@SNAPSHOT_TIME
@SNAPSHOT_STATES
async def test_binary_sensor_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
    recording: bool,
) -> None:
    """The sensors' states and registry entries."""
    await snapshot_entities(
        hass, init_integration, simulator, freezer, snapshot, recording=recording
    )


@pytest.mark.usefixtures("init_integration")
async def test_signal_lost_within_one_poll(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A lost and a restored signal show at the next poll."""
    assert state(hass, NO_SIGNAL) == STATE_OFF
    simulator.has_no_signal = True
    await poll(hass, freezer)
    assert state(hass, NO_SIGNAL) == STATE_ON
    simulator.has_no_signal = False
    await poll(hass, freezer)
    assert state(hass, NO_SIGNAL) == STATE_OFF
