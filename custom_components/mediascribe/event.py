"""The recording's health as events: started, stopped, stalled and more."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback

from .data import EVENT_TYPES
from .entity import MediaScribeEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import MediaScribeConfigEntry, MediaScribeCoordinator
    from .data import MediaScribeData

# Read-only: the coordinator does all I/O.
PARALLEL_UPDATES = 0

RECORDING = EventEntityDescription(
    key="recording", translation_key="recording", event_types=EVENT_TYPES
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaScribeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the recording event entity."""
    async_add_entities([MediaScribeRecordingEvent(entry.runtime_data, RECORDING)])


class MediaScribeRecordingEvent(MediaScribeEntity, EventEntity):
    """Fires what happened to the recording; restores the last event on restart."""

    def __init__(
        self, coordinator: MediaScribeCoordinator, description: EventEntityDescription
    ) -> None:
        """Start from the snapshot already published, whose events are old news."""
        super().__init__(coordinator, description)
        self._handled: MediaScribeData = coordinator.data

    @callback
    def _handle_coordinator_update(self) -> None:
        """Fire each event of a new snapshot once."""
        data = self.coordinator.data
        if data is not self._handled:
            self._handled = data
            for event in data.events:
                self._trigger_event(event.type, event.attributes)
                self.async_write_ha_state()
        super()._handle_coordinator_update()
