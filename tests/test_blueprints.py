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

from .conftest import NO_SIGNAL, PRESET, SWITCH, state

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant, ServiceCall

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = ROOT / "blueprints" / "automation" / "mediascribe"
CALENDAR = "calendar.council_meetings"
# Outside the 5-second polling rhythm on purpose: the calendar's own timers
# decide when the automation runs.
START = datetime(2026, 11, 30, 18, 0, tzinfo=dt_util.get_default_time_zone())


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


def meeting(summary: str, start_minutes: int, end_minutes: int) -> CalendarEvent:
    """Return an event starting and ending so many minutes after START."""
    return CalendarEvent(
        start=START + timedelta(minutes=start_minutes),
        end=START + timedelta(minutes=end_minutes),
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


def preset_name(simulator: MediaScribeSimulator) -> str:
    """Return the name of the simulator's active preset."""
    return next(p.name for p in simulator.presets if p.id == simulator.active_preset_id)


@pytest.fixture
def at_start(freezer: FrozenDateTimeFactory) -> None:
    """Begin about ten minutes before START.

    Not on a whole minute: the calendar trigger looks ahead in 15-minute
    windows from its setup, and an event ending exactly on a window's first
    instant is one that calendars (overlap is end > start) do not return.
    """
    freezer.move_to(START - timedelta(minutes=10) + timedelta(seconds=7))


CALENDAR_INPUTS = {"calendar": CALENDAR, "recording_switch": SWITCH}


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
async def test_records_a_meeting_with_its_preset(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
) -> None:
    """The preset is selected and the recording runs from the event's start to end."""
    await setup_calendar(hass, [meeting("City Council Meeting", 0, 60)])
    await use_blueprint(
        hass,
        "record_calendar_meetings.yaml",
        {**CALENDAR_INPUTS, "preset_select": PRESET, "preset_option": "Committee Room"},
    )
    await run_until(hass, freezer, -1)
    assert not simulator.is_recording
    assert preset_name(simulator) == "Council Chamber"

    await run_until(hass, freezer, 1)
    assert simulator.is_recording
    assert preset_name(simulator) == "Committee Room"
    assert state(hass, SWITCH) == "on"

    await run_until(hass, freezer, 59)
    assert simulator.is_recording
    await run_until(hass, freezer, 61)
    assert not simulator.is_recording
    assert state(hass, SWITCH) == "off"


@pytest.mark.usefixtures("init_integration", "config_dir", "at_start")
async def test_title_filter(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
) -> None:
    """Only events whose title contains the text are recorded (any letter case)."""
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
    # A recording started by hand is not stopped by a non-matching event's end.
    simulator.start_recording()
    await run_until(hass, freezer, 31)
    assert simulator.is_recording
    simulator.stop_recording()

    await run_until(hass, freezer, 41)
    assert simulator.is_recording
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


def refuse_presets(simulator: MediaScribeSimulator) -> None:
    """Make the server refuse preset changes."""
    simulator.preset_change = "reject"


@pytest.mark.usefixtures("init_integration", "config_dir", "at_start")
@pytest.mark.parametrize(
    "prepare",
    [refuse_presets, MediaScribeSimulator.start_recording],
    ids=["preset-refused", "already-recording"],
)
async def test_recording_runs_without_the_preset(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    prepare: Callable[[MediaScribeSimulator], None],
) -> None:
    """A refused preset never stops the recording; a running one keeps its preset."""
    prepare(simulator)
    await setup_calendar(hass, [meeting("Council Meeting", 0, 60)])
    await use_blueprint(
        hass,
        "record_calendar_meetings.yaml",
        {**CALENDAR_INPUTS, "preset_select": PRESET, "preset_option": "Committee Room"},
    )
    await run_until(hass, freezer, 1)
    assert simulator.is_recording
    assert preset_name(simulator) == "Council Chamber"


NO_SIGNAL_INPUTS = {
    "no_signal_sensor": NO_SIGNAL,
    "recording_switch": SWITCH,
    "duration": 30,
    "alert_actions": [
        {
            "action": "notify.notify",
            "data": {"message": "{{ site }} has no video signal"},
        }
    ],
}


async def seconds_pass(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int
) -> None:
    """Let time pass in polling steps, so the entities follow the simulator."""
    for _ in range(seconds // 5):
        freezer.tick(timedelta(seconds=5))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
async def alerts(
    hass: HomeAssistant, init_integration: None, config_dir: Path
) -> list[ServiceCall]:
    """Set up the no-signal blueprint notifying a mocked notify action."""
    calls = async_mock_service(hass, "notify", "notify")
    await use_blueprint(hass, "no_signal_alert.yaml", NO_SIGNAL_INPUTS)
    return calls


async def test_alert_when_the_signal_is_lost_while_recording(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    alerts: list[ServiceCall],
) -> None:
    """The actions run once the signal has been gone for the grace period."""
    simulator.start_recording()
    await seconds_pass(hass, freezer, 60)
    simulator.has_no_signal = True
    await seconds_pass(hass, freezer, 25)
    assert state(hass, NO_SIGNAL) == "on"
    assert alerts == []
    await seconds_pass(hass, freezer, 10)
    assert [call.data["message"] for call in alerts] == [
        "Springfield City Council has no video signal"
    ]


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
    assert len(alerts) == 1


async def test_no_alert_for_a_short_glitch(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    alerts: list[ServiceCall],
) -> None:
    """A signal back within the grace period, or a recording stopped, is no alert."""
    simulator.start_recording()
    await seconds_pass(hass, freezer, 60)
    simulator.has_no_signal = True
    await seconds_pass(hass, freezer, 15)
    simulator.has_no_signal = False
    await seconds_pass(hass, freezer, 60)
    simulator.has_no_signal = True
    await seconds_pass(hass, freezer, 15)
    simulator.stop_recording()
    await seconds_pass(hass, freezer, 60)
    assert alerts == []


@pytest.mark.usefixtures("init_integration", "config_dir")
async def test_default_alert_is_a_notification(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
) -> None:
    """Without chosen actions the blueprint creates a persistent notification."""
    calls = async_mock_service(hass, "persistent_notification", "create")
    inputs = {k: v for k, v in NO_SIGNAL_INPUTS.items() if k != "alert_actions"}
    await use_blueprint(hass, "no_signal_alert.yaml", inputs)
    simulator.start_recording()
    simulator.has_no_signal = True
    await seconds_pass(hass, freezer, 40)
    assert [call.data["message"] for call in calls] == [
        "Springfield City Council is recording without a video signal."
    ]
