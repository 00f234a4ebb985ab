"""Poll a MediaScribe server and run verified commands against it."""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial
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
    MediaScribeBusyError,
    MediaScribeCertificateError,
    MediaScribeClient,
    MediaScribeConnectionError,
    MediaScribeError,
    MediaScribeHostNotFoundError,
    MediaScribeResponseError,
    MediaScribeServerError,
    Status,
)
from .const import (
    DOMAIN,
    LOGGER,
    REQUEST_TIMEOUT,
    RETRY_DELAY,
    SCAN_INTERVAL,
    VERIFY_INTERVAL,
    VERIFY_WINDOW,
)
from .data import (
    CommandFailure,
    MediaScribeData,
    build_data,
    file_name,
    with_failure,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.core import HomeAssistant

type MediaScribeConfigEntry = ConfigEntry[MediaScribeCoordinator]


class MediaScribeCoordinator(DataUpdateCoordinator[MediaScribeData]):
    """Keep the status of one MediaScribe server and send it commands."""

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
        # Commands take turns with each other; polls never wait for them.
        self._command_lock = asyncio.Lock()
        # Counts finished commands: a status read that began before the last
        # one finished is older than what that command confirmed.
        self._commands_done = 0

    async def _async_update_data(self) -> MediaScribeData:
        """Read the status; one dropped connection is retried before it shows."""
        done = self._commands_done
        try:
            status = await self.client.get_status()
            while done != self._commands_done and not self._command_lock.locked():
                # A command finished during the read: read what it left.
                done = self._commands_done
                status = await self.client.get_status()
        except MediaScribeAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except MediaScribeError as err:
            if self.last_update_success and (
                done != self._commands_done or self._command_lock.locked()
            ):
                # A command answered since this read began, or is under way
                # and will publish what it finds: this failure is old news.
                return self.data
            if self._retry_soon(err):
                LOGGER.debug("Status request failed, asking again soon: %s", err)
                self.update_interval = RETRY_DELAY
                return self.data
            self.update_interval = SCAN_INTERVAL
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=_error_key(err),
                translation_placeholders={"error": str(err)},
                retry_after=_retry_after(err),
            ) from err
        if self._command_lock.locked():
            # The command publishes what the server confirms once it is done.
            return self.data
        return self._next_data(status)

    def _retry_soon(self, err: MediaScribeError) -> bool:
        """Return whether a failed poll may be asked again before it shows.

        Only the first dropped connection while all was well (the interval is
        the retry's after it), and only while Home Assistant polls: a server
        that does not answer shows within one timeout, and with polling turned
        off no one would ask again.
        """
        return (
            self.data is not None
            and self.last_update_success
            and self.update_interval != RETRY_DELAY
            and type(err) is MediaScribeConnectionError
            and not self.config_entry.pref_disable_polling
        )

    def _next_data(
        self,
        status: Status,
        *,
        command: str | None = None,
        failure: CommandFailure | None = None,
    ) -> MediaScribeData:
        """Build the next snapshot from a status the server just sent."""
        self.update_interval = SCAN_INTERVAL
        if self.data is not None and self.data.status.site_name != status.site_name:
            self._async_rename_device(status.site_name)
        return build_data(
            status, self.data, dt_util.utcnow(), command=command, failure=failure
        )

    def _async_rename_device(self, site_name: str) -> None:
        """Follow a renamed site; entity ids stay."""
        registry = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(
            registry, self.config_entry.entry_id
        ):
            registry.async_update_device(device.id, name=site_name)

    async def async_start(self) -> None:
        """Start recording and confirm that the server records."""
        await self._async_command(
            "start", self.client.start, lambda status: status.recording is not None
        )

    async def async_stop(self) -> None:
        """Stop recording and confirm that the server stopped."""
        await self._async_command(
            "stop", self.client.stop, lambda status: status.recording is None
        )

    async def async_select_preset(self, option: str) -> None:
        """Switch to the preset behind an option and confirm it is active."""
        preset_id = self.data.options[option]
        await self._async_command(
            "preset",
            partial(self.client.set_active_preset, preset_id),
            lambda status: status.active_preset_id == preset_id,
            {"option": option},
        )

    async def _async_command(
        self,
        name: str,
        send: Callable[[], Awaitable[Status | None]],
        confirmed: Callable[[Status], bool],
        placeholders: dict[str, str] | None = None,
    ) -> None:
        """Send a command, read back until the server shows its effect, publish.

        Raises a translated HomeAssistantError unless the server confirms the
        command within VERIFY_WINDOW of its answer; the entities show what it
        reports, and a failure is recorded for the Recording event entity.
        """
        async with self._command_lock:
            if self.last_update_success and confirmed(self.data.status):
                # Already so: nothing is sent (a second start could split the
                # recording), but the command succeeded and clears a failure.
                self.async_set_updated_data(with_failure(self.data, None))
                return
            try:
                status = await self._async_send_and_read_back(send, confirmed)
            except MediaScribeError as err:
                if error := await self._async_command_error(name, err, confirmed):
                    raise error from err
                return
            finally:
                self._commands_done += 1
            failure = (
                None if confirmed(status) else CommandFailure(name, "not_confirmed")
            )
            self.async_set_updated_data(
                self._next_data(status, command=name, failure=failure)
            )
        if failure is None:
            return
        active = self.data.active_option
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=f"{name}_not_confirmed"
            if active is not None or name != "preset"
            else "preset_not_confirmed_unlisted",
            translation_placeholders={
                "seconds": f"{VERIFY_WINDOW:g}",
                "file": file_name(status.recording.path) if status.recording else "",
                "preset": active or "",
                **(placeholders or {}),
            },
        )

    async def _async_send_and_read_back(
        self,
        send: Callable[[], Awaitable[Status | None]],
        confirmed: Callable[[Status], bool],
    ) -> Status:
        """Return the first status that confirms the command, or the last one read.

        The server gets VERIFY_WINDOW from its answer to show the effect; a read
        still under way then is abandoned. The worst case is two request
        timeouts (the command and a first read) plus the window.
        """
        status = await send()
        if status is None:
            status = await self.client.get_status()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(VERIFY_WINDOW):
                while not confirmed(status):
                    await asyncio.sleep(VERIFY_INTERVAL)
                    # One failed read is not the end: the window bounds them.
                    with contextlib.suppress(MediaScribeError):
                        status = await self.client.get_status()
        return status

    async def _async_command_error(
        self, name: str, err: MediaScribeError, confirmed: Callable[[Status], bool]
    ) -> HomeAssistantError | None:
        """Record a failed command and show the truth; return the error to raise.

        None if the server carried the command out after all.
        """
        key = _error_key(err, command=True)
        if isinstance(err, MediaScribeAuthenticationError):
            self.config_entry.async_start_reauth(self.hass)
            key = "invalid_auth"
        status: Status | None = None
        # A lost connection leaves unknown whether the command reached the server.
        unknown: MediaScribeError | None = (
            err if isinstance(err, MediaScribeConnectionError) else None
        )
        if isinstance(err, MediaScribeResponseError) and not isinstance(
            err, MediaScribeBusyError
        ):
            # Refused, or answered with something unreadable: the server may
            # still have acted, so show what it now reports.
            try:
                status = await self.client.get_status()
            except MediaScribeError as read_err:
                unknown = read_err
            else:
                if confirmed(status):
                    self.async_set_updated_data(self._next_data(status, command=name))
                    return None
        failure = CommandFailure(name, key)
        # Without a new status the last snapshot stands, stall clock and all.
        self.async_set_updated_data(
            with_failure(self.data, failure)
            if status is None
            else self._next_data(status, failure=failure)
        )
        if unknown is not None:
            # Unavailable until a poll tells the truth.
            self.async_set_update_error(unknown)
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"error": str(err)},
        )

    async def async_shutdown(self) -> None:
        """Stop polling; let a command in flight finish before a reload reads."""
        await super().async_shutdown()
        async with self._command_lock:
            pass


def _retry_after(err: MediaScribeError) -> float | None:
    """Return when to ask a server again that asked for a pause: never sooner."""
    if isinstance(err, MediaScribeResponseError) and err.retry_after is not None:
        return max(err.retry_after, SCAN_INTERVAL.total_seconds())
    return None


def _error_key(err: MediaScribeError, *, command: bool = False) -> str:
    """Return the translation key that explains a client error."""
    for kind, key in (
        (MediaScribeCertificateError, "invalid_certificate"),
        (MediaScribeHostNotFoundError, "host_not_found"),
        (MediaScribeConnectionError, "cannot_connect"),
        (MediaScribeBusyError, "server_busy"),
        (MediaScribeServerError, "server_error"),
    ):
        if isinstance(err, kind):
            return key
    return "command_failed" if command else "invalid_response"
