"""Tests for the MediaScribe entities against the simulator over real HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from unittest.mock import patch

from homeassistant.components.select import SERVICE_SELECT_OPTION
from homeassistant.const import (
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)

from custom_components.mediascribe import PLATFORMS
from custom_components.mediascribe.api import Preset
from custom_components.mediascribe.const import DOMAIN, SCAN_INTERVAL
from custom_components.mediascribe.select import preset_options
from simulator import Fault, MediaScribeSimulator

from .conftest import (
    FILE,
    NO_SIGNAL,
    PRESET,
    STARTED,
    SWITCH,
    TOKEN,
    make_entry,
    state,
)

SNAPSHOT_PORT = 47311

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import device_registry as dr, entity_registry as er
    from syrupy.assertion import SnapshotAssertion


pytestmark = pytest.mark.freeze_time("2026-11-28 18:00:00+00:00")


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one polling interval pass and wait for the refresh to finish."""
    freezer.tick(SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def call(hass: HomeAssistant, domain: str, service: str, **data: object) -> None:
    """Call an entity service and wait for it to return."""
    await hass.services.async_call(domain, service, data, blocking=True)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("recording", [False, True], ids=["idle", "recording"])
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    platform: str,
    recording: bool,
) -> None:
    """Every entity's state and registry entry, idle and 90 s into a recording."""
    # A fixed port keeps the URL, and so the unique ids, stable in snapshots.
    await simulator.stop()
    await simulator.start(port=SNAPSHOT_PORT)
    mock_config_entry = make_entry(simulator)
    if recording:
        simulator.start_recording()
        freezer.tick(timedelta(seconds=90))
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.mediascribe.PLATFORMS", [platform]):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_device(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """One device per server, renamed when the server's site name changes."""
    device = device_registry.async_get_device(identifiers={(DOMAIN, simulator.url)})
    assert device is not None
    assert (device.name, device.manufacturer, device.configuration_url) == (
        "Springfield City Council",
        "MediaScribe",
        simulator.url,
    )
    simulator.site_name = "Shelbyville Board"
    await poll(hass, freezer)
    device = device_registry.async_get_device(identifiers={(DOMAIN, simulator.url)})
    assert device is not None
    assert device.name == "Shelbyville Board"
    # Entity ids were given at creation and stay.
    assert state(hass, SWITCH) == STATE_OFF


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("put_response", ["status", "ack", "empty"])
async def test_switch_confirms_state_when_call_returns(
    hass: HomeAssistant, simulator: MediaScribeSimulator, put_response: str
) -> None:
    """The switch shows the server's state as soon as the call returns."""
    simulator.put_response = put_response  # type: ignore[assignment]
    simulator.clear_requests()

    await call(hass, "switch", SERVICE_TURN_ON, entity_id=SWITCH)
    assert simulator.is_recording
    assert state(hass, SWITCH) == STATE_ON
    assert state(hass, FILE).startswith("E:\\recordings\\New Meeting 2026-11-28T18")

    await call(hass, "switch", SERVICE_TURN_OFF, entity_id=SWITCH)
    assert not simulator.is_recording
    assert state(hass, SWITCH) == STATE_OFF
    assert state(hass, FILE) == STATE_UNKNOWN

    sent = [(r.method, r.body) for r in simulator.requests]
    if put_response == "status":
        # The PUT answer carries the status: one round trip per command.
        assert sent == [("PUT", {"action": "start"}), ("PUT", {"action": "stop"})]
    else:
        assert sent == [
            ("PUT", {"action": "start"}),
            ("GET", None),
            ("PUT", {"action": "stop"}),
            ("GET", None),
        ]


