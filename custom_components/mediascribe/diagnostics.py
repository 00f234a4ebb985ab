"""Diagnostics for MediaScribe, with the token and server address removed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_TOKEN, CONF_URL

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import MediaScribeConfigEntry

# The unique id is the server URL, an address on the user's network.
TO_REDACT = {CONF_API_TOKEN, CONF_URL, "unique_id"}
REDACTED = "**REDACTED**"


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MediaScribeConfigEntry
) -> dict[str, Any]:
    """Return the entry, the coordinator's health and the last raw status."""
    coordinator = entry.runtime_data
    # Connection errors name the server they could not reach.
    last_error = None
    if (err := coordinator.last_exception) is not None:
        last_error = _describe(err).replace(coordinator.client.url, REDACTED)
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "last_update_success": coordinator.last_update_success,
        "last_exception": last_error,
        "status": dict(coordinator.data.raw),
    }


def _describe(err: BaseException) -> str:
    """Describe an error and the client error behind it."""
    text = f"{type(err).__name__}: {err}"
    if err.__cause__ is not None:
        text += f" (from {_describe(err.__cause__)})"
    return text
