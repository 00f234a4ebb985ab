"""Tests for the recording switch: confirmed start and stop."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import itertools
from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.mediascribe.const import DOMAIN, REQUEST_TIMEOUT, SCAN_INTERVAL
from simulator import Fault

from .conftest import (
    SWITCH,
    TOKEN,
    call,
    poll,
    run_clock,
    settle,
    state,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from simulator import MediaScribeSimulator


@pytest.fixture
def platforms() -> list[Platform]:
    """Set up the switch platform alone."""
    return [Platform.SWITCH]


async def test_switch_entity(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    snapshot_entry: MockConfigEntry,
) -> None:
    """The switch's state and registry entry."""
    await snapshot_platform(hass, entity_registry, snapshot, snapshot_entry.entry_id)


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("put_response", ["status", "ack", "empty"])
async def test_start_and_stop_are_confirmed(
    hass: HomeAssistant, simulator: MediaScribeSimulator, put_response: str
) -> None:
    """The call returns with the state the server confirms, whatever it answers."""
    simulator.put_response = put_response  # type: ignore[assignment]
    await call(hass, "switch", SERVICE_TURN_ON, SWITCH)
    assert simulator.is_recording
    assert state(hass, SWITCH) == STATE_ON
    await call(hass, "switch", SERVICE_TURN_OFF, SWITCH)
    assert not simulator.is_recording
    assert state(hass, SWITCH) == STATE_OFF
    assert [r.body for r in simulator.requests if r.method == "PUT"] == [
        {"action": "start"},
        {"action": "stop"},
    ]


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("put_response", ["status", "ack", "empty"])
@pytest.mark.parametrize(
    ("recording", "service", "key"),
    [
        (False, SERVICE_TURN_ON, "start_not_confirmed"),
        (True, SERVICE_TURN_OFF, "stop_not_confirmed"),
    ],
)
async def test_ignored_command_fails_and_shows_truth(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    put_response: str,
    recording: bool,
    service: str,
    key: str,
) -> None:
    """A server that acknowledges but ignores a command makes the call fail."""
    if recording:
        simulator.start_recording()
    simulator.put_response = put_response  # type: ignore[assignment]
    simulator.action_change = "ignore"
    await hass.config_entries.async_entries(DOMAIN)[0].runtime_data.async_refresh()
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "switch", service, SWITCH)
    assert err.value.translation_key == key
    if recording:  # the message names the file still being recorded
        assert err.value.translation_placeholders["file"].endswith(".mp4")
    assert state(hass, SWITCH) == (STATE_ON if recording else STATE_OFF)
    # The server was read back until the window closed, not only once.
    assert sum(r.method == "GET" for r in simulator.requests) > 3


@pytest.mark.usefixtures("init_integration")
async def test_slow_server_confirms_within_window(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """A start that takes effect a moment later succeeds once read back."""
    start = dt_util.utcnow()
    ticks = itertools.count()
    # Each status the server builds is one second later than the previous one.
    simulator._clock = lambda: start + timedelta(seconds=next(ticks))
    simulator.action_delay = 2.5
    await call(hass, "switch", SERVICE_TURN_ON, SWITCH)
    assert state(hass, SWITCH) == STATE_ON


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("fault", "key"),
    [
        (Fault(status=400, body=b'{"error": "not now"}', count=1), "command_failed"),
        (Fault(status=200, body=b'{"siteName": 5}', count=1), "command_failed"),
        (Fault(status=404, body=b"<html>login</html>", count=1), "command_failed"),
        (Fault(status=429, headers={"Retry-After": "3"}, count=1), "server_busy"),
        (Fault(status=500, count=1), "server_error"),
        (Fault(status=503, count=1), "server_error"),
    ],
)
async def test_refused_command(
    hass: HomeAssistant, simulator: MediaScribeSimulator, fault: Fault, key: str
) -> None:
    """A refused or unreadable answer fails the call with its own message."""
    simulator.add_fault(fault)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "switch", SERVICE_TURN_ON, SWITCH)
    assert err.value.translation_key == key
    # Nothing was started, and the entity says so.
    assert state(hass, SWITCH) == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_connection_lost_during_command(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A command that may or may not have arrived shows unavailable until a poll."""
    simulator.add_fault(Fault(drop=True))
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "switch", SERVICE_TURN_ON, SWITCH)
    assert err.value.translation_key == "cannot_connect"
    assert state(hass, SWITCH) == STATE_UNAVAILABLE
    simulator.clear_faults()
    # The first poll may meet the connection the server dropped.
    for _ in range(2):
        await poll(hass, freezer)
    assert state(hass, SWITCH) == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_command_never_waits_for_a_poll(
    hass: HomeAssistant, simulator: MediaScribeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A poll stuck on a silent server neither delays nor overwrites a command."""
    simulator.add_fault(Fault(latency=30, count=1))
    simulator.clear_requests()
    freezer.tick(SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await settle(lambda: bool(simulator.requests))
    await call(hass, "switch", SERVICE_TURN_ON, SWITCH)
    assert state(hass, SWITCH) == STATE_ON
    # The poll began before the command answered, so its failure is old news.
    await poll(hass, freezer, timedelta(seconds=REQUEST_TIMEOUT))
    assert state(hass, SWITCH) == STATE_ON


async def test_command_without_an_answer_sends_one_request(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No answer: the command fails after its own request, retried by nobody.

    Whether the server carried it out is unknown, so the entities show
    unavailable (even though the server answers again at once) until a poll.
    """
    simulator.add_fault(Fault(latency=30, count=1))
    simulator.clear_requests()
    command = asyncio.ensure_future(call(hass, "switch", SERVICE_TURN_ON, SWITCH))
    await settle(lambda: bool(simulator.requests))
    freezer.tick(REQUEST_TIMEOUT)
    await run_clock(hass, freezer, command)
    with pytest.raises(HomeAssistantError) as err:
        await command
    assert (err.value.translation_domain, err.value.translation_key) == (
        DOMAIN,
        "cannot_connect",
    )
    assert "did not answer" in err.value.translation_placeholders["error"]
    assert [r.method for r in simulator.requests].count("PUT") == 1
    assert state(hass, SWITCH) == STATE_UNAVAILABLE
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    assert diagnostics["last_error"] == "MediaScribeTimeoutError"


@pytest.mark.usefixtures("init_integration")
async def test_command_with_revoked_token_starts_reauth(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """A rejected token fails the call and asks the user for a new one."""
    simulator.revoke_token(TOKEN)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "switch", SERVICE_TURN_ON, SWITCH)
    assert err.value.translation_key == "invalid_auth"
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH


@pytest.mark.usefixtures("init_integration")
async def test_refused_and_unreadable_shows_unavailable(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """When neither the command nor the read-back is understood, nothing is guessed."""
    simulator.add_fault(Fault(status=400))
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "switch", SERVICE_TURN_ON, SWITCH)
    assert err.value.translation_key == "command_failed"
    assert state(hass, SWITCH) == STATE_UNAVAILABLE
