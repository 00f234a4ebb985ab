"""Sensors for what a MediaScribe recording exposes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import MAX_LENGTH_STATE_STATE

from .entity import MediaScribeEntity

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import MediaScribeConfigEntry, MediaScribeCoordinator

# Read-only: the coordinator does all I/O.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class MediaScribeSensorEntityDescription(SensorEntityDescription):
    """Describes a sensor read from the coordinator."""

    value_fn: Callable[[MediaScribeCoordinator], datetime | str | None]
    attributes_fn: Callable[[MediaScribeCoordinator], dict[str, Any] | None] = (
        lambda _: None
    )


def _file_state(coordinator: MediaScribeCoordinator) -> str | None:
    """Return the full path when it fits in a state, else the file name."""
    if (recording := coordinator.data.recording) is None:
        return None
    if len(recording.path) <= MAX_LENGTH_STATE_STATE:
        return recording.path
    name = PureWindowsPath(recording.path).name
    if len(name) <= MAX_LENGTH_STATE_STATE:
        return name
    return name[: MAX_LENGTH_STATE_STATE - 1] + "…"


def _file_attributes(coordinator: MediaScribeCoordinator) -> dict[str, Any] | None:
    """Keep the untruncated path and the bare file name as attributes."""
    if (recording := coordinator.data.recording) is None:
        return None
    return {
        "file_name": PureWindowsPath(recording.path).name,
        "path": recording.path,
    }


SENSORS = (
    MediaScribeSensorEntityDescription(
        key="recording_started",
        translation_key="recording_started",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda coordinator: coordinator.recording_started,
    ),
    MediaScribeSensorEntityDescription(
        key="recording_file",
        translation_key="recording_file",
        value_fn=_file_state,
        attributes_fn=_file_attributes,
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
        return self.entity_description.value_fn(self.coordinator)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the attributes of this sensor, if it has any."""
        return self.entity_description.attributes_fn(self.coordinator)
