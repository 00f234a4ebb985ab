"""Diagnostics for MediaScribe: the entry without its secrets, and the known fields."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_TOKEN, CONF_URL

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import MediaScribeConfigEntry

# The address is not a secret, but it says where a council's network is.
TO_REDACT = {CONF_API_TOKEN, CONF_URL}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MediaScribeConfigEntry
) -> dict[str, Any]:
    """Return the entry, the coordinator's health and the last status, if any.

    Works in every state of the entry, including a setup that failed.
    """
    diagnostics: dict[str, Any] = {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "state": entry.state.value,
    }
    # Set before the first refresh, so a setup that failed has one too.
    if (coordinator := getattr(entry, "runtime_data", None)) is None:
        return diagnostics
    # Error messages name the server's address; their kind is what helps.
    error = coordinator.last_exception
    diagnostics["last_update_success"] = coordinator.last_update_success
    diagnostics["last_error"] = error and (
        getattr(error, "translation_key", None) or type(error).__name__
    )
    if (data := coordinator.data) is not None:
        started = data.recording_started
        diagnostics |= {
            "status": asdict(data.status),
            "options": data.options,
            "recording_started": started and started.isoformat(),
            "recording_state": data.recording_state,
            "failure": data.failure and asdict(data.failure),
        }
    return diagnostics
