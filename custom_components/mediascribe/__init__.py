"""The MediaScribe integration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_URL, Platform
from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir

from .api import exposes_token
from .const import DOMAIN
from .coordinator import MediaScribeConfigEntry, MediaScribeCoordinator

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_setup_entry(hass: HomeAssistant, entry: MediaScribeConfigEntry) -> bool:
    """Set up MediaScribe from a config entry."""
    _async_warn_if_token_exposed(hass, entry)
    # Assigned first, so that diagnostics work for a setup that failed too.
    entry.runtime_data = MediaScribeCoordinator(hass, entry)
    await entry.runtime_data.async_config_entry_first_refresh()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: MediaScribeConfigEntry
) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: MediaScribeConfigEntry
) -> None:
    """Withdraw the entry's repair issue along with the entry."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(entry))


@callback
def _async_warn_if_token_exposed(
    hass: HomeAssistant, entry: MediaScribeConfigEntry
) -> None:
    """Raise a repair issue while the token would travel unencrypted."""
    if not exposes_token(entry.data[CONF_URL]):
        ir.async_delete_issue(hass, DOMAIN, _issue_id(entry))
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="token_unencrypted",
        translation_placeholders={"name": entry.title, "url": entry.data[CONF_URL]},
    )


def _issue_id(entry: MediaScribeConfigEntry) -> str:
    return f"token_unencrypted_{entry.entry_id}"
