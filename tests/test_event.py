"""Tests for recording health: the Recording event and the Recording state sensor."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    snapshot_platform,
)

from simulator import Fault

from .conftest import (
    EVENT,
    PRESET,
    STARTED,
    STATE,
    SWITCH,
    call,
    poll,
    state,
    update_entity,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import Event, HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from simulator import MediaScribeSimulator


@pytest.fixture
def platforms() -> list[Platform]:
    """Return the platforms these tests need: health, and the commands to cause it."""
    return [Platform.EVENT, Platform.SELECT, Platform.SENSOR, Platform.SWITCH]


@pytest.fixture
def fired(hass: HomeAssistant) -> list[Event]:
    """Capture state changes, to read the recording events from."""
    return async_capture_events(hass, EVENT_STATE_CHANGED)


def events(captured: list[Event]) -> list[tuple[str, dict[str, Any]]]:
    """Return the recording events fired, with their attributes.

    A state restored after a reload repeats an event's time and type; it is
    not a new event.
    """
    result = []
    seen = set()
    for event in captured:
        new = event.data["new_state"]
        if event.data["entity_id"] != EVENT or new is None:
            continue
        attributes = dict(new.attributes)
        kind = attributes.pop(ATTR_EVENT_TYPE, None)
        if new.state in (STATE_UNKNOWN, STATE_UNAVAILABLE) or (new.state, kind) in seen:
            continue
        seen.add((new.state, kind))
        result.append((kind, attributes))
    return result


def types(captured: list[Event]) -> list[str]:
    """Return the types of the recording events fired."""
    return [kind for kind, _ in events(captured)]


@pytest.mark.parametrize("platforms", [[Platform.EVENT]])
async def test_event_entity(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    snapshot_entry: MockConfigEntry,
) -> None:
    """The event entity's state and registry entry."""
    await snapshot_platform(hass, entity_registry, snapshot, snapshot_entry.entry_id)


@pytest.mark.usefixtures("init_integration")
async def test_started_and_stopped_from_home_assistant(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    fired: list[Event],
) -> None:
    """Start and stop through the switch fire one event each, with their details."""
    await call(hass, "switch", SERVICE_TURN_ON, SWITCH)
    for _ in range(3):
        await poll(hass, freezer)
    await call(hass, "switch", SERVICE_TURN_OFF, SWITCH)
    [(started, start_attrs), (stopped, stop_attrs)] = events(fired)
    assert started == "started"
    assert start_attrs["preset"] == "Council Chamber"
    assert start_attrs["file_name"].endswith(".mp4")
    assert start_attrs["path"].endswith(start_attrs["file_name"])
    assert stopped == "stopped"
    assert stop_attrs["source"] == "home_assistant"
    assert stop_attrs["duration"] == 15
    assert stop_attrs["path"] == start_attrs["path"]
    # The last recording stays findable after the stop.
    assert hass.states.get(EVENT).attributes["path"] == start_attrs["path"]


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("how", ["stopped at the server", "limit reached"])
async def test_stopped_outside_home_assistant(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    fired: list[Event],
    how: str,
) -> None:
    """A recording that ends without a stop from Home Assistant says so."""
    simulator.start_recording()
    await poll(hass, freezer)
    if how == "limit reached":
        simulator.recording_limit = 7
    else:
        simulator.stop_recording()
    await poll(hass, freezer)
    await poll(hass, freezer)
    assert types(fired) == ["started", "stopped"]
    assert events(fired)[1][1]["source"] == "server"
    assert state(hass, SWITCH) == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_stall_once_then_resume(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    fired: list[Event],
) -> None:
    """A frozen position is a stall at the third poll, reported once, then resumed."""
    simulator.start_recording()
    await poll(hass, freezer)
    started = state(hass, STARTED)
    simulator.position_frozen = True
    for _ in range(2):
        await poll(hass, freezer)
        assert state(hass, STATE) == "recording"
    await poll(hass, freezer)
    assert state(hass, STATE) == "stalled"
    # No storm while the stall lasts: no entity is even rewritten.
    writes = async_capture_events(hass, EVENT_STATE_CHANGED)
    hass.bus.async_listen(
        EVENT_STATE_REPORTED, writes.append, event_filter=callback(lambda _: True)
    )
    for _ in range(6):
        await poll(hass, freezer)
    assert types(fired) == ["started", "stalled"]
    assert writes == []
    assert state(hass, STARTED) == started

    simulator.position_frozen = False
    await poll(hass, freezer)
    assert state(hass, STATE) == "recording"
    assert types(fired) == ["started", "stalled", "resumed"]
    # The recording went on from where it stalled: it still began then.
    for _ in range(3):
        await poll(hass, freezer)
    assert state(hass, STARTED) == started


