"""Cross-cutting reliability: concurrency, unload, and fuzzed servers.

The fault classes and where each is tested are listed in docs/RELIABILITY.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from homeassistant.const import (
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.mediascribe.const import DOMAIN, RETRY_DELAY, SCAN_INTERVAL
from simulator import Fault

from .conftest import (
    FILE,
    NO_SIGNAL,
    PRESET,
    STARTED,
    STATE,
    SWITCH,
    call,
    poll,
    state,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import MediaScribeSimulator


@pytest.mark.usefixtures("init_integration")
async def test_fifty_concurrent_toggles(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """Fifty commands at once: none lost, none reordered, state is the server's."""
    simulator.clear_requests()
    services = [SERVICE_TURN_ON if i % 2 == 0 else SERVICE_TURN_OFF for i in range(50)]
    services.append(SERVICE_TURN_ON)
    await asyncio.gather(*(call(hass, "switch", s, SWITCH) for s in services))
    sent = [r.body["action"] for r in simulator.requests if isinstance(r.body, dict)]
    action = {SERVICE_TURN_ON: "start", SERVICE_TURN_OFF: "stop"}
    assert sent == [action[service] for service in services]
    assert simulator.is_recording
    assert state(hass, SWITCH) == STATE_ON


async def test_unload_leaves_nothing_running(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After unload no poll runs and no task of the integration remains."""
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    simulator.clear_requests()
    for _ in range(3):
        await poll(hass, freezer, RETRY_DELAY + SCAN_INTERVAL)
    assert simulator.requests == ()
    assert not [
        task for task in asyncio.all_tasks() if "mediascribe" in repr(task.get_coro())
    ]
    assert state(hass, SWITCH) == STATE_UNAVAILABLE


def valid_states(hass: HomeAssistant) -> None:
    """Assert that every entity holds a state its kind allows."""
    on_off = {STATE_ON, STATE_OFF, STATE_UNAVAILABLE}
    for entity_id in (SWITCH, NO_SIGNAL):
        assert state(hass, entity_id) in on_off
    recording_state = hass.states.get(STATE)
    assert recording_state is not None
    if recording_state.state != STATE_UNAVAILABLE:
        assert recording_state.state in recording_state.attributes["options"]
    preset = hass.states.get(PRESET)
    assert preset is not None
    if preset.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        options = preset.attributes["options"]
        assert preset.state in options
        assert len(set(options)) == len(options)
    started = state(hass, STARTED)
    if started not in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        assert dt_util.parse_datetime(started) is not None
    assert len(state(hass, FILE)) <= 255


TEXT = st.text(max_size=300)
ANY_JSON = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
PRESETS = st.lists(
    st.fixed_dictionaries(
        {"id": st.sampled_from(["a", "b", "c"]) | TEXT, "name": TEXT | ANY_JSON}
    ),
    max_size=5,
)
DOCUMENTS = st.fixed_dictionaries(
    {
        "siteName": TEXT | ANY_JSON,
        "presets": PRESETS | ANY_JSON,
        "hasNoSignal": st.booleans() | ANY_JSON,
    },
    optional={
        "activePresetId": st.sampled_from(["a", "b", "c"]) | ANY_JSON,
        "recording": st.none()
        | st.fixed_dictionaries(
            {"position": st.integers(-5, 2**40) | st.floats(), "path": TEXT}
        ),
    },
)
OUTCOMES = st.sampled_from([None, 200, 204, 400, 401, 409, 429, 500, 503])


@pytest.mark.usefixtures("init_integration")
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(document=DOCUMENTS, outcome=OUTCOMES, turn_on=st.booleans())
async def test_fuzz_statuses_and_command_outcomes(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    document: dict[str, Any],
    outcome: int | None,
    turn_on: bool,
) -> None:
    """Arbitrary documents and outcomes: only defined errors, valid states."""
    simulator.clear_faults()
    simulator.add_fault(Fault(body=json.dumps(document).encode()))
    await poll(hass, freezer)
    valid_states(hass)

    simulator.clear_faults()
    if outcome is not None:
        simulator.add_fault(Fault(status=outcome, count=1))
    with contextlib.suppress(HomeAssistantError):
        await call(
            hass, "switch", SERVICE_TURN_ON if turn_on else SERVICE_TURN_OFF, SWITCH
        )
    await hass.async_block_till_done()
    valid_states(hass)
    # The coordinator logs anything its error mapping did not foresee.
    assert "Unexpected error" not in caplog.text
    # A 401 starts reauth; drop it so the next example begins clean.
    for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
        hass.config_entries.flow.async_abort(flow["flow_id"])
