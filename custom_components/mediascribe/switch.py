"""The recording switch of a MediaScribe server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription

from .entity import MediaScribeEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import MediaScribeConfigEntry

# Commands go to the server one at a time.
PARALLEL_UPDATES = 1

RECORDING = SwitchEntityDescription(key="recording", translation_key="recording")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaScribeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the recording switch."""
    async_add_entities([MediaScribeRecordingSwitch(entry.runtime_data, RECORDING)])


class MediaScribeRecordingSwitch(MediaScribeEntity, SwitchEntity):
    """On while the server records; switching sends start or stop."""

    @property
    def is_on(self) -> bool:
        """Return whether the server reports a recording in progress."""
        return self.coordinator.data.status.recording is not None

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start recording."""
        await self.coordinator.async_start()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop recording."""
        await self.coordinator.async_stop()
