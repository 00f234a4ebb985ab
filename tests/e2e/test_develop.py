"""The demo end to end: Home Assistant and the simulator as processes, over HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import json
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
import yaml

from tools.demo.demo import CALENDAR, MEETING, PRESETS, SITE_NAME
from tools.demo.processes import REPO, wait_until

from .conftest import (
    EVENT,
    NO_SIGNAL,
    PRESET,
    RECORDING_FILE,
    RECORDING_STARTED,
    STATE,
    SWITCH,
    simulator,
    wait_for_state,
)

if TYPE_CHECKING:
    from tools.demo.demo import Demo

pytestmark = pytest.mark.usefixtures("socket_enabled")

# One poll is 5 s; the rest is slack for a busy machine.
POLL_DEADLINE = 15.0
# A stall shows on the third poll without progress, 12.5 to 20 s after the
# position froze; a resume on the first poll that sees the position move.
STALL_DEADLINE = 30.0
RESUME_DEADLINE = 20.0


def _history(demo: Demo, entity_id: str, since: datetime) -> list[dict[str, Any]]:
    """Return the entity's states recorded after `since`, oldest first."""
    [states] = demo.session.call(
        "GET",
        f"/api/history/period/{since.isoformat()}?filter_entity_id={entity_id}",
    )
    # The first row is the state the entity already had at `since`.
    return [s for s in states if datetime.fromisoformat(s["last_changed"]) > since]


def _websocket(demo: Demo, command: dict[str, Any]) -> Any:
    """Return the result of a command sent as the frontend sends it."""

    async def send() -> Any:
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"{demo.url}/api/websocket") as socket,
        ):
            await socket.receive_json()  # auth_required
            token = demo.session.access_token
            await socket.send_json({"type": "auth", "access_token": token})
            await socket.receive_json()  # auth_ok
            await socket.send_json({"id": 1, **command})
            return (await socket.receive_json())["result"]

    # Not asyncio.run: it unsets the event loop that the harness's fixtures get.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(send())
    finally:
        loop.close()


def test_device_and_entities(demo: Demo) -> None:
    """Onboarding and the config flow leave one device with its entities."""
    assert demo.entry_title == "Springfield City Council"
    entities = json.loads(
        demo.session.template(
            "{{ integration_entities('mediascribe') | list | tojson }}"
        )
    )
    assert {
        SWITCH,
        NO_SIGNAL,
        STATE,
        EVENT,
        PRESET,
        RECORDING_STARTED,
        RECORDING_FILE,
    } <= set(entities)
    assert len(demo.device_ids()) == 1
    preset = demo.session.call("GET", f"/api/states/{PRESET}")
    assert preset["attributes"]["options"] == list(PRESETS)
    assert preset["state"] == "Council Chamber"


def test_switch_starts_and_stops_recording(demo: Demo) -> None:
    """The switch's state is confirmed when the action returns."""
    assert demo.session.state(SWITCH) == "off"

    demo.session.call("POST", "/api/services/switch/turn_on", {"entity_id": SWITCH})

    assert demo.session.state(SWITCH) == "on"
    assert "recording" in simulator(demo, "GET", "state")["status"]

    demo.session.call("POST", "/api/services/switch/turn_off", {"entity_id": SWITCH})

    assert demo.session.state(SWITCH) == "off"
    assert "recording" not in simulator(demo, "GET", "state")["status"]


def test_select_changes_the_preset(demo: Demo) -> None:
    """Selecting an option makes it the simulator's active preset."""
    ids = {
        preset["name"]: preset["id"]
        for preset in simulator(demo, "GET", "state")["status"]["presets"]
    }
    for option in ("Work Session", "Council Chamber"):
        demo.session.call(
            "POST",
            "/api/services/select/select_option",
            {"entity_id": PRESET, "option": option},
        )

        assert demo.session.state(PRESET) == option
        status = simulator(demo, "GET", "state")["status"]
        assert status["activePresetId"] == ids[option]


