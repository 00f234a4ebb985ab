"""Shared fixtures and helpers for the MediaScribe tests."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from aiohttp import ThreadedResolver
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL, Platform
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_fire_time_changed_exact,
)

# Imported before Home Assistant starts, so the harness's own testing_config
# custom_components package cannot shadow ours.
import custom_components.mediascribe  # noqa: F401
from custom_components.mediascribe.const import DOMAIN, SCAN_INTERVAL
from simulator import MediaScribeSimulator

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Generator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

# Distinctive, so a leak of it into logs or output is easy to find.
TOKEN = "tok-3f9a1c27e6b84d0f"
SITE_NAME = "Springfield City Council"
PRESETS = ("Council Chamber", "Committee Room", "Default")
# The entity ids the integration creates for SITE_NAME.
SWITCH = "switch.springfield_city_council_recording"
NO_SIGNAL = "binary_sensor.springfield_city_council_video_signal"
STATE = "sensor.springfield_city_council_recording_state"
EVENT = "event.springfield_city_council_recording"
PRESET = "select.springfield_city_council_preset"
STARTED = "sensor.springfield_city_council_recording_started"
FILE = "sensor.springfield_city_council_recording_file"


@pytest.fixture(autouse=True)
def token_never_logged(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Fail any test whose log lines, at any level, contain the API token."""
    caplog.set_level(logging.DEBUG)
    yield
    formatter = logging.Formatter()
    leaks = [
        record.name
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)
        if TOKEN in formatter.format(record)
    ]
    assert not leaks, f"API token logged by {leaks}"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load integrations from custom_components."""


@pytest.fixture
def platforms() -> list[Platform] | None:
    """Return the platforms to set up (None: all); a platform's tests narrow it."""
    return None


@pytest.fixture(autouse=True)
def limit_platforms(platforms: list[Platform] | None) -> Generator[None]:
    """Set up only the platforms the tests at hand need."""
    if platforms is None:
        yield
        return
    with patch("custom_components.mediascribe.PLATFORMS", platforms):
        yield


@pytest.fixture(autouse=True)
def short_waits() -> Generator[None]:
    """Make command read-backs take a fraction of a second."""
    base = "custom_components.mediascribe.coordinator"
    with (
        patch(f"{base}.VERIFY_WINDOW", 0.2),
        patch(f"{base}.VERIFY_INTERVAL", 0.02),
    ):
        yield


class SystemResolver(ThreadedResolver):
    """The system's resolver, closable the way Home Assistant closes its own."""

    async def real_close(self) -> None:
        """Close the resolver when Home Assistant stops."""
        await self.close()


@pytest.fixture
async def system_resolver() -> AsyncGenerator[None]:
    """Resolve host names for real, as Home Assistant does outside tests.

    The harness shares one resolver across tests that belongs to another event loop.
    """
    with patch(
        "homeassistant.helpers.aiohttp_client._async_make_resolver",
        return_value=SystemResolver(),
    ):
        yield


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncGenerator[MediaScribeSimulator]:
    """Run a MediaScribe simulator on 127.0.0.1 for one test."""
    sim = MediaScribeSimulator(tokens=[TOKEN], site_name=SITE_NAME, presets=PRESETS)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def mock_config_entry(simulator: MediaScribeSimulator) -> MockConfigEntry:
    """Return a config entry for the simulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=SITE_NAME,
        entry_id="01JMEDIASCRIBE0000000000000",
        data={CONF_URL: simulator.url, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: True},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the integration against the simulator."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture(params=[False, True], ids=["idle", "recording"])
async def snapshot_entry(
    request: pytest.FixtureRequest,
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
) -> MockConfigEntry:
    """Return the set-up entry idle, or after a minute of recording.

    The clock is set first, so file names and start times are the same in
    every run of a snapshot test.
    """
    if request.param:
        freezer.move_to("2026-12-01 18:00:00+00:00")
        simulator.start_recording()
        await poll(hass, freezer, timedelta(minutes=1))
    return init_integration


async def poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    interval: timedelta = SCAN_INTERVAL,
) -> None:
    """Move the frozen clock on by one interval and let the poll it triggers finish."""
    freezer.tick(interval)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def settle(condition: Callable[[], bool], tries: int = 10_000) -> None:
    """Let the event loop run, the clock standing still, until a condition holds."""
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0)
    if tries == 10_000:
        raise AssertionError("the condition never held")


async def run_clock(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, until: asyncio.Future[Any]
) -> None:
    """Let the frozen clock run in small steps until a call has returned."""
    for _ in range(2000):
        if until.done():
            return
        freezer.tick(timedelta(seconds=0.01))
        async_fire_time_changed_exact(hass)
        await settle(lambda: False, tries=50)
    raise AssertionError("the call never returned")


async def update_entity(hass: HomeAssistant) -> None:
    """Ask for a fresh status, as a user or an automation would.

    The Recording state sensor is asked: the switch would wait for a command,
    since its platform sends one thing at a time.
    """
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": STATE}, blocking=True
    )


async def call(
    hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any
) -> None:
    """Call a service on one entity and wait until it returns."""
    await hass.services.async_call(
        domain, service, {"entity_id": entity_id, **data}, blocking=True
    )


def state(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state, failing clearly if it does not exist."""
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state
