"""Tests for the MediaScribe config flow."""

from __future__ import annotations

from typing import TYPE_CHECKING
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.mediascribe.const import DOMAIN
from simulator import Fault, MediaScribeSimulator

from .conftest import SITE_NAME, SWITCH, TOKEN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


pytestmark = pytest.mark.usefixtures("socket_enabled")


def user_input(url: str, token: str = TOKEN, *, verify_ssl: bool = True) -> dict:
    """Return what a user types into the form."""
    return {CONF_URL: url, CONF_API_TOKEN: token, CONF_VERIFY_SSL: verify_ssl}


async def test_user_flow_creates_entry(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """A pasted status URL and a valid token create an entry named by the site."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(f" {simulator.url}/api/control/status/ ")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == SITE_NAME
    assert result["data"] == user_input(simulator.url)
    assert result["result"].unique_id == simulator.url
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("url", "token", "errors"),
    [
        ("ftp://nowhere", TOKEN, {CONF_URL: "invalid_url"}),
        (None, "wrong-token", {CONF_API_TOKEN: "invalid_auth"}),
        ("http://127.0.0.1:9", TOKEN, {"base": "cannot_connect"}),
    ],
)
async def test_user_flow_errors_recover(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    url: str | None,
    token: str,
    errors: dict[str, str],
) -> None:
    """Each error is shown on the form, and the same form then succeeds."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(url or simulator.url, token)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_invalid_response_recovers(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """Something other than MediaScribe answering is told apart from no answer."""
    simulator.add_fault(
        Fault(body=b"<html>router login</html>", content_type="text/html")
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.url)
    )
    assert result["errors"] == {"base": "invalid_response"}

    simulator.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unknown_error_recovers(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """An unexpected exception becomes 'unknown' and the form stays usable."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    with patch(
        "custom_components.mediascribe.config_flow.MediaScribeClient.get_status",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(simulator.url)
        )
    assert result["errors"] == {"base": "unknown"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_already_configured(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The same server under another spelling of its URL aborts."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.url.removeprefix("http://") + "/")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_flow(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A revoked token starts reauth; a wrong token is refused, a new one works."""
    simulator.revoke_token(TOKEN)
    simulator.add_token("new-token")
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["step_id"] for flow in flows] == ["reauth_confirm"]
    flow_id = flows[0]["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_TOKEN: TOKEN}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_TOKEN: "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_API_TOKEN: "new-token"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_API_TOKEN] == "new-token"
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(SWITCH).state == "off"


async def test_reconfigure_same_server(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Reconfigure can change the token and certificate check in place."""
    simulator.add_token("other-token")
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    # The stored token is never prefilled, so it cannot be sent to a new host
    # that the user did not also type the token for.
    defaults = {
        str(key): key.default()
        for key in result["data_schema"].schema
        if key.default is not vol.UNDEFINED
    }
    assert defaults == {CONF_URL: simulator.url, CONF_VERIFY_SSL: True}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.url, "bad")
    )
    assert result["errors"] == {CONF_API_TOKEN: "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input("mailto:x", "bad")
    )
    assert result["errors"] == {CONF_URL: "invalid_url"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.url, "other-token", verify_ssl=False)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data == user_input(
        simulator.url, "other-token", verify_ssl=False
    )


async def test_reconfigure_new_url_keeps_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A new address moves the unique ids; entity ids and the device stay."""
    before = {
        entity.entity_id: entity.id
        for entity in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
    }
    device = device_registry.async_get_device(identifiers={(DOMAIN, simulator.url)})
    assert device is not None
    # The server moved to another address.
    async with MediaScribeSimulator(tokens=[TOKEN], site_name=SITE_NAME) as moved_sim:
        new_url = moved_sim.url
        result = await init_integration.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(new_url)
        )
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
        assert moved_sim.requests
        assert hass.states.get(SWITCH).state == "off"
        await hass.config_entries.async_unload(init_integration.entry_id)

    assert init_integration.unique_id == new_url
    after = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    assert {entity.entity_id: entity.id for entity in after} == before
    assert all(entity.unique_id.startswith(f"{new_url}_") for entity in after)
    moved = device_registry.async_get_device(identifiers={(DOMAIN, new_url)})
    assert moved is not None
    assert moved.id == device.id


async def test_reconfigure_to_other_entry_aborts(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Pointing an entry at a server another entry has is refused."""
    other = MockConfigEntry(domain=DOMAIN, unique_id="http://other", data={})
    other.add_to_hass(hass)
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input("other")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert init_integration.unique_id == simulator.url


async def test_reconfigure_entry_that_never_loaded(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An entry stuck retrying at an old address can be pointed at the new one."""
    old_url = simulator.url
    await simulator.stop()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY

    async with MediaScribeSimulator(tokens=[TOKEN], site_name=SITE_NAME) as moved:
        result = await mock_config_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(moved.url)
        )
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
        assert mock_config_entry.state is ConfigEntryState.LOADED
        assert mock_config_entry.unique_id == moved.url != old_url
        await hass.config_entries.async_unload(mock_config_entry.entry_id)
