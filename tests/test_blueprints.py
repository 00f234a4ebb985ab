"""The automation blueprints, run by Home Assistant against the simulator."""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from pathlib import Path
import shutil
from typing import TYPE_CHECKING, Any

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import models
from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.const import SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
    setup_test_component_platform,
)

from simulator import MediaScribeSimulator
from simulator.faults import Fault

from .conftest import EVENT, PRESET, STATE, SWITCH, call, poll, state

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = ROOT / "blueprints" / "automation" / "mediascribe"
CALENDAR = "calendar.council_meetings"
# Off the 5-second polling rhythm: the calendar's own timers run the automation.
START = datetime(2026, 11, 30, 18, 0, tzinfo=dt_util.get_default_time_zone())
# Actions that hand the blueprint's variables to a mocked notify action.
NOTIFY = [{"action": "notify.notify", "data": {"message": "{{ message }}"}}]


class MockCalendar(CalendarEntity):
    """A calendar holding a fixed list of events."""

    _attr_name = "Council meetings"

    def __init__(self, events: Sequence[CalendarEvent]) -> None:
        """Hold the events."""
        self._events = sorted(events, key=lambda event: event.start_datetime_local)

    @property
    def event(self) -> CalendarEvent | None:
        """Return the event going on now, or the next one."""
        now = dt_util.now()
        return next((e for e in self._events if e.end_datetime_local > now), None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the events overlapping the window."""
        return [
            event
            for event in self._events
            if event.start_datetime_local < end_date
            and event.end_datetime_local > start_date
        ]


def meeting(
    summary: str, start_minutes: float, end_minutes: float, start: datetime = START
) -> CalendarEvent:
    """Return an event starting and ending so many minutes after `start`."""
    return CalendarEvent(
        start=start + timedelta(minutes=start_minutes),
        end=start + timedelta(minutes=end_minutes),
        summary=summary,
    )


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Give Home Assistant a config folder holding the repository's blueprints."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "mediascribe")
    return tmp_path


async def use_blueprint(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> None:
    """Set up one automation from one of the blueprints."""
    config = {
        "automation": {
            "use_blueprint": {"path": f"mediascribe/{name}", "input": inputs}
        }
    }
    assert await async_setup_component(hass, "automation", config)
    await hass.async_block_till_done()
    automations = hass.states.async_all("automation")
    assert [automation.state for automation in automations] == ["on"]


async def setup_calendar(hass: HomeAssistant, events: Sequence[CalendarEvent]) -> None:
    """Add a calendar entity with these events."""
    setup_test_component_platform(hass, "calendar", [MockCalendar(events)])
    assert await async_setup_component(
        hass, "calendar", {"calendar": {"platform": "test"}}
    )
    await hass.async_block_till_done()


async def run_until(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float
) -> None:
    """Let time pass minute by minute until so many minutes after START."""
    target = START + timedelta(minutes=minutes)
    while (now := dt_util.now()) < target:
        freezer.move_to(min(now + timedelta(minutes=1), target))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


async def seconds_pass(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int
) -> None:
    """Let time pass in polling steps, so the entities follow the simulator."""
    for _ in range(seconds // 5):
        await poll(hass, freezer)


def preset_name(simulator: MediaScribeSimulator) -> str:
    """Return the name of the simulator's active preset."""
    return next(p.name for p in simulator.presets if p.id == simulator.active_preset_id)


def sent(calls: list[ServiceCall], key: str = "message") -> list[str]:
    """Return one field of what the mocked notify action received."""
    return [call.data[key] for call in calls]


@pytest.fixture
def at_start(freezer: FrozenDateTimeFactory) -> None:
    """Begin about ten minutes before START, off the calendar's 15-minute windows."""
    freezer.move_to(START - timedelta(minutes=10) + timedelta(seconds=7))


@pytest.fixture
def notified(hass: HomeAssistant) -> list[ServiceCall]:
    """Mock the notify action that the tests' chosen actions call."""
    return async_mock_service(hass, "notify", "notify")


CALENDAR_INPUTS = {
    "calendar": CALENDAR,
    "recording_switch": SWITCH,
    "recording_event": EVENT,
    "failure_actions": NOTIFY,
}


@pytest.mark.parametrize(
    "path", sorted(BLUEPRINTS.glob("*.yaml")), ids=lambda path: path.name
)
def test_blueprint_is_valid(path: Path) -> None:
    """Each blueprint passes Home Assistant's schema and points at its own URL."""
    blueprint = models.Blueprint(
        load_yaml_dict(path),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    manifest = json.loads(
        (ROOT / "custom_components" / "mediascribe" / "manifest.json").read_text()
    )
    relative = path.relative_to(ROOT).as_posix()
    assert blueprint.metadata["source_url"] == (
        f"{manifest['documentation']}/blob/main/{relative}"
    )
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert blueprint.metadata["homeassistant"]["min_version"] == hacs["homeassistant"]


@pytest.mark.usefixtures("init_integration", "config_dir", "at_start")
@pytest.mark.parametrize(
    ("prepare", "preset"),
    [
        (lambda _: None, "Committee Room"),
        (lambda s: setattr(s, "preset_change", "reject"), "Council Chamber"),
        (MediaScribeSimulator.start_recording, "Council Chamber"),
    ],
    ids=["preset-selected", "preset-refused", "already-recording"],
)
async def test_records_a_meeting_with_its_preset(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    notified: list[ServiceCall],
    prepare: Callable[[MediaScribeSimulator], None],
    preset: str,
) -> None:
    """The event is recorded start to end; a refused or running preset stays."""
    prepare(simulator)
    was_recording = simulator.is_recording
    await setup_calendar(hass, [meeting("City Council Meeting", 0, 60)])
    await use_blueprint(
        hass,
        "record_calendar_meetings.yaml",
        {**CALENDAR_INPUTS, "preset_select": PRESET, "preset_option": "Committee Room"},
    )
    await run_until(hass, freezer, -1)
    assert simulator.is_recording is was_recording
    assert preset_name(simulator) == "Council Chamber"

    await run_until(hass, freezer, 1)
    assert state(hass, SWITCH) == "on"
    assert preset_name(simulator) == preset
    await run_until(hass, freezer, 59)
    assert simulator.is_recording
    await run_until(hass, freezer, 61)
    assert not simulator.is_recording
    assert notified == []


@pytest.mark.usefixtures("init_integration", "config_dir", "at_start")
async def test_only_matching_meetings_are_recorded_and_watched(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    notified: list[ServiceCall],
) -> None:
    """Only events whose title has the text are recorded and watched for stalls."""
    await setup_calendar(
        hass,
        [
            meeting("Planning Commission", 0, 30),
            meeting("CITY COUNCIL meeting", 40, 70),
        ],
    )
    await use_blueprint(
        hass,
        "record_calendar_meetings.yaml",
        {**CALENDAR_INPUTS, "title_filter": " council "},
    )
    await run_until(hass, freezer, 10)
    assert not simulator.is_recording
    # A hand-started recording is not watched or stopped by a non-matching event.
    simulator.start_recording()
    simulator.position_frozen = True
    await run_until(hass, freezer, 20)
    assert state(hass, STATE) == "stalled"
    simulator.position_frozen = False
    await run_until(hass, freezer, 31)
    assert simulator.is_recording
    simulator.stop_recording()
    assert notified == []

    await run_until(hass, freezer, 41)
    assert simulator.is_recording
    simulator.position_frozen = True
    await run_until(hass, freezer, 60)
    file_name = hass.states.get(EVENT).attributes["file_name"]
    assert sent(notified) == [
        "Springfield City Council is not recording CITY COUNCIL meeting: the "
        f"recording {file_name} has stalled, the file is not growing."
    ]
    simulator.position_frozen = False
    await run_until(hass, freezer, 71)
    assert not simulator.is_recording


@pytest.mark.usefixtures("init_integration", "config_dir", "at_start")
async def test_overlapping_meetings_record_until_the_last_ends(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
) -> None:
    """The end of one meeting does not cut the recording of one still going on."""
    await setup_calendar(
        hass,
        [meeting("Council Meeting", 0, 30), meeting("Council Work Session", 20, 50)],
    )
    await use_blueprint(hass, "record_calendar_meetings.yaml", CALENDAR_INPUTS)
    await run_until(hass, freezer, 31)
    assert simulator.is_recording
    await run_until(hass, freezer, 51)
    assert not simulator.is_recording


@pytest.mark.usefixtures("config_dir")
@pytest.mark.parametrize(
    ("polls_down", "reason"),
    [
        (None, "the server did not start the recording"),
        (2, "Home Assistant cannot reach the server"),
        (0, "Home Assistant cannot reach the server"),
    ],
    ids=["start-ignored", "server-unreachable", "server-lost-at-start"],
)
async def test_failed_start_runs_the_failure_actions(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    notified: list[ServiceCall],
    polls_down: int | None,
    reason: str,
) -> None:
    """A start not carried out is reported; real clock, for the switch's read-back."""
    simulator.action_change = "ignore"
    if polls_down is not None:
        await simulator.stop()
        for _ in range(polls_down):
            await init_integration.runtime_data.async_refresh()
        assert (state(hass, SWITCH) == "unavailable") is (polls_down > 0)
    now = dt_util.now()
    await setup_calendar(hass, [meeting("City Council Meeting", 1, 60, now)])
    await use_blueprint(hass, "record_calendar_meetings.yaml", CALENDAR_INPUTS)
    async_fire_time_changed(hass, now + timedelta(minutes=1, seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not simulator.is_recording
    assert sent(notified) == [
        f"Springfield City Council is not recording City Council Meeting: {reason}."
    ]


ALERTED = ("message", "problem", "reason", "file_name", "path")
HEALTH_INPUTS = {
    "recording_event": EVENT,
    "recording_state": STATE,
    "grace_period": 30,
    "alert_actions": [
        {"action": "notify.notify", "data": {k: f"{{{{ {k} }}}}" for k in ALERTED}}
    ],
}


@pytest.mark.usefixtures("config_dir")
async def test_alert_for_a_stall_once_with_the_file(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    notified: list[ServiceCall],
) -> None:
    """A stall alerts once, naming the file; its event restored by a reload is old."""
    await use_blueprint(hass, "recording_health_alert.yaml", HEALTH_INPUTS)
    simulator.start_recording()
    await seconds_pass(hass, freezer, 10)
    simulator.position_frozen = True
    await seconds_pass(hass, freezer, 60)
    event = hass.states.get(EVENT).attributes
    assert [alert.data for alert in notified] == [
        {
            "message": f"Springfield City Council: the recording "
            f"{event['file_name']} has stalled, the file is not growing. "
            "Check MediaScribe now.",
            "problem": "stalled",
            "reason": "",
            "file_name": event["file_name"],
            "path": event["path"],
        }
    ]
    await hass.config_entries.async_reload(init_integration.entry_id)
    await seconds_pass(hass, freezer, 5)
    assert state(hass, EVENT) != "unavailable"
    assert len(notified) == 1


@pytest.mark.usefixtures("init_integration", "config_dir")
@pytest.mark.parametrize(("grace", "quiet", "late"), [(30, 25, 10), (0, 0, 5)])
async def test_alert_after_the_grace_period_without_a_signal(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    notified: list[ServiceCall],
    grace: int,
    quiet: int,
    late: int,
) -> None:
    """Recording without a signal alerts once after the grace period, not before."""
    inputs = {**HEALTH_INPUTS, "grace_period": grace}
    await use_blueprint(hass, "recording_health_alert.yaml", inputs)
    simulator.has_no_signal = True
    await seconds_pass(hass, freezer, 120)
    simulator.start_recording()
    await seconds_pass(hass, freezer, quiet)
    assert notified == []  # none for no signal while not recording: nothing lost
    await seconds_pass(hass, freezer, late)
    file_name = hass.states.get(EVENT).attributes["file_name"]
    assert sent(notified) == [
        f"Springfield City Council is recording {file_name} without a video "
        "signal. Check the camera and its cable."
    ]
    await seconds_pass(hass, freezer, 60)
    for no_signal, seconds in ((False, 30), (True, 15), (False, 30), (True, 35)):
        simulator.has_no_signal = no_signal
        await seconds_pass(hass, freezer, seconds)
    assert state(hass, STATE) == "no_signal"
    # A glitch alerts only without a grace period.
    assert sent(notified, "problem") == ["signal_lost"] * (2 if grace else 3)


@pytest.mark.usefixtures("init_integration", "config_dir", "at_start")
@pytest.mark.parametrize(
    ("calendar", "minutes", "stopped_by", "alerted"),
    [
        pytest.param(CALENDAR, 10, "server", True, id="during-event"),
        pytest.param(CALENDAR, 10, "home_assistant", False, id="by-home-assistant"),
        pytest.param(CALENDAR, 10, "server_restart", True, id="in-outage"),
        pytest.param(CALENDAR, 40, "server", False, id="after-event"),
        pytest.param("", 40, "server", True, id="no-calendar"),
    ],
)
async def test_alert_for_a_stop_outside_home_assistant(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    notified: list[ServiceCall],
    calendar: str,
    minutes: float,
    stopped_by: str,
    alerted: bool,
) -> None:
    """A stop at the server alerts (in a chosen calendar's event), even in outages."""
    await setup_calendar(hass, [meeting("City Council Meeting", 0, 30)])
    inputs = {**HEALTH_INPUTS, "calendar": calendar}
    await use_blueprint(hass, "recording_health_alert.yaml", inputs)
    await run_until(hass, freezer, minutes)
    simulator.start_recording()
    await seconds_pass(hass, freezer, 10)
    if stopped_by == "home_assistant":
        await call(hass, "switch", SERVICE_TURN_OFF, SWITCH)
    elif stopped_by == "server":
        simulator.stop_recording()
    else:
        port = simulator.port
        await simulator.stop()
        await seconds_pass(hass, freezer, 20)
        assert state(hass, EVENT) == "unavailable"
        simulator.stop_recording()
        await simulator.start(port=port)
    await seconds_pass(hass, freezer, 10)
    event = hass.states.get(EVENT).attributes
    assert event["event_type"] == "stopped"
    assert sent(notified) == alerted * [
        f"Springfield City Council: the recording {event['file_name']} stopped, "
        "not from Home Assistant. If the meeting is still going on, start "
        "recording again."
    ]
    assert sent(notified, "problem") == alerted * ["stopped_outside"]


SERVICES = {"start": SERVICE_TURN_ON, "stop": SERVICE_TURN_OFF}
UNREACHABLE = "Home Assistant cannot reach the MediaScribe server"


@pytest.mark.usefixtures("init_integration", "config_dir")
@pytest.mark.parametrize(
    ("command", "fault", "reason"),
    [
        ("start", None, "MediaScribe did not carry it out"),
        ("stop", None, "MediaScribe did not carry it out"),
        ("stop", Fault(status=429, count=1), "the MediaScribe server was busy"),
        ("start", Fault(drop=True), UNREACHABLE),
    ],
    ids=["start-ignored", "stop-ignored", "stop-busy", "server-lost"],
)
async def test_default_alert_for_a_failed_start_or_stop(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    command: str,
    fault: Fault | None,
    reason: str,
) -> None:
    """A failed start or stop notifies why; on the real clock, for the read-back."""
    calls = async_mock_service(hass, "persistent_notification", "create")
    inputs = {k: v for k, v in HEALTH_INPUTS.items() if k != "alert_actions"}
    await use_blueprint(hass, "recording_health_alert.yaml", inputs)
    if command == "stop":
        simulator.start_recording()
        await init_integration.runtime_data.async_refresh()
    # The server carries out nothing; a fault fails the request before that.
    simulator.action_change = "ignore"
    if fault is not None:
        simulator.add_fault(fault)
    with pytest.raises(HomeAssistantError):
        await call(hass, "switch", SERVICES[command], SWITCH)
    await hass.async_block_till_done()
    assert [call.data for call in calls] == [
        {
            "title": "MediaScribe recording problem",
            "message": f"Springfield City Council did not {command} recording: "
            f"{reason}. {command.title()} the recording in MediaScribe itself.",
        }
    ]
