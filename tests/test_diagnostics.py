"""Tests for the MediaScribe diagnostics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryDisabler
from homeassistant.const import CONF_URL
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.filters import props

from custom_components.mediascribe.const import DOMAIN
from simulator import Fault

from .conftest import TOKEN, poll

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from simulator import MediaScribeSimulator


async def test_diagnostics(
    hass: HomeAssistant,
    snapshot_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """The dump holds the entry without secrets and the known status fields."""
    # hass_client comes after snapshot_entry: its token is issued at the
    # snapshot's time.
    result = await get_diagnostics_for_config_entry(hass, hass_client, snapshot_entry)
    assert result == snapshot(exclude=props("created_at", "modified_at"))


@pytest.mark.parametrize(
    ("fault", "state", "error"),
    [
        (None, "setup_retry", "cannot_connect"),
        (Fault(status=503), "setup_retry", "server_error"),
        (Fault(status=429), "setup_retry", "server_busy"),
        (Fault(body=b"<html>"), "setup_retry", "invalid_response"),
        (Fault(status=401), "setup_error", "invalid_auth"),
    ],
)
async def test_diagnostics_of_an_entry_that_failed_to_set_up(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
    simulator: MediaScribeSimulator,
    fault: Fault | None,
    state: str,
    error: str,
) -> None:
    """When setup fails, diagnostics still answer, with why and without secrets."""
    address = simulator.url.removeprefix("http://")
    if fault is None:
        await simulator.stop()
    else:
        simulator.add_fault(fault)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    result = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )
    assert (result["state"], result["last_error"]) == (state, error)
    assert result["entry"]["data"][CONF_URL] == "**REDACTED**"
    assert TOKEN not in json.dumps(result)
    assert address not in json.dumps(result)


@pytest.mark.parametrize(
    "site", ["Room 80", "Hall 192.168.7.60:554.", "Chamber [::1]:80", "Port 8080"]
)
async def test_diagnostics_redact_secrets_not_lookalikes(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    site: str,
) -> None:
    """A token echoed into the status is starred; a name that looks odd is kept."""
    simulator.site_name = site
    simulator.add_fault(
        Fault(fields={"presets": [{"id": "p", "name": f"Echo {TOKEN}"}]}, count=1)
    )
    await poll(hass, freezer)
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert result["status"]["site_name"] == site
    assert result["status"]["presets"] == [{"id": "p", "name": "Echo ***"}]
    address = simulator.url.removeprefix("http://")
    await simulator.stop()
    for _ in range(2):
        await poll(hass, freezer)
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert (result["last_update_success"], result["last_error"]) == (
        False,
        "cannot_connect",
    )
    dumped = json.dumps(result)
    assert TOKEN not in dumped
    assert address not in dumped


async def test_diagnostics_of_an_entry_never_set_up(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """A disabled entry, never set up, still has diagnostics: the entry alone."""
    disabled = MockConfigEntry(
        domain=DOMAIN,
        title="Shelbyville",
        data={**init_integration.data, CONF_URL: "http://192.0.2.1"},
        disabled_by=ConfigEntryDisabler.USER,
    )
    disabled.add_to_hass(hass)
    result = await get_diagnostics_for_config_entry(hass, hass_client, disabled)
    assert set(result) == {"entry", "state"}
    assert result["state"] == "not_loaded"
    assert TOKEN not in json.dumps(result)
