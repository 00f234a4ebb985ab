"""Diagnostics for MediaScribe: the known fields, without token or address."""

from __future__ import annotations

from dataclasses import asdict
import ipaddress
import re
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_TOKEN, CONF_URL
from yarl import URL

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import MediaScribeConfigEntry

TO_REDACT = {CONF_API_TOKEN, CONF_URL}
REDACTED = "**REDACTED**"
# Anything shaped like an IPv4 or IPv6 address, as connection errors name the
# addresses a host name resolved to.
_ADDRESS = re.compile(r"\[?[0-9a-f:.]*[:.][0-9a-f:.]*\]?", re.IGNORECASE)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MediaScribeConfigEntry
) -> dict[str, Any]:
    """Return the entry, the coordinator's health and the last status."""
    coordinator = entry.runtime_data
    data = coordinator.data
    url = URL(coordinator.client.url)
    # Longest first, so the URL goes before the host name inside it.
    forms = sorted({str(url), url.host or "", url.raw_host or ""} - {""}, key=len)
    port = re.compile(rf"\b{url.port}\b")

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {scrub(key): scrub(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [scrub(item) for item in value]
        if not isinstance(value, str):
            return value
        text = coordinator.client.scrub(value)
        for form in reversed(forms):
            text = text.replace(form, REDACTED)
        text = port.sub(REDACTED, text)
        return _ADDRESS.sub(_redact_address, text)

    error = coordinator.last_exception
    diagnostics: dict[str, Any] = scrub(
        {
            "entry": async_redact_data(entry.as_dict(), TO_REDACT),
            "last_update_success": coordinator.last_update_success,
            "last_exception": None
            if error is None
            else f"{type(error).__name__}: {error}",
            "status": asdict(data.status),
            "options": data.options,
            "recording_started": data.recording_started
            and data.recording_started.isoformat(),
            "stalled": data.stalled,
            "problem": data.problem,
        }
    )
    return diagnostics


def _redact_address(match: re.Match[str]) -> str:
    """Redact a match that really is an IP address."""
    try:
        ipaddress.ip_address(match.group().strip("[]"))
    except ValueError:
        return match.group()
    return REDACTED