@pytest.mark.usefixtures("init_integration")
async def test_no_false_stall_from_reads_in_the_same_second(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    fired: list[Event],
) -> None:
    """Many reads within one second never look like a stall."""
    simulator.start_recording()
    await poll(hass, freezer)
    for _ in range(3):
        for _ in range(5):
            await init_integration.runtime_data.async_refresh()
        await poll(hass, freezer, timedelta(seconds=1))
    assert state(hass, STATE) == "recording"
    assert types(fired) == ["started"]


async def test_restart_mid_recording_no_false_events(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    fired: list[Event],
) -> None:
    """After a restart the running recording is not new and the stall clock restarts."""
    simulator.start_recording()
    await poll(hass, freezer)
    simulator.position_frozen = True
    await poll(hass, freezer)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await poll(hass, freezer)
    await poll(hass, freezer)
    # Four polls of a frozen position, but only two since the restart.
    assert state(hass, STATE) == "recording"
    assert types(fired) == ["started"]
    await poll(hass, freezer)
    assert types(fired) == ["started", "stalled"]


async def test_last_recording_restored_after_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The last stopped recording's path and duration survive a restart."""
    simulator.start_recording()
    await poll(hass, freezer)
    await poll(hass, freezer)
    simulator.stop_recording()
    await poll(hass, freezer)
    before = hass.states.get(EVENT)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    after = hass.states.get(EVENT)
    assert after.state == before.state
    assert after.attributes[ATTR_EVENT_TYPE] == "stopped"
    assert after.attributes["duration"] == 10
    assert after.attributes["path"] == before.attributes["path"]


@pytest.mark.usefixtures("init_integration")
async def test_signal_lost_and_restored_during_recording(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    fired: list[Event],
) -> None:
    """Losing the signal while recording is a state and an event, each way once."""
    simulator.has_no_signal = True
    await poll(hass, freezer)
    # Without a recording, no signal is not a recording's trouble.
    assert state(hass, STATE) == "stopped"
    simulator.has_no_signal = False
    simulator.start_recording()
    await poll(hass, freezer)
    simulator.has_no_signal = True
    await poll(hass, freezer)
    await poll(hass, freezer)
    assert state(hass, STATE) == "no_signal"
    simulator.has_no_signal = False
    await poll(hass, freezer)
    assert state(hass, STATE) == "recording"
    assert types(fired) == ["started", "signal_lost", "signal_restored"]
    assert all(attrs["file_name"] for _, attrs in events(fired))


@pytest.mark.usefixtures("init_integration")
async def test_new_recording_between_polls(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    fired: list[Event],
) -> None:
    """A recording replaced by another between two polls is a stop and a start."""
    simulator.start_recording()
    await poll(hass, freezer)
    simulator.stop_recording()
    freezer.tick(timedelta(seconds=2))
    simulator.start_recording()
    await poll(hass, freezer)
    [_, (stopped, stop_attrs), (started, start_attrs)] = events(fired)
    assert (stopped, started) == ("stopped", "started")
    assert stop_attrs["path"] != start_attrs["path"]


