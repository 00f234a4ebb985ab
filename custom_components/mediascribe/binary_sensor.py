"""Binary sensors of a MediaScribe server: the video signal and recording health."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)

from .entity import MediaScribeEntity

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import MediaScribeConfigEntry
    from .data import MediaScribeData

# Read-only: the coordinator does all I/O.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class MediaScribeBinarySensorEntityDescription(BinarySensorEntityDescription):
    """Describes a problem sensor read from the coordinator's data."""

    device_class: BinarySensorDeviceClass = BinarySensorDeviceClass.PROBLEM
    is_on_fn: Callable[[MediaScribeData], bool]
    attributes_fn: Callable[[MediaScribeData], dict[str, Any] | None] = lambda _: None


BINARY_SENSORS = (
    MediaScribeBinarySensorEntityDescription(
        key="no_signal",
        translation_key="no_signal",
        is_on_fn=lambda data: data.status.has_no_signal,
    ),
    MediaScribeBinarySensorEntityDescription(
        key="recording_problem",
        translation_key="recording_problem",
        is_on_fn=lambda data: data.problem is not None,
        attributes_fn=lambda data: {"reason": data.problem},
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaScribeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the signal and recording-problem sensors."""
    async_add_entities(
        MediaScribeBinarySensor(entry.runtime_data, description)
        for description in BINARY_SENSORS
    )


class MediaScribeBinarySensor(MediaScribeEntity, BinarySensorEntity):
    """A problem sensor that reads one condition of the latest snapshot."""

    entity_description: MediaScribeBinarySensorEntityDescription

    @property
    def is_on(self) -> bool:
        """Return whether the problem is present."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return what explains the state, if anything."""
        return self.entity_description.attributes_fn(self.coordinator.data)
