"""Tests for the MediaScribe diagnostics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.filters import props

from custom_components.mediascribe.const import DOMAIN
from simulator import Fault

from .conftest import SITE_NAME, TOKEN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from simulator import MediaScribeSimulator


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """The dump holds the known fields of the status and the entry, redacted."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert result == snapshot(exclude=props("created_at", "modified_at"))


@pytest.mark.usefixtures("system_resolver")
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_diagnostics_hide_address_and_token_everywhere(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: MediaScribeSimulator,
    host: str,
) -> None:
    """A hostile server's echoes and a connection error leave no address or token."""
    port = simulator.port
    url = f"http://{host}:{port}"
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=SITE_NAME,
        data={CONF_URL: url, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: True},
    )
    simulator.add_fault(
        Fault(
            fields={
                "siteName": f"Echo {TOKEN} at {url}",
                "debug": {"token": TOKEN, "peer": host},
                "presets": [{"id": "p", "name": f"{host}:{port}"}],
            }
        )
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await simulator.stop()
    for _ in range(2):
        await entry.runtime_data.async_refresh()

    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    dumped = json.dumps(result)
    assert result["last_update_success"] is False
    assert "Cannot connect" in result["last_exception"]
    assert "debug" not in result["status"]
    for secret in (TOKEN, host, "127.0.0.1", str(port)):
        assert secret not in dumped, secret
