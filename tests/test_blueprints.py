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
from homeassistant.const import SERVICE_TURN_OFF
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

from .conftest import EVENT, PRESET, PROBLEM, SWITCH, call, state

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant, ServiceCall
    from pytest_homeassistant_custom_component.common import MockConfigEntry

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = ROOT / "blueprints" / "automation" / "mediascribe"
CALENDAR = "calendar.council_meetings"
# Outside the 5-second polling rhythm on purpose: the calendar's own timers
# decide when the automation runs.
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
        freezer.tick(timedelta(seconds=5))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


def preset_name(simulator: MediaScribeSimulator) -> str:
    """Return the name of the simulator's active preset."""
    return next(p.name for p in simulator.presets if p.id == simulator.active_preset_id)


def messages(calls: list[ServiceCall]) -> list[str]:
    """Return the messages the mocked notify action received."""
    return [call.data["message"] for call in calls]


@pytest.fixture
def at_start(freezer: FrozenDateTimeFactory) -> None:
    """Begin about ten minutes before START.

    Not on a whole minute: the calendar trigger looks ahead in 15-minute
    windows from its setup, and an event ending exactly on a window's first
    instant is one that calendars (overlap is end > start) do not return.
    """
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


def refuse_presets(simulator: MediaScribeSimulator) -> None:
    """Make the server refuse preset changes."""
    simulator.preset_change = "reject"