def test_no_signal_fault_shows_within_a_poll(demo: Demo) -> None:
    """A fault on the server reaches the binary sensor on the next poll."""
    assert demo.session.state(NO_SIGNAL) == "off"
    started = time.monotonic()
    simulator(demo, "PATCH", "state", {"has_no_signal": True})
    try:
        wait_for_state(demo, NO_SIGNAL, "on", POLL_DEADLINE)
        assert time.monotonic() - started < POLL_DEADLINE
    finally:
        simulator(demo, "PATCH", "state", {"has_no_signal": False})
    wait_for_state(demo, NO_SIGNAL, "off", POLL_DEADLINE)


def test_stalled_recording_reported_and_resumed(demo: Demo) -> None:
    """A position that stops growing reads as stalled, once, until it grows."""
    since = datetime.now(UTC).replace(microsecond=0)
    demo.session.call("POST", "/api/services/switch/turn_on", {"entity_id": SWITCH})
    simulator(demo, "PATCH", "state", {"position_frozen": True})
    try:
        wait_for_state(demo, STATE, "stalled", STALL_DEADLINE)
    finally:
        simulator(demo, "PATCH", "state", {"position_frozen": False})
    wait_for_state(demo, STATE, "recording", RESUME_DEADLINE)
    demo.session.call("POST", "/api/services/switch/turn_off", {"entity_id": SWITCH})

    # The recorder writes in order: once the stop is there, so is the rest.
    def event_types() -> list[str]:
        return [s["attributes"]["event_type"] for s in _history(demo, EVENT, since)]

    wait_until(
        lambda: event_types()[-1:] == ["stopped"],
        what="the stopped event in the history",
        timeout=POLL_DEADLINE,
    )
    assert event_types() == ["started", "stalled", "resumed", "stopped"]
    assert _history(demo, EVENT, since)[-1]["attributes"]["source"] == "home_assistant"
    states = [s["state"] for s in _history(demo, STATE, since)]
    assert states == ["recording", "stalled", "recording", "stopped"]


def test_assist_starts_and_stops_recording(demo: Demo) -> None:
    """Typed into Assist, the demo's voice control automation answers and acts."""
    for sentence, answer, state in (
        ("start recording", f"Recording started in {SITE_NAME}.", "on"),
        ("stop recording", f"Recording stopped in {SITE_NAME}.", "off"),
    ):
        reply = demo.session.call(
            "POST", "/api/conversation/process", {"text": sentence}
        )

        assert reply["response"]["speech"]["plain"]["speech"] == answer
        assert demo.session.state(SWITCH) == state
        status = simulator(demo, "GET", "state")["status"]
        assert ("recording" in status) == (state == "on")


def test_blueprints_room_card_and_meeting(demo: Demo) -> None:
    """Blueprints listed, the room card on Meeting room, a meeting on the calendar."""
    blueprints = _websocket(demo, {"type": "blueprint/list", "domain": "automation"})
    dashboard = _websocket(
        demo, {"type": "lovelace/config", "url_path": "meeting-room"}
    )
    for path in (REPO / "blueprints" / "automation" / "mediascribe").glob("*.yaml"):
        assert "metadata" in blueprints[f"mediascribe/{path.name}"]
    card = yaml.safe_load((REPO / "docs" / "room-card.yaml").read_text("utf-8"))
    assert dashboard == {"views": [{"cards": [card]}]}
    calendar = demo.session.call("GET", f"/api/states/{CALENDAR}")["attributes"]
    assert calendar["message"] == MEETING


def test_second_start_adds_nothing(demo: Demo) -> None:
    """Starting again on the same config dir logs in and finds the entry."""
    # What the first start did; no other test restarts.
    assert demo.new_user
    assert demo.new_entry

    demo.restart_hass()

    assert not demo.new_user
    assert not demo.new_entry
    entries = demo.session.call(
        "GET", "/api/config/config_entries/entry?domain=mediascribe"
    )
    assert [entry["title"] for entry in entries] == ["Springfield City Council"]
    assert [entry["state"] for entry in entries] == ["loaded"]
    assert len(demo.device_ids()) == 1
