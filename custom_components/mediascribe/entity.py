"""Base entity and unique-id scheme for MediaScribe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, MANUFACTURER
from .coordinator import MediaScribeConfigEntry, MediaScribeCoordinator

if TYPE_CHECKING:
    from homeassistant.helpers.entity import EntityDescription


class MediaScribeEntity(CoordinatorEntity[MediaScribeCoordinator]):
    """An entity of the one device that stands for a MediaScribe server."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: MediaScribeCoordinator, description: EntityDescription
    ) -> None:
        """Attach the entity to the server's device."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, str(entry.unique_id))},
            name=coordinator.data.site_name,
            manufacturer=MANUFACTURER,
            configuration_url=coordinator.client.url,
        )


@callback
def async_migrate_unique_ids(
    hass: HomeAssistant, entry: MediaScribeConfigEntry, new_unique_id: str
) -> None:
    """Carry the device and entity ids over to a new entry unique id.

    The unique id is the server URL, so reconfiguring the URL changes it; the
    registry entries follow, keeping entity ids, names and history.
    """
    old_unique_id = str(entry.unique_id)
    entities = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(entities, entry.entry_id):
        suffix = entity.unique_id.removeprefix(old_unique_id)
        entities.async_update_entity(
            entity.entity_id, new_unique_id=f"{new_unique_id}{suffix}"
        )
    devices = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
        devices.async_update_device(
            device.id, new_identifiers={(DOMAIN, new_unique_id)}
        )