@pytest.mark.usefixtures("init_integration")
async def test_events_survive_an_outage_without_repeats(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    fired: list[Event],
) -> None:
    """Unavailable polls neither repeat old events nor lose the stop that happened."""
    simulator.start_recording()
    await poll(hass, freezer)
    port = simulator.port
    await simulator.stop()
    for _ in range(3):
        await poll(hass, freezer)
    assert state(hass, EVENT) == STATE_UNAVAILABLE
    simulator.stop_recording()
    await simulator.start(port=port)
    await poll(hass, freezer)
    assert types(fired) == ["started", "stopped"]


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("recording", "fault", "service", "command", "reason"),
    [
        (False, None, SERVICE_TURN_ON, "start", "not_confirmed"),
        (True, None, SERVICE_TURN_OFF, "stop", "not_confirmed"),
        (False, Fault(status=500, count=1), SERVICE_TURN_ON, "start", "server_error"),
        (False, Fault(status=400, count=1), SERVICE_TURN_ON, "start", "command_failed"),
        (False, Fault(status=429, count=1), SERVICE_TURN_ON, "start", "server_busy"),
        (False, Fault(drop=True), SERVICE_TURN_ON, "start", "cannot_connect"),
        (True, Fault(drop=True), SERVICE_TURN_OFF, "stop", "cannot_connect"),
    ],
)
async def test_failed_command_leaves_a_trace(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    fired: list[Event],
    recording: bool,
    fault: Fault | None,
    service: str,
    command: str,
    reason: str,
) -> None:
    """A command not carried out is an event and stays shown until one succeeds."""
    await async_setup_component(hass, "homeassistant", {})
    if recording:
        simulator.start_recording()
        await update_entity(hass)
    if fault is None:
        simulator.action_change = "ignore"
    else:
        simulator.add_fault(fault)
    with pytest.raises(HomeAssistantError):
        await call(hass, "switch", service, SWITCH)
    kind, attributes = events(fired)[-1]
    assert (kind, attributes["reason"]) == (f"{command}_failed", reason)
    simulator.action_change = "apply"
    simulator.clear_faults()
    for _ in range(2):
        await update_entity(hass)
        trace = hass.states.get(STATE).attributes
        assert (trace["failed_command"], trace["failure_reason"]) == (command, reason)
    await call(hass, "switch", service, SWITCH)
    trace = hass.states.get(STATE).attributes
    assert (trace["failed_command"], trace["failure_reason"]) == (None, None)


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("recording", "service", "kind", "source"),
    [
        (False, SERVICE_TURN_ON, "started", None),
        (True, SERVICE_TURN_OFF, "stopped", "home_assistant"),
    ],
)
@pytest.mark.parametrize(
    "answer", [b"<html>Internal Server Error</html>", b'{"siteName": 7}', b"{"]
)
async def test_command_carried_out_despite_a_bad_answer(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    fired: list[Event],
    recording: bool,
    service: str,
    kind: str,
    source: str | None,
    answer: bytes,
) -> None:
    """A server that acts and then answers garbage: the call succeeds, no alarm."""
    await async_setup_component(hass, "homeassistant", {})
    if recording:
        simulator.start_recording()
        await update_entity(hass)
    simulator.add_fault(Fault(body=answer, count=1))
    await call(hass, "switch", service, SWITCH)
    last, attributes = events(fired)[-1]
    assert (last, attributes.get("source")) == (kind, source)
    assert hass.states.get(STATE).attributes["failed_command"] is None


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("service", [SERVICE_TURN_ON, SERVICE_TURN_OFF])
async def test_no_second_command_for_what_already_is(
    hass: HomeAssistant, simulator: MediaScribeSimulator, service: str
) -> None:
    """Starting a recording that runs (or stopping a stopped one) sends nothing."""
    await async_setup_component(hass, "homeassistant", {})
    if service == SERVICE_TURN_ON:
        simulator.start_recording()
        await update_entity(hass)
    # A failed preset change is cleared by any command that succeeds.
    simulator.preset_change = "ignore"
    with pytest.raises(HomeAssistantError):
        await call(hass, "select", "select_option", PRESET, option="Default")
    simulator.clear_requests()
    await call(hass, "switch", service, SWITCH)
    assert simulator.requests == ()
    assert hass.states.get(STATE).attributes["failed_command"] is None


@pytest.mark.usefixtures("init_integration")
async def test_late_stop_is_still_home_assistants(
    hass: HomeAssistant, simulator: MediaScribeSimulator, fired: list[Event]
) -> None:
    """A stop that takes effect after the window fails, then reads as ours."""
    await async_setup_component(hass, "homeassistant", {})
    simulator.start_recording()
    await update_entity(hass)
    simulator.action_delay = 0.5
    with pytest.raises(HomeAssistantError):
        await call(hass, "switch", SERVICE_TURN_OFF, SWITCH)
    await asyncio.sleep(0.6)
    await update_entity(hass)
    assert [(kind, attrs.get("source")) for kind, attrs in events(fired)][-2:] == [
        ("stop_failed", None),
        ("stopped", "home_assistant"),
    ]


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("fault", "service"),
    [(Fault(drop=True), SERVICE_TURN_OFF), (None, SERVICE_TURN_ON)],
    ids=["stop-fails-unreachable", "start-while-recording"],
)
async def test_command_without_a_new_status_reports_no_stall(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    fired: list[Event],
    fault: Fault | None,
    service: str,
) -> None:
    """A command long after the last poll that reads nothing new invents no stall."""
    simulator.start_recording()
    await poll(hass, freezer)
    freezer.tick(timedelta(seconds=20))
    if fault is not None:
        simulator.add_fault(fault)
    with contextlib.suppress(HomeAssistantError):
        await call(hass, "switch", service, SWITCH)
    assert "stalled" not in types(fired)