@pytest.mark.usefixtures("init_integration", "config_dir", "at_start")
@pytest.mark.parametrize(
    ("prepare", "preset"),
    [
        (lambda _: None, "Committee Room"),
        (refuse_presets, "Council Chamber"),
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
    """The recording runs from the event's start to its end, with the preset if it can.

    A refused preset never stops the recording; a running one keeps its preset.
    """
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
    # A recording started by hand is neither watched during a non-matching
    # event nor stopped by its end.
    simulator.start_recording()
    simulator.position_frozen = True
    await run_until(hass, freezer, 20)
    assert state(hass, PROBLEM) == "on"
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
    assert messages(notified) == [
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
    ("server_down", "reason"),
    [
        (False, "the server did not start the recording"),
        (True, "Home Assistant cannot reach the server"),
    ],
    ids=["start-ignored", "server-unreachable"],
)
async def test_failed_start_runs_the_failure_actions(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    notified: list[ServiceCall],
    server_down: bool,
    reason: str,
) -> None:
    """A start the server does not carry out is reported with what went wrong.

    On the real clock: the switch reads the server back for a moment, and a
    frozen clock would never let that moment pass.
    """
    simulator.action_change = "ignore"
    if server_down:
        await simulator.stop()
        for _ in range(2):
            await init_integration.runtime_data.async_refresh()
    now = dt_util.now()
    await setup_calendar(hass, [meeting("City Council Meeting", 1, 60, now)])
    await use_blueprint(hass, "record_calendar_meetings.yaml", CALENDAR_INPUTS)
    async_fire_time_changed(hass, now + timedelta(minutes=1, seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not simulator.is_recording
    assert messages(notified) == [
        f"Springfield City Council is not recording City Council Meeting: {reason}."
    ]


HEALTH_INPUTS = {
    "recording_event": EVENT,
    "recording_problem": PROBLEM,
    "grace_period": 30,
    "alert_actions": [
        {
            "action": "notify.notify",
            "data": {
                key: f"{{{{ {key} }}}}"
                for key in ("message", "problem", "file_name", "path")
            },
        }
    ],
}


def problems(calls: list[ServiceCall]) -> list[str]:
    """Return the problems the alerts reported."""
    return [call.data["problem"] for call in calls]


@pytest.fixture
async def alerts(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    config_dir: Path,
    notified: list[ServiceCall],
) -> list[ServiceCall]:
    """Set up the recording health alert; return the alerts it sends."""
    await use_blueprint(hass, "recording_health_alert.yaml", HEALTH_INPUTS)
    return notified


async def test_alert_for_a_stall_once_with_the_file(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: MediaScribeSimulator,
    alerts: list[ServiceCall],
) -> None:
    """A stall alerts once, naming the file; its event restored by a reload is old."""
    simulator.start_recording()
    await seconds_pass(hass, freezer, 10)
    simulator.position_frozen = True
    await seconds_pass(hass, freezer, 60)
    event = hass.states.get(EVENT).attributes
    assert [alert.data for alert in alerts] == [
        {
            "message": f"Springfield City Council: the recording "
            f"{event['file_name']} has stalled, the file is not growing.",
            "problem": "stalled",
            "file_name": event["file_name"],
            "path": event["path"],
        }
    ]
    await hass.config_entries.async_reload(init_integration.entry_id)
    await seconds_pass(hass, freezer, 5)
    assert state(hass, EVENT) != "unavailable"
    assert len(alerts) == 1


async def test_alert_after_the_grace_period_without_a_signal(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    alerts: list[ServiceCall],
) -> None:
    """A signal lost while recording alerts once after the grace period."""
    simulator.start_recording()
    await seconds_pass(hass, freezer, 10)
    simulator.has_no_signal = True
    await seconds_pass(hass, freezer, 15)
    simulator.has_no_signal = False
    await seconds_pass(hass, freezer, 30)
    simulator.has_no_signal = True
    await seconds_pass(hass, freezer, 25)
    assert state(hass, PROBLEM) == "on"
    assert alerts == []
    await seconds_pass(hass, freezer, 10)
    file_name = hass.states.get(EVENT).attributes["file_name"]
    assert messages(alerts) == [
        f"Springfield City Council is recording {file_name} without a video signal."
    ]
    await seconds_pass(hass, freezer, 120)
    assert len(alerts) == 1


async def test_alert_when_recording_starts_without_a_signal(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    alerts: list[ServiceCall],
) -> None:
    """A recording started without a signal alerts after the grace period too."""
    simulator.has_no_signal = True
    await seconds_pass(hass, freezer, 120)
    assert alerts == []  # no signal, but nothing recorded: nothing lost
    simulator.start_recording()
    await seconds_pass(hass, freezer, 25)
    assert alerts == []
    await seconds_pass(hass, freezer, 10)
    assert problems(alerts) == ["signal_lost"]


@pytest.mark.usefixtures("init_integration", "config_dir", "at_start")
@pytest.mark.parametrize(
    ("calendar", "minutes", "stopped_by", "alerted"),
    [
        (CALENDAR, 10, "server", ["stopped_outside"]),
        (CALENDAR, 10, "home_assistant", []),
        (CALENDAR, 10, "server_restart", ["stopped_outside"]),
        (CALENDAR, 40, "server", []),
        ("", 40, "server", ["stopped_outside"]),
    ],
    ids=[
        "during-event",
        "by-home-assistant",
        "in-outage",
        "after-event",
        "no-calendar",
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
    alerted: list[str],
) -> None:
    """A stop at the server alerts (during a calendar event, if one is chosen).

    A stop while the server did not answer is reported when it answers again.
    """
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
    assert hass.states.get(EVENT).attributes["event_type"] == "stopped"
    assert problems(notified) == alerted


@pytest.mark.usefixtures("init_integration", "config_dir")
async def test_default_alert_is_a_notification(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
) -> None:
    """Without chosen actions the blueprint creates a persistent notification."""
    calls = async_mock_service(hass, "persistent_notification", "create")
    inputs = {k: v for k, v in HEALTH_INPUTS.items() if k != "alert_actions"}
    await use_blueprint(hass, "recording_health_alert.yaml", inputs)
    simulator.start_recording()
    await seconds_pass(hass, freezer, 5)
    simulator.stop_recording()
    await seconds_pass(hass, freezer, 5)
    [notification] = calls
    assert notification.data["title"] == "MediaScribe recording problem"
    assert notification.data["message"].endswith(
        "stopped without a stop from Home Assistant."
    )
