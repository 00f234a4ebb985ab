"""The demo end to end: Home Assistant and the simulator as processes, over HTTP."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import pytest

from tools.demo.demo import PRESETS

from .conftest import (
    NO_SIGNAL,
    PRESET,
    RECORDING_FILE,
    RECORDING_STARTED,
    SWITCH,
    simulator,
    wait_for_state,
)

if TYPE_CHECKING:
    from tools.demo.demo import Demo

pytestmark = pytest.mark.usefixtures("socket_enabled")

# One poll is 5 s; the rest is slack for a busy machine.
POLL_DEADLINE = 15.0


def test_device_and_entities(demo: Demo) -> None:
    """Onboarding and the config flow leave one device with its entities."""
    assert demo.entry_title == "Springfield City Council"
    entities = json.loads(
        demo.session.template(
            "{{ integration_entities('mediascribe') | list | tojson }}"
        )
    )
    assert {SWITCH, NO_SIGNAL, PRESET, RECORDING_STARTED, RECORDING_FILE} <= set(
        entities
    )
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
