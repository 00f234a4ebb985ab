"""Tests for polling: tolerance, races with commands, server classes, naming."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.const import (
    CONF_URL,
    EVENT_STATE_CHANGED,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.filters import props

from custom_components.mediascribe import coordinator
from custom_components.mediascribe.const import (
    DOMAIN,
    REQUEST_TIMEOUT,
    RETRY_DELAY,
    SCAN_INTERVAL,
)
from simulator import Fault

from .conftest import (
    EVENT,
    NO_SIGNAL,
    PRESET,
    SWITCH,
    call,
    poll,
    run_clock,
    settle,
    state,
    update_entity,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from simulator import MediaScribeSimulator


@pytest.fixture(autouse=True)
def short_waits() -> None:
    """Keep the real read-back window: these tests move the frozen clock."""


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
    # The client's own detail: the status code or the field, never the body.
    assert "Details: The s" in errors[0]
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


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    "fault",
    [
        Fault(latency=30),  # accepted, never answered
        Fault(latency=REQUEST_TIMEOUT + 1),  # answers just too late
        Fault(latency=REQUEST_TIMEOUT + 1, status=500),
    ],
)
async def test_not_answering_shows_within_one_timeout(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    fault: Fault,
) -> None:
    """A server that takes the request and does not answer shows at that poll."""
    simulator.add_fault(fault)
    sent = requests(simulator)
    freezer.tick(SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await settle(lambda: requests(simulator) > sent)
    assert state(hass, SWITCH) == STATE_OFF
    await poll(hass, freezer, timedelta(seconds=REQUEST_TIMEOUT))
    assert state(hass, SWITCH) == STATE_UNAVAILABLE


@pytest.mark.parametrize("fault", [Fault(drop=True), Fault(status=503), None])
async def test_polling_turned_off_shows_every_failure(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    simulator: MediaScribeSimulator,
    fault: Fault | None,
) -> None:
    """With polling off, the update the user asks for shows any failure at once."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, pref_disable_polling=True)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await async_setup_component(hass, "homeassistant", {})
    if fault is None:
        await simulator.stop()
    else:
        simulator.add_fault(fault)
    await update_entity(hass)
    assert state(hass, SWITCH) == STATE_UNAVAILABLE


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("recording", "service", "expected", "fired"),
    [
        (True, SERVICE_TURN_OFF, STATE_OFF, ["stopped"]),
        (False, SERVICE_TURN_ON, STATE_ON, ["started"]),
    ],
)
@pytest.mark.parametrize("poll_begins", ["before", "during"])
async def test_late_poll_never_undoes_a_confirmed_command(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    recording: bool,
    service: str,
    expected: str,
    fired: list[str],
    poll_begins: str,
) -> None:
    """A status read before a command finished never replaces what it confirmed.

    The server carries the command out late, so the command reads back until
    it shows; the poll reads the old status and answers after the command is
    confirmed.
    """
    await async_setup_component(hass, "homeassistant", {})
    # An earlier command, so that only a count of every command finished tells
    # the race below from the one before.
    await call(hass, "select", "select_option", PRESET, option="Committee Room")
    if recording:
        simulator.start_recording()
        await poll(hass, freezer)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    simulator.action_delay = coordinator.VERIFY_WINDOW / 2
    tasks = []
    for step in ("poll", "command") if poll_begins == "before" else ("command", "poll"):
        sent = requests(simulator)
        if step == "poll":
            simulator.add_fault(Fault(latency=coordinator.VERIFY_WINDOW * 2, count=1))
        coro = (
            update_entity(hass)
            if step == "poll"
            else call(hass, "switch", service, SWITCH)
        )
        tasks.append(asyncio.ensure_future(coro))
        await settle(lambda sent=sent: requests(simulator) > sent)
    poll_task, command = tasks if poll_begins == "before" else tasks[::-1]
    await run_clock(hass, freezer, command)  # the server shows the command
    assert state(hass, SWITCH) == expected
    await run_clock(hass, freezer, poll_task)  # the poll's old answer arrives
    await asyncio.gather(*tasks)
    await hass.async_block_till_done()
    assert state(hass, SWITCH) == expected
    event_types = [
        e.data["new_state"].attributes["event_type"]
        for e in events
        if e.data["entity_id"] == EVENT
    ]
    assert event_types == fired


@pytest.mark.usefixtures("init_integration")
async def test_failed_poll_beside_a_failed_command_is_a_failure(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No poll counts as a success while the server answers nothing at all."""
    await async_setup_component(hass, "homeassistant", {})
    # The poll waits for an answer; the command's connection is dropped.
    simulator.add_fault(Fault(latency=30, count=1))
    simulator.add_fault(Fault(drop=True))
    tasks = []
    for coro in (update_entity(hass), call(hass, "switch", SERVICE_TURN_ON, SWITCH)):
        sent = requests(simulator)
        tasks.append(asyncio.ensure_future(coro))
        await settle(lambda sent=sent: requests(simulator) > sent)
    await settle(tasks[1].done)
    freezer.tick(timedelta(seconds=REQUEST_TIMEOUT))
    await run_clock(hass, freezer, tasks[0])
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[1], HomeAssistantError)
    assert state(hass, SWITCH) == STATE_UNAVAILABLE
    assert "recovered" not in caplog.text
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )
    assert diagnostics["last_update_success"] is False


async def test_device_registry_entry(
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """One device per server: named after the site, its address to configure it."""
    [device] = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    assert device == snapshot(exclude=props("configuration_url"))
    assert device.configuration_url == init_integration.data[CONF_URL]


@pytest.mark.usefixtures("init_integration")
async def test_a_failed_read_back_is_not_the_end(
    hass: HomeAssistant, simulator: MediaScribeSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A read that fails inside the window is followed by the next one."""
    simulator.put_response = "ack"
    simulator.action_delay = 1
    command = asyncio.ensure_future(call(hass, "switch", SERVICE_TURN_ON, SWITCH))
    await settle(lambda: [r.method for r in simulator.requests][-2:] == ["PUT", "GET"])
    simulator.add_fault(Fault(status=500, count=1))
    await run_clock(hass, freezer, command)
    await command
    assert state(hass, SWITCH) == STATE_ON
    assert [r.status for r in simulator.requests].count(500) == 1


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("code", [400, 404, 500])
async def test_refused_command_shows_what_the_server_reports(
    hass: HomeAssistant, simulator: MediaScribeSimulator, code: int
) -> None:
    """After a refusal the status is read back and shown, news and all."""
    simulator.has_no_signal = True
    simulator.add_fault(Fault(status=code, count=1))
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "switch", SERVICE_TURN_ON, SWITCH)
    assert err.value.translation_domain == DOMAIN
    assert f"HTTP {code}" in err.value.translation_placeholders["error"]
    assert state(hass, NO_SIGNAL) == STATE_ON
    assert state(hass, SWITCH) == STATE_OFF
