"""Fault matrix: what the integration does when the server or network misbehaves.

Each test is one row of docs/RELIABILITY.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.components.select import SERVICE_SELECT_OPTION
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_API_TOKEN,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.mediascribe.const import DOMAIN, SCAN_INTERVAL
from simulator import Fault

from .conftest import (
    FILE,
    NO_SIGNAL,
    PRESET,
    STARTED,
    SWITCH,
    TOKEN,
    state,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator import MediaScribeSimulator


async def poll(hass: HomeAssistant) -> None:
    """Fire the next poll on the real clock and wait for it to finish."""
    async_fire_time_changed(hass, dt_util.utcnow() + SCAN_INTERVAL)
    await hass.async_block_till_done(wait_background_tasks=True)


async def switch(hass: HomeAssistant, service: str) -> None:
    """Turn the recording switch on or off and wait for the confirmation."""
    await hass.services.async_call(
        "switch", service, {"entity_id": SWITCH}, blocking=True
    )


@pytest.fixture(autouse=True)
def short_timeout() -> Any:
    """Make slow-server cases take a fraction of a second, not ten."""
    with patch("custom_components.mediascribe.coordinator.REQUEST_TIMEOUT", 0.5):
        yield


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=302, headers={"Location": "http://elsewhere/"}),
        Fault(status=400),
        Fault(status=404),
        Fault(status=405),
        Fault(status=409),
        Fault(status=429),
        Fault(status=500),
        Fault(status=502),
        Fault(status=503),
        Fault(body=b"<html>maintenance</html>", content_type="text/html"),
        Fault(body=b""),
        Fault(body=b'{"siteName": "Springfield", "pre'),
        Fault(body=b"x" * (2 * 1024 * 1024)),
        Fault(remove_fields=("siteName",)),
        Fault(remove_fields=("presets",)),
        Fault(remove_fields=("hasNoSignal",)),
        Fault(fields={"siteName": None}),
        Fault(fields={"presets": None}),
        Fault(fields={"hasNoSignal": None}),
        Fault(fields={"siteName": 42}),
        Fault(fields={"presets": "Default"}),
        Fault(fields={"hasNoSignal": "false"}),
        Fault(fields={"activePresetId": 1}),
        Fault(fields={"recording": {"position": "4", "path": "x.mp4"}}),
        Fault(fields={"recording": {"position": 4}}),
        Fault(latency=1.0),
        Fault(drop=True),
    ],
    ids=[
        "302",
        "400",
        "404",
        "405",
        "409",
        "429",
        "500",
        "502",
        "503",
        "html",
        "empty",
        "truncated",
        "2MiB",
        "no-siteName",
        "no-presets",
        "no-hasNoSignal",
        "null-siteName",
        "null-presets",
        "null-hasNoSignal",
        "number-siteName",
        "string-presets",
        "string-hasNoSignal",
        "number-activePresetId",
        "string-position",
        "no-path",
        "latency",
        "dropped",
    ],
)
async def test_bad_answers_make_entities_unavailable_then_recover(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    fault: Fault,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Any answer that is not a valid status: unavailable, one log line, recovery."""
    simulator.add_fault(fault)
    await poll(hass)
    await poll(hass)
    for entity_id in (SWITCH, NO_SIGNAL, PRESET, STARTED, FILE):
        assert state(hass, entity_id) == STATE_UNAVAILABLE
    assert caplog.text.count("Error fetching") == 1
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    simulator.clear_faults()
    await poll(hass)
    assert state(hass, SWITCH) == STATE_OFF
    assert caplog.text.count("recovered") == 1


