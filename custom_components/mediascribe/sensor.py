"""Sensors for what a MediaScribe recording exposes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)

from .data import file_name, fit
from .entity import MediaScribeEntity

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import MediaScribeConfigEntry
    from .data import MediaScribeData

# Read-only: the coordinator does all I/O.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class MediaScribeSensorEntityDescription(SensorEntityDescription):
    """Describes a sensor read from the coordinator's data."""

    value_fn: Callable[[MediaScribeData], datetime | str | None]
    attributes_fn: Callable[[MediaScribeData], dict[str, Any] | None] = lambda _: None


SENSORS = (
    MediaScribeSensorEntityDescription(
        key="recording_started",
        translation_key="recording_started",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda data: data.recording_started,
    ),
    MediaScribeSensorEntityDescription(
        key="recording_file",
        translation_key="recording_file",
        value_fn=lambda data: (
            fit(file_name(rec.path)) if (rec := data.status.recording) else None
        ),
        attributes_fn=lambda data: (
            {"path": rec.path} if (rec := data.status.recording) else None
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaScribeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the recording sensors."""
    async_add_entities(
        MediaScribeSensor(entry.runtime_data, description) for description in SENSORS
    )


class MediaScribeSensor(MediaScribeEntity, SensorEntity):
    """A sensor that reads one value of the current recording."""

    entity_description: MediaScribeSensorEntityDescription

    @property
    def native_value(self) -> datetime | str | None:
        """Return the value, or None while nothing is recorded."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the attributes of this sensor, if it has any."""
        return self.entity_description.attributes_fn(self.coordinator.data)
