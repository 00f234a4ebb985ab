"""Tests for the MediaScribe diagnostics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.filters import props

from .conftest import TOKEN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from simulator import MediaScribeSimulator


async def test_diagnostics_redacts_token_and_address(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """The dump holds the raw status but neither the token nor the server URL."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    dumped = json.dumps(result)
    assert TOKEN not in dumped
    assert simulator.url not in dumped
    assert result["status"] == simulator.status_document()
    assert result["entry"]["data"]["api_token"] == "**REDACTED**"
    assert result["entry"]["data"]["verify_ssl"] is True
    assert result == snapshot(exclude=props("entry_id", "created_at", "modified_at"))


async def test_diagnostics_after_failure(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The last error is included with the server address removed."""
    url = simulator.url
    await simulator.stop()
    await init_integration.runtime_data.async_refresh()
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert result["last_update_success"] is False
    assert "UpdateFailed" in result["last_exception"]
    assert "**REDACTED**" in result["last_exception"]
    assert url not in json.dumps(result)