@pytest.mark.usefixtures("init_integration")
async def test_status_401_and_403_start_one_reauth(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """The server refusing the token starts exactly one reauth flow."""
    simulator.add_fault(Fault(status=403))
    await poll(hass)
    simulator.clear_faults()
    simulator.add_fault(Fault(status=401))
    await poll(hass)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_reauth_keeps_entity_ids(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A token revoked at runtime, then replaced: the same entities come back."""
    before = sorted(
        (entity.entity_id, entity.unique_id)
        for entity in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
    )
    simulator.revoke_token(TOKEN)
    simulator.add_token("replacement")
    await poll(hass)
    assert init_integration.state is ConfigEntryState.LOADED
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_TOKEN: "replacement"}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert state(hass, SWITCH) == STATE_OFF
    after = sorted(
        (entity.entity_id, entity.unique_id)
        for entity in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
    )
    assert after == before


@pytest.mark.usefixtures("init_integration")
async def test_slow_server_under_timeout_and_loop_free(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """An answer just under the timeout is used; the loop runs meanwhile."""
    simulator.has_no_signal = True
    simulator.add_fault(Fault(latency=0.3))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    counter = asyncio.create_task(ticker())
    await poll(hass)
    counter.cancel()
    assert ticks > 100
    assert state(hass, NO_SIGNAL) == STATE_ON


async def test_polls_never_overlap(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Refreshes asked for during a slow poll wait for it: one request at a time."""
    assert await async_setup_component(hass, "homeassistant", {})
    coordinator = init_integration.runtime_data
    in_flight = peak = 0
    read = coordinator.client.get_status

    async def counted() -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await read()
        finally:
            in_flight -= 1

    simulator.add_fault(Fault(latency=0.2))
    with patch.object(coordinator.client, "get_status", counted):
        async_fire_time_changed(hass, dt_util.utcnow() + SCAN_INTERVAL)
        await asyncio.sleep(0.05)
        assert in_flight == 1
        for _ in range(3):
            await hass.services.async_call(
                "homeassistant", "update_entity", {"entity_id": SWITCH}
            )
            await switch(hass, SERVICE_TURN_ON)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert peak == 1
    assert state(hass, SWITCH) == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_start_while_recording_and_stop_while_idle(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """Repeated commands are harmless: the running recording is not restarted."""
    await switch(hass, SERVICE_TURN_ON)
    path = simulator.status_document()["recording"]
    await switch(hass, SERVICE_TURN_ON)
    assert simulator.status_document()["recording"] == path
    assert state(hass, SWITCH) == STATE_ON
    await switch(hass, SERVICE_TURN_OFF)
    await switch(hass, SERVICE_TURN_OFF)
    assert state(hass, SWITCH) == STATE_OFF


async def test_command_timeout_shows_truth_after_next_poll(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A start whose answer never came: unavailable, then the server's truth."""
    coordinator = init_integration.runtime_data
    coordinator.client.request_timeout = 0.2
    simulator.add_fault(Fault(latency=1.0, count=1))
    with pytest.raises(HomeAssistantError, match="did not answer"):
        await switch(hass, SERVICE_TURN_ON)
    assert state(hass, SWITCH) == STATE_UNAVAILABLE
    # The server carried the start out even though its answer was late.
    assert simulator.is_recording
    await poll(hass)
    assert state(hass, SWITCH) == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_fifty_concurrent_toggles(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """Fifty commands at once: none lost, none reordered, state is the server's."""
    simulator.clear_requests()
    services = [SERVICE_TURN_ON if i % 2 == 0 else SERVICE_TURN_OFF for i in range(50)]
    services.append(SERVICE_TURN_ON)
    await asyncio.gather(*(switch(hass, service) for service in services))
    sent = [request.body["action"] for request in simulator.requests]
    action = {SERVICE_TURN_ON: "start", SERVICE_TURN_OFF: "stop"}
    assert sent == [action[service] for service in services]
    assert simulator.is_recording
    assert state(hass, SWITCH) == STATE_ON


async def test_unload_leaves_nothing_running(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """After unload no poll runs and no task of the integration remains."""
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    simulator.clear_requests()
    await poll(hass)
    await poll(hass)
    assert simulator.requests == ()
    assert not [
        task
        for task in asyncio.all_tasks()
        if DOMAIN in task.get_name() or "mediascribe" in repr(task.get_coro())
    ]


@pytest.mark.usefixtures("init_integration")
async def test_preset_renamed_while_selection_in_flight(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """The preset is renamed while the answer travels: the next poll shows it."""
    target = simulator.presets[2].id
    simulator.add_fault(Fault(latency=0.2, count=1))
    selecting = hass.async_create_task(
        hass.services.async_call(
            "select",
            SERVICE_SELECT_OPTION,
            {"entity_id": PRESET, "option": "Default"},
            blocking=True,
        )
    )
    # The simulator offers no event for an arrival; its request log is the signal.
    while not simulator.requests or simulator.requests[-1].method != "PUT":  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    simulator.rename_preset(target, "Public Hearing")
    await selecting
    assert simulator.active_preset_id == target
    # The answer was the status as the server applied the change.
    assert state(hass, PRESET) == "Default"
    await poll(hass)
    assert state(hass, PRESET) == "Public Hearing"


@pytest.mark.usefixtures("init_integration")
async def test_preset_removed_while_selection_in_flight(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """The chosen preset disappears before the request lands: a clear error."""
    target = simulator.presets[2].id
    simulator.remove_preset(target)
    with pytest.raises(HomeAssistantError, match="refused the command"):
        await hass.services.async_call(
            "select",
            SERVICE_SELECT_OPTION,
            {"entity_id": PRESET, "option": "Default"},
            blocking=True,
        )
    current = hass.states.get(PRESET)
    assert current is not None
    assert "Default" not in current.attributes["options"]
    assert current.state == "Council Chamber"


def valid_states(hass: HomeAssistant) -> None:
    """Assert that every entity holds a state its kind allows."""
    on_off = {STATE_ON, STATE_OFF, STATE_UNAVAILABLE}
    assert state(hass, SWITCH) in on_off
    assert state(hass, NO_SIGNAL) in on_off
    preset = hass.states.get(PRESET)
    assert preset is not None
    if preset.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        assert preset.state in preset.attributes["options"]
        assert len(set(preset.attributes["options"])) == len(
            preset.attributes["options"]
        )
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
OUTCOMES = st.sampled_from([None, 200, 204, 400, 401, 409, 500, 503])


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
    caplog: pytest.LogCaptureFixture,
    document: dict[str, Any],
    outcome: int | None,
    turn_on: bool,
) -> None:
    """Arbitrary documents and outcomes: only defined errors, valid states."""
    simulator.clear_faults()
    simulator.add_fault(Fault(body=json.dumps(document).encode()))
    await poll(hass)
    valid_states(hass)

    simulator.clear_faults()
    if outcome is not None:
        simulator.add_fault(Fault(status=outcome, count=1))
    with contextlib.suppress(HomeAssistantError):
        await switch(hass, SERVICE_TURN_ON if turn_on else SERVICE_TURN_OFF)
    await hass.async_block_till_done()
    valid_states(hass)
    # The coordinator logs anything its error mapping did not foresee.
    assert "Unexpected error" not in caplog.text
    # A 401 starts reauth; drop it so the next example begins clean.
    for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
        hass.config_entries.flow.async_abort(flow["flow_id"])
