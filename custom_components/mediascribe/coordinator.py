"""Poll a MediaScribe server and run commands against it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    MediaScribeAuthenticationError,
    MediaScribeCertificateError,
    MediaScribeClient,
    MediaScribeConnectionError,
    MediaScribeError,
    Status,
)
from .const import DOMAIN, LOGGER, REQUEST_TIMEOUT, SCAN_INTERVAL

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.core import HomeAssistant

type MediaScribeConfigEntry = ConfigEntry[MediaScribeCoordinator]

# Polls and whole-second positions jitter the estimated start by about a
# second; a larger jump means the server's clock or counter really moved.
START_TOLERANCE = timedelta(seconds=3)


class MediaScribeCoordinator(DataUpdateCoordinator[Status]):
    """Keep the status of one MediaScribe server."""

    config_entry: MediaScribeConfigEntry

    def __init__(self, hass: HomeAssistant, entry: MediaScribeConfigEntry) -> None:
        """Create the client on Home Assistant's shared session."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=SCAN_INTERVAL,
            always_update=False,
        )
        self.client = MediaScribeClient(
            async_get_clientsession(hass, verify_ssl=entry.data[CONF_VERIFY_SSL]),
            entry.data[CONF_URL],
            entry.data[CONF_API_TOKEN],
            request_timeout=REQUEST_TIMEOUT,
        )
        self.recording_started: datetime | None = None
        # Polls and commands take turns so a poll that began before a command
        # can never overwrite the state that command confirmed.
        self._io_lock = asyncio.Lock()

    async def _async_update_data(self) -> Status:
        """Read the status, retrying once before reporting a failure."""
        async with self._io_lock:
            try:
                status = await self._read_status()
            except MediaScribeAuthenticationError as err:
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="invalid_auth"
                ) from err
            except MediaScribeError as err:
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key=_error_key(err),
                    translation_placeholders={"error": str(err)},
                ) from err
        self._observe(status)
        return status

    async def _read_status(self) -> Status:
        """Read the status; a failure other than authentication gets one retry."""
        try:
            return await self.client.get_status()
        except MediaScribeAuthenticationError:
            raise
        except MediaScribeError as err:
            LOGGER.debug("Status request failed, retrying once: %s", err)
        return await self.client.get_status()

    async def async_command(
        self, command: Callable[[], Awaitable[Status | None]]
    ) -> Status:
        """Run a command and publish the state the server confirms.

        Raises a translated HomeAssistantError when the command fails; the
        entities then show what the server reports, never a guess.
        """
        try:
            async with self._io_lock:
                status = await command()
                if status is None:
                    status = await self.client.get_status()
        except MediaScribeAuthenticationError as err:
            self.config_entry.async_start_reauth(self.hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except MediaScribeConnectionError as err:
            # The command may or may not have reached the server: show the
            # entities unavailable until a poll tells the truth.
            self.async_set_update_error(err)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err
        except MediaScribeError as err:
            # Refused, or answered with something unreadable: the server may
            # still have acted, so read back what it now reports.
            await self.async_refresh()
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        self._observe(status)
        self.async_set_updated_data(status)
        return status

    def _observe(self, status: Status) -> None:
        """Derive what outlives one status: the start time and the device name."""
        if status.recording is None:
            self.recording_started = None
        else:
            estimate = (
                dt_util.utcnow() - timedelta(seconds=status.recording.position)
            ).replace(microsecond=0)
            previous = self.data.recording if self.data else None
            if (
                self.recording_started is None
                or previous is None
                or previous.path != status.recording.path
                or abs(estimate - self.recording_started) > START_TOLERANCE
            ):
                self.recording_started = estimate
        if self.data is not None and self.data.site_name == status.site_name:
            return
        registry = dr.async_get(self.hass)
        # One device per entry; looked up by entry because the lookup by
        # identifiers is deprecated in newer Home Assistant releases.
        for device in dr.async_entries_for_config_entry(
            registry, self.config_entry.entry_id
        ):
            if device.name != status.site_name:
                registry.async_update_device(device.id, name=status.site_name)


def _error_key(err: MediaScribeError) -> str:
    """Return the translation key that explains a client error."""
    if isinstance(err, MediaScribeCertificateError):
        return "invalid_certificate"
    if isinstance(err, MediaScribeConnectionError):
        return "cannot_connect"
    return "invalid_response"
