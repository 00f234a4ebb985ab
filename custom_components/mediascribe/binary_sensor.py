"""The no-signal binary sensor of a MediaScribe server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)

from .entity import MediaScribeEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import MediaScribeConfigEntry

# Read-only: the coordinator does all I/O.
PARALLEL_UPDATES = 0

NO_SIGNAL = BinarySensorEntityDescription(
    key="no_signal",
    translation_key="no_signal",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaScribeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the video signal sensor."""
    async_add_entities([MediaScribeNoSignalSensor(entry.runtime_data, NO_SIGNAL)])


class MediaScribeNoSignalSensor(MediaScribeEntity, BinarySensorEntity):
    """On while the server has no video signal, recording or not."""

    @property
    def is_on(self) -> bool:
        """Return whether the video signal is lost."""
        return self.coordinator.data.status.has_no_signal
