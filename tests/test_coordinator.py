"""Tests for polling: tolerance, server classes, Retry-After and device naming."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.const import STATE_OFF, STATE_UNAVAILABLE
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.mediascribe.const import RETRY_DELAY
from simulator import Fault

from .conftest import SWITCH, poll, state

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import MediaScribeSimulator


def requests(simulator: MediaScribeSimulator) -> int:
    """Return how many requests reached the server."""
    return len(simulator.requests)


@pytest.mark.usefixtures("init_integration")
async def test_one_dropped_connection_does_not_flash(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One failure is asked again within a second; two make the entities unavailable."""
    simulator.add_fault(Fault(drop=True))
    await poll(hass, freezer)
    assert state(hass, SWITCH) == STATE_OFF
    before = requests(simulator)
    await poll(hass, freezer, RETRY_DELAY)
    assert requests(simulator) > before
    assert state(hass, SWITCH) == STATE_UNAVAILABLE
    for _ in range(3):
        await poll(hass, freezer)
    simulator.clear_faults()
    await poll(hass, freezer)
    assert state(hass, SWITCH) == STATE_OFF
    assert caplog.text.count("Error fetching") == 1
    assert caplog.text.count("recovered") == 1


@pytest.mark.usefixtures("init_integration")
async def test_failure_then_success_keeps_entities(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Single failures between successes never show as unavailable."""
    for _ in range(3):
        simulator.add_fault(Fault(drop=True))
        await poll(hass, freezer)
        simulator.clear_faults()
        await poll(hass, freezer, RETRY_DELAY)
        assert state(hass, SWITCH) == STATE_OFF


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [
        ("20", 20),
        ("20.5", 21),
        ("86400", 60),
        ("0", 5),
    ],
)
async def test_busy_server_is_left_alone_as_asked(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    retry_after: str,
    seconds: int,
) -> None:
    """429 with Retry-After: no request before the pause is over (at most a minute)."""
    simulator.add_fault(Fault(status=429, headers={"Retry-After": retry_after}))
    await poll(hass, freezer)
    assert state(hass, SWITCH) == STATE_UNAVAILABLE
    assert "busy" in caplog.text
    simulator.clear_faults()
    before = requests(simulator)
    await poll(hass, freezer, timedelta(seconds=seconds - 2))
    assert requests(simulator) == before
    await poll(hass, freezer, timedelta(seconds=3))
    assert state(hass, SWITCH) == STATE_OFF


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("fault", "wording"),
    [
        (Fault(status=500), "internal error"),
        (Fault(status=503), "internal error"),
        (Fault(status=429), "busy"),
        (Fault(status=404, body=b"<html>Not here</html>"), "not a valid status"),
        (Fault(body=b"[" * 100_000), "not a valid status"),
        (Fault(body=b'{"siteName": ' * 50_000), "not a valid status"),
        (Fault(fields={"hasNoSignal": "no"}), "not a valid status"),
    ],
)
async def test_each_failure_class_has_its_wording(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
    wording: str,
) -> None:
    """Server errors, busy servers and bad answers are logged as what they are."""
    simulator.add_fault(fault)
    await poll(hass, freezer)
    assert state(hass, SWITCH) == STATE_UNAVAILABLE
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    assert wording in errors[0]
    assert "Unexpected error" not in caplog.text


async def test_device_follows_site_name(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A renamed site renames the device; entity ids stay."""
    simulator.site_name = "Shelbyville Planning Board"
    await poll(hass, freezer)
    [device] = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    assert device.name == "Shelbyville Planning Board"
    assert state(hass, SWITCH) == STATE_OFF
