"""The preset select of a MediaScribe server."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .entity import MediaScribeEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .api import Preset
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


# Statuses are immutable and the preset list rarely changes: every poll and state
# write reuses the mapping built for the same tuple.
@lru_cache(maxsize=32)
def preset_options(presets: tuple[Preset, ...]) -> dict[str, str]:
    """Map a unique option label to each preset id, in the server's order.

    A name shared by several presets gets the start of its id appended; the
    label of a preset then does not depend on the order the server lists them.
    """
    unique: dict[str, Preset] = {}
    for preset in presets:
        unique.setdefault(preset.id, preset)
    names = Counter(preset.name.strip() or preset.id for preset in unique.values())
    options: dict[str, str] = {}
    for preset in unique.values():
        name = preset.name.strip() or preset.id
        label = name if names[name] == 1 else f"{name} ({preset.id[:8]})"
        if label in options:
            label = f"{name} ({preset.id})"
        options[label] = preset.id
    return options


class MediaScribePresetSelect(MediaScribeEntity, SelectEntity):
    """Choose the server's active preset by name."""

    @property
    def _options_by_label(self) -> dict[str, str]:
        return preset_options(self.coordinator.data.presets)

    @property
    def available(self) -> bool:
        """Return False while the server lists no presets."""
        return super().available and bool(self.coordinator.data.presets)

    @property
    def options(self) -> list[str]:
        """Return the preset labels, rebuilt from the latest status."""
        return list(self._options_by_label)

    @property
    def current_option(self) -> str | None:
        """Return the active preset's label, or None when it is not listed."""
        active = self.coordinator.data.active_preset_id
        return next(
            (label for label, id_ in self._options_by_label.items() if id_ == active),
            None,
        )

    async def async_select_option(self, option: str) -> None:
        """Switch the server to the chosen preset and confirm it took effect."""
        if (preset_id := self._options_by_label.get(option)) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_preset",
                translation_placeholders={"option": option},
            )
        client = self.coordinator.client
        status = await self.coordinator.async_command(
            lambda: client.set_active_preset(preset_id)
        )
        if status.active_preset_id != preset_id:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="preset_not_applied",
                translation_placeholders={"option": option},
            )
