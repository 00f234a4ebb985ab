"""Tests for setting up and unloading MediaScribe entries."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
import tracemalloc
from typing import TYPE_CHECKING
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_URL, SERVICE_TURN_ON, STATE_ON, STATE_UNAVAILABLE
from homeassistant.helpers import issue_registry as ir

import custom_components.mediascribe
from custom_components.mediascribe.api import MediaScribeClient, Status
from custom_components.mediascribe.const import DOMAIN
from simulator import Fault

from .conftest import SWITCH, TOKEN, call, state

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import MediaScribeSimulator


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry loads its entities and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(SWITCH).state == "off"

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(SWITCH).state == STATE_UNAVAILABLE


async def test_setup_retries_while_server_down(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A server that is down at start-up puts the entry in retry, then it loads."""
    port = simulator.port
    await simulator.stop()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY

    await simulator.start(host="127.0.0.1", port=port)
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_setup_with_revoked_token_starts_reauth(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A rejected token fails setup and asks the user for a new one."""
    simulator.revoke_token(TOKEN)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_repair_issue_while_token_travels_unencrypted(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Plain http to a public host raises one warning, withdrawn when fixed."""
    issue_id = f"token_unencrypted_{mock_config_entry.entry_id}"
    mock_config_entry.add_to_hass(hass)
    # The simulator is on loopback; pretend its address is a public one.
    with patch("custom_components.mediascribe.exposes_token", return_value=True):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {
        "name": mock_config_entry.title,
        "url": mock_config_entry.data[CONF_URL],
    }
    assert len(issue_registry.issues) == 1

    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    with patch("custom_components.mediascribe.exposes_token", return_value=True):
        await hass.config_entries.async_reload(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


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
) -> None:
    """Memory our code allocated for an entry is freed with it, however busy it was."""
    package = str(Path(custom_components.mediascribe.__file__).parent)
    tracemalloc.start()
    try:
        gc.collect()
        baseline = tracemalloc.take_snapshot()
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        for round_ in range(100):
            presets = [
                {"id": f"{round_}-{i}-" + "x" * 40, "name": f"Preset {i} " * 10}
                for i in range(50)
            ]
            simulator.clear_faults()
            simulator.add_fault(Fault(fields={"presets": presets}))
            await mock_config_entry.runtime_data.async_refresh()
        busy = _ours(tracemalloc.take_snapshot(), baseline, package)
        await hass.config_entries.async_remove(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        gc.collect()
        left = _ours(tracemalloc.take_snapshot(), baseline, package)
    finally:
        tracemalloc.stop()
    assert busy > 10_000, "the latest presets should be held while loaded"
    assert left < 20_000, f"{left} bytes allocated by the integration outlive it"


def _ours(
    snapshot: tracemalloc.Snapshot, baseline: tracemalloc.Snapshot, package: str
) -> int:
    """Return the bytes still allocated by the integration's code since baseline."""
    ours = snapshot.filter_traces([tracemalloc.Filter(True, f"{package}/*")])
    before = baseline.filter_traces([tracemalloc.Filter(True, f"{package}/*")])
    return sum(stat.size_diff for stat in ours.compare_to(before, "filename"))
