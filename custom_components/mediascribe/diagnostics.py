"""Diagnostics for MediaScribe, with the token and server address removed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_TOKEN, CONF_URL

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import MediaScribeConfigEntry

# The unique id and the title carry the server URL and the site name.
TO_REDACT = {CONF_API_TOKEN, CONF_URL, "unique_id", "title"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MediaScribeConfigEntry
) -> dict[str, Any]:
    """Return the entry, the coordinator's health and the last raw status."""
    coordinator = entry.runtime_data
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "last_update_success": coordinator.last_update_success,
        "last_exception": repr(coordinator.last_exception),
        "status": dict(coordinator.data.raw),
    }
