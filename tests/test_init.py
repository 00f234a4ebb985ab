"""Tests for setting up and unloading MediaScribe entries."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
import tracemalloc
from typing import TYPE_CHECKING
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import SERVICE_TURN_ON, STATE_ON, STATE_UNAVAILABLE

import custom_components.mediascribe
from custom_components.mediascribe.api import MediaScribeClient, Status
from simulator import Fault

from .conftest import SWITCH, call, poll, state

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import MediaScribeSimulator


async def test_setup_retry_load_unload(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A server down at start-up means retry; once it is back: load, then unload."""
    port = simulator.port
    await simulator.stop()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY

    await simulator.start(port=port)
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert state(hass, SWITCH) == "off"

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    assert state(hass, SWITCH) == STATE_UNAVAILABLE


async def test_reload_waits_for_a_command_in_flight(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
) -> None:
    """A reload during a start reads the status only after the start is done."""
    gate = asyncio.Event()
    send = MediaScribeClient.start

    async def held_start(client: MediaScribeClient) -> Status | None:
        await gate.wait()
        return await send(client)

    with patch.object(MediaScribeClient, "start", held_start):
        command = hass.async_create_task(
            call(hass, "switch", SERVICE_TURN_ON, SWITCH), eager_start=False
        )
        await asyncio.sleep(0)
        reload = hass.async_create_task(
            hass.config_entries.async_reload(init_integration.entry_id)
        )
        await asyncio.sleep(0.05)
        assert not reload.done()
        gate.set()
        await command
        await reload
    await hass.async_block_till_done()
    assert simulator.is_recording
    assert state(hass, SWITCH) == STATE_ON


async def test_nothing_outlives_a_removed_entry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Memory our code allocated for an entry is freed with it, however busy it was."""
    package = str(Path(custom_components.mediascribe.__file__).parent)
    ours = [tracemalloc.Filter(True, f"{package}/*")]
    tracemalloc.start()
    try:
        gc.collect()
        baseline = tracemalloc.take_snapshot().filter_traces(ours)
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        for round_ in range(100):
            presets = [
                {"id": f"{round_}-{i}-" + "x" * 40, "name": f"Preset {i} " * 10}
                for i in range(50)
            ]
            simulator.clear_faults()
            simulator.add_fault(Fault(fields={"presets": presets}))
            await poll(hass, freezer)
        busy = tracemalloc.take_snapshot().filter_traces(ours)
        await hass.config_entries.async_remove(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        gc.collect()
        left = tracemalloc.take_snapshot().filter_traces(ours)
    finally:
        tracemalloc.stop()
    held, kept = (
        sum(stat.size_diff for stat in snap.compare_to(baseline, "filename"))
        for snap in (busy, left)
    )
    assert held > 10_000, "the latest presets should be held while loaded"
    assert kept < 20_000, f"{kept} bytes allocated by the integration outlive it"
