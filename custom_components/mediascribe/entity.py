"""Base entity and unique-id scheme for MediaScribe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, MANUFACTURER
from .coordinator import MediaScribeCoordinator

if TYPE_CHECKING:
    from homeassistant.helpers.entity import EntityDescription


class MediaScribeEntity(CoordinatorEntity[MediaScribeCoordinator]):
    """An entity of the one device that stands for a MediaScribe server."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: MediaScribeCoordinator, description: EntityDescription
    ) -> None:
        """Attach the entity to the server's device.

        The API has no serial number, so ids derive from the config entry.
        """
        super().__init__(coordinator)
        self.entity_description = description
        entry_id = coordinator.config_entry.entry_id
        self._attr_unique_id = f"{entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry_id)},
            name=coordinator.data.status.site_name,
            manufacturer=MANUFACTURER,
            configuration_url=coordinator.client.url,
        )
