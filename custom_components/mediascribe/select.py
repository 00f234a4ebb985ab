"""The preset select of a MediaScribe server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.select import SelectEntity, SelectEntityDescription

from .entity import MediaScribeEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import MediaScribeConfigEntry

# Commands go to the server one at a time.
PARALLEL_UPDATES = 1

PRESET = SelectEntityDescription(key="preset", translation_key="preset")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MediaScribeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the preset select."""
    async_add_entities([MediaScribePresetSelect(entry.runtime_data, PRESET)])


class MediaScribePresetSelect(MediaScribeEntity, SelectEntity):
    """Choose the server's active preset by its label."""

    @property
    def available(self) -> bool:
        """Return False while the server lists no presets."""
        return super().available and bool(self.coordinator.data.options)

    @property
    def options(self) -> list[str]:
        """Return the preset labels in the server's order."""
        return list(self.coordinator.data.options)

    @property
    def current_option(self) -> str | None:
        """Return the active preset's label, or None when it is not listed."""
        return self.coordinator.data.active_option

    async def async_select_option(self, option: str) -> None:
        """Switch the server to the chosen preset and confirm it took effect."""
        await self.coordinator.async_select_preset(option)