@pytest.mark.usefixtures("init_integration")
async def test_switch_rejected_command(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """A refused start raises a translated error and leaves the true state."""
    simulator.add_fault(Fault(status=500, body=b'{"error": "Disk full"}', count=1))
    with pytest.raises(HomeAssistantError, match="refused the command") as err:
        await call(hass, "switch", SERVICE_TURN_ON, entity_id=SWITCH)
    assert err.value.translation_key == "command_failed"
    assert "Disk full" in str(err.value)
    assert not simulator.is_recording
    assert state(hass, SWITCH) == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_switch_unreadable_answer_shows_true_state(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """A start the server carried out but answered garbage to still shows on."""
    simulator.add_fault(Fault(body=b"<html>proxy error</html>", count=1))
    with pytest.raises(HomeAssistantError, match="not JSON"):
        await call(hass, "switch", SERVICE_TURN_ON, entity_id=SWITCH)
    assert simulator.is_recording
    assert state(hass, SWITCH) == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_switch_connection_lost(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
) -> None:
    """A command that loses the connection shows unavailable until a poll."""
    simulator.add_fault(Fault(drop=True))
    with pytest.raises(HomeAssistantError, match="Cannot reach") as err:
        await call(hass, "switch", SERVICE_TURN_ON, entity_id=SWITCH)
    assert err.value.translation_key == "cannot_connect"
    assert state(hass, SWITCH) == STATE_UNAVAILABLE

    simulator.clear_faults()
    await poll(hass, freezer)
    assert state(hass, SWITCH) == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_command_with_revoked_token_starts_reauth(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """A rejected token on a command raises and starts exactly one reauth."""
    simulator.revoke_token(TOKEN)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "switch", SERVICE_TURN_ON, entity_id=SWITCH)
    assert err.value.translation_key == "invalid_auth"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert TOKEN not in str(err.value)


@pytest.mark.usefixtures("init_integration")
async def test_no_signal_within_one_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
) -> None:
    """The problem sensor follows the server's no-signal flag."""
    assert state(hass, NO_SIGNAL) == STATE_OFF
    simulator.has_no_signal = True
    await poll(hass, freezer)
    assert state(hass, NO_SIGNAL) == STATE_ON
    simulator.has_no_signal = False
    await poll(hass, freezer)
    assert state(hass, NO_SIGNAL) == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_select_preset(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """Selecting a preset by name sends its id and shows the confirmed choice."""
    current = hass.states.get(PRESET)
    assert current is not None
    assert current.state == "Council Chamber"
    assert current.attributes["options"] == [
        "Council Chamber",
        "Committee Room",
        "Default",
    ]
    simulator.clear_requests()
    await call(
        hass, "select", SERVICE_SELECT_OPTION, entity_id=PRESET, option="Default"
    )
    assert state(hass, PRESET) == "Default"
    default_id = simulator.presets[2].id
    assert simulator.active_preset_id == default_id
    assert [(r.method, r.body) for r in simulator.requests] == [
        ("PUT", {"activePresetId": default_id})
    ]


@pytest.mark.usefixtures("init_integration")
async def test_select_preset_not_applied(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """A server that ignores the preset request is reported, not papered over."""
    simulator.preset_change = "ignore"
    with pytest.raises(HomeAssistantError, match="did not switch") as err:
        await call(
            hass, "select", SERVICE_SELECT_OPTION, entity_id=PRESET, option="Default"
        )
    assert err.value.translation_key == "preset_not_applied"
    assert state(hass, PRESET) == "Council Chamber"


@pytest.mark.usefixtures("init_integration")
async def test_select_follows_preset_changes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
) -> None:
    """Presets added, renamed, duplicated or removed show after one poll."""
    chamber, committee, default = (preset.id for preset in simulator.presets)
    simulator.rename_preset(committee, "Default")
    added = simulator.add_preset("Hearing")
    await poll(hass, freezer)
    current = hass.states.get(PRESET)
    assert current is not None
    assert current.attributes["options"] == [
        "Council Chamber",
        f"Default ({committee[:8]})",
        f"Default ({default[:8]})",
        "Hearing",
    ]

    await call(
        hass,
        "select",
        SERVICE_SELECT_OPTION,
        entity_id=PRESET,
        option=f"Default ({default[:8]})",
    )
    assert simulator.active_preset_id == default

    simulator.active_preset_id = "not-listed"
    simulator.remove_preset(added)
    await poll(hass, freezer)
    assert state(hass, PRESET) == STATE_UNKNOWN

    for preset_id in (chamber, committee, default):
        simulator.remove_preset(preset_id)
    await poll(hass, freezer)
    assert state(hass, PRESET) == STATE_UNAVAILABLE


async def test_select_option_gone_meanwhile(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """An option removed on the server since the last poll is refused clearly."""
    coordinator = init_integration.runtime_data
    simulator.remove_preset(simulator.presets[1].id)
    await coordinator.async_refresh()
    with pytest.raises(ServiceValidationError):
        await call(
            hass,
            "select",
            SERVICE_SELECT_OPTION,
            entity_id=PRESET,
            option="Committee Room",
        )
    entity = hass.data["entity_components"]["select"].get_entity(PRESET)
    with pytest.raises(ServiceValidationError) as err:
        await entity.async_select_option("Committee Room")
    assert err.value.translation_key == "unknown_preset"


@pytest.mark.usefixtures("init_integration")
async def test_recording_started_is_stable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
) -> None:
    """The start time does not move with poll jitter, and clears when idle."""
    await call(hass, "switch", SERVICE_TURN_ON, entity_id=SWITCH)
    started = state(hass, STARTED)
    assert started == "2026-11-28T18:00:00+00:00"
    for _ in range(3):
        freezer.tick(timedelta(milliseconds=700))
        await poll(hass, freezer)
        assert state(hass, STARTED) == started

    # A new recording, started 30 s later, gets its own start time.
    freezer.tick(timedelta(seconds=30))
    simulator.stop_recording()
    simulator.start_recording()
    await poll(hass, freezer)
    assert state(hass, STARTED) == "2026-11-28T18:00:47+00:00"

    # The same recording's counter jumped: follow it rather than keep a wrong time.
    path = simulator.status_document()["recording"]["path"]  # type: ignore[index]
    simulator.add_fault(
        Fault(fields={"recording": {"position": 600, "path": path}}, count=1)
    )
    await poll(hass, freezer)
    assert state(hass, STARTED) == "2026-11-28T17:50:57+00:00"

    await call(hass, "switch", SERVICE_TURN_OFF, entity_id=SWITCH)
    assert state(hass, STARTED) == STATE_UNKNOWN


async def test_recording_file_long_path(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A path over 255 characters gives the file name; the path stays whole."""
    name = "Budget hearing " + "x" * 100 + ".mp4"
    path = "E:\\recordings\\" + "deep\\" * 40 + name
    simulator.start_recording()
    simulator.add_fault(Fault(fields={"recording": {"position": 5, "path": path}}))
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    current = hass.states.get(FILE)
    assert current is not None
    assert current.state == name
    assert current.attributes["path"] == path

    huge = "y" * 300 + ".mp4"
    simulator.clear_faults()
    simulator.add_fault(Fault(fields={"recording": {"position": 5, "path": huge}}))
    await mock_config_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    current = hass.states.get(FILE)
    assert current is not None
    assert len(current.state) == 255
    assert current.state.endswith("…")
    assert current.attributes["file_name"] == huge


@pytest.mark.usefixtures("init_integration")
async def test_one_failure_does_not_flap(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A single failed request is retried within the poll; two make it unavailable."""
    simulator.add_fault(Fault(status=502, count=1))
    await poll(hass, freezer)
    assert state(hass, SWITCH) == STATE_OFF
    assert "Error fetching" not in caplog.text

    simulator.add_fault(Fault(status=503, count=2))
    await poll(hass, freezer)
    assert state(hass, SWITCH) == STATE_UNAVAILABLE
    assert caplog.text.count("Error fetching") == 1

    simulator.add_fault(Fault(drop=True))
    await poll(hass, freezer)
    assert caplog.text.count("Error fetching") == 1

    simulator.clear_faults()
    await poll(hass, freezer)
    assert state(hass, SWITCH) == STATE_OFF
    assert caplog.text.count("recovered") == 1


@pytest.mark.usefixtures("init_integration")
async def test_server_stopped_and_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
) -> None:
    """Entities go unavailable while the server is gone and return with it."""
    port = simulator.port
    await simulator.stop()
    await poll(hass, freezer)
    assert state(hass, SWITCH) == STATE_UNAVAILABLE
    assert state(hass, NO_SIGNAL) == STATE_UNAVAILABLE
    await simulator.start(port=port)
    await poll(hass, freezer)
    assert state(hass, SWITCH) == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_invalid_status_makes_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A malformed status is an error the log explains, never a wrong state."""
    simulator.add_fault(Fault(fields={"hasNoSignal": "no"}))
    await poll(hass, freezer)
    assert state(hass, NO_SIGNAL) == STATE_UNAVAILABLE
    assert "'hasNoSignal' should be a boolean" in caplog.text


@pytest.mark.usefixtures("init_integration")
async def test_revoked_token_while_polling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: MediaScribeSimulator,
) -> None:
    """A token revoked at runtime starts exactly one reauth flow."""
    simulator.revoke_token(TOKEN)
    await poll(hass, freezer)
    await poll(hass, freezer)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


@pytest.mark.parametrize(
    ("presets", "expected"),
    [
        ([("id-1", "Default")], {"Default": "id-1"}),
        # The same preset listed twice is one option.
        ([("id-1", "A"), ("id-1", "A (copy)")], {"A": "id-1"}),
        # A blank name shows the id rather than an empty option.
        ([("id-1", "  ")], {"id-1": "id-1"}),
        (
            [("aaaaaaaa-1", "A"), ("bbbbbbbb-2", "A")],
            {"A (aaaaaaaa)": "aaaaaaaa-1", "A (bbbbbbbb)": "bbbbbbbb-2"},
        ),
        # Ids that share their first characters fall back to the whole id.
        (
            [("aaaaaaaa-1", "A"), ("aaaaaaaa-2", "A")],
            {"A (aaaaaaaa)": "aaaaaaaa-1", "A (aaaaaaaa-2)": "aaaaaaaa-2"},
        ),
    ],
)
def test_preset_options_are_unique(
    presets: list[tuple[str, str]], expected: dict[str, str]
) -> None:
    """Every preset gets one unique, deterministic option label."""
    assert preset_options(tuple(Preset(*preset) for preset in presets)) == expected
