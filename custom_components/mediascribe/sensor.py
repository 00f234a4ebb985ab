"""Sensors for what a MediaScribe recording is doing and exposes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)

from .data import RECORDING_STATES, file_name
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


def _file(data: MediaScribeData) -> dict[str, Any] | None:
    """Return the path of the recording, or of the last one and how long it ran."""
    if (recording := data.status.recording) is not None:
        return {"path": recording.path}
    if (last := data.last_recording) is not None:
        return {"path": last.path, "duration": last.position}
    return None


SENSORS = (
    MediaScribeSensorEntityDescription(
        key="recording_state",
        translation_key="recording_state",
        device_class=SensorDeviceClass.ENUM,
        options=RECORDING_STATES,
        value_fn=lambda data: data.recording_state,
        # The last command the server did not carry out, until one succeeds.
        attributes_fn=lambda data: {
            "failed_command": data.failure and data.failure.command,
            "failure_reason": data.failure and data.failure.reason,
        },
    ),
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
            file_name(rec.path)
            if (rec := data.status.recording or data.last_recording)
            else None
        ),
        attributes_fn=_file,
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
    """A sensor that reads one value of the latest snapshot."""

    entity_description: MediaScribeSensorEntityDescription

    @property
    def native_value(self) -> datetime | str | None:
        """Return the value, or None while there is none."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the attributes of this sensor, if it has any."""
        return self.entity_description.attributes_fn(self.coordinator.data)
