"""Tests for the video signal sensor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import STATE_OFF, STATE_ON, Platform
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform

from .conftest import (
    NO_SIGNAL,
    poll,
    state,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from simulator import MediaScribeSimulator


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the binary sensor platform alone."""
    return [Platform.BINARY_SENSOR]


async def test_binary_sensor_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    snapshot_entry: MockConfigEntry,
) -> None:
    """The sensors' states and registry entries."""
    await snapshot_platform(hass, entity_registry, snapshot, snapshot_entry.entry_id)


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
