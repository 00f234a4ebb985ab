"""Tests for setting up and unloading MediaScribe entries."""

from __future__ import annotations

from typing import TYPE_CHECKING
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_URL, STATE_UNAVAILABLE
from homeassistant.helpers import issue_registry as ir

from custom_components.mediascribe.const import DOMAIN

from .conftest import SWITCH, TOKEN

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
