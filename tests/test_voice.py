"""Voice: the voice control blueprint, spoken to Home Assistant's own agent."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import TYPE_CHECKING, Any

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
)
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import Context
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mediascribe.const import DOMAIN
from simulator import MediaScribeSimulator

from .conftest import PRESET, SITE_NAME, SWITCH, TOKEN, call, state

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from homeassistant.core import HomeAssistant

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINT = ROOT / "blueprints" / "automation" / "mediascribe" / "voice_control.yaml"
OTHER_SITE = "Shelbyville Town Hall"
OTHER_SWITCH = "switch.shelbyville_town_hall_recording"
OTHER_PRESET = "select.shelbyville_town_hall_preset"


async def set_up_voice(
    hass: HomeAssistant, tmp_path: Path, *inputs: dict[str, Any]
) -> None:
    """Do what the README says: the blueprint, and an automation per server."""
    hass.config.config_dir = str(tmp_path)
    folder = tmp_path / "blueprints" / "automation" / "mediascribe"
    folder.mkdir(parents=True)
    shutil.copy(BLUEPRINT, folder)
    for domain in ("homeassistant", "conversation"):
        assert await async_setup_component(hass, domain, {})
    # Switches are exposed by default, so Assist's own "turn on" sentence
    # competes with the blueprint's; selects are not.
    async_expose_entity(hass, conversation.DOMAIN, SWITCH, should_expose=True)
    path = "mediascribe/voice_control.yaml"
    automations = [{"use_blueprint": {"path": path, "input": i}} for i in inputs]
    assert await async_setup_component(hass, "automation", {"automation": automations})
    await hass.async_block_till_done()
    states = hass.states.async_all("automation")
    assert [s.state for s in states] == ["on"] * len(inputs)


@pytest.fixture
async def assist(
    hass: HomeAssistant, tmp_path: Path, init_integration: MockConfigEntry
) -> None:
    """Set up Assist and the voice control automation for the server."""
    inputs = {"recording_switch": SWITCH, "preset_select": PRESET}
    await set_up_voice(hass, tmp_path, {**inputs, "site_aliases": ["council"]})


async def say(hass: HomeAssistant, text: str) -> str:
    """Say a sentence to the built-in agent and return what it answers."""
    result = await conversation.async_converse(
        hass, text, None, Context(), language="en"
    )
    await hass.async_block_till_done()
    return str(result.response.speech["plain"]["speech"]).strip()


def preset_name(simulator: MediaScribeSimulator) -> str:
    """Return the name of the simulator's active preset."""
    return next(p.name for p in simulator.presets if p.id == simulator.active_preset_id)


@pytest.mark.usefixtures("assist")
@pytest.mark.parametrize(
    ("start", "stop"),
    [
        ("start recording", "stop recording"),
        (
            "start the Springfield City Council recording",
            "stop the Springfield City Council recording",
        ),
        (
            "turn on Springfield City Council recording",
            "turn off Springfield City Council recording",
        ),
        ("Start transcribing.", "stop transcribing"),
        ("start the council recording", "end the council recording"),
    ],
)
async def test_start_and_stop(
    hass: HomeAssistant, simulator: MediaScribeSimulator, start: str, stop: str
) -> None:
    """Each way of asking starts or stops the recording, and the answer says so."""
    assert await say(hass, start) == f"Recording started in {SITE_NAME}."
    assert simulator.is_recording
    assert state(hass, SWITCH) == "on"
    assert await say(hass, start) == f"{SITE_NAME} is already recording."

    assert await say(hass, stop) == f"Recording stopped in {SITE_NAME}."
    assert not simulator.is_recording
    assert state(hass, SWITCH) == "off"
    assert await say(hass, stop) == f"{SITE_NAME} is not recording."


@pytest.mark.usefixtures("assist")
@pytest.mark.parametrize(
    "sentence", ["is it recording?", "Is Springfield City Council recording?"]
)
async def test_is_it_recording(hass: HomeAssistant, sentence: str) -> None:
    """The answer follows what the server reports."""
    assert await say(hass, sentence) == f"{SITE_NAME} is not recording."
    await call(hass, "switch", "turn_on", SWITCH)
    assert await say(hass, sentence) == f"{SITE_NAME} is recording."


@pytest.mark.usefixtures("assist")
@pytest.mark.parametrize(
    ("recording", "sentence", "answer"),
    [
        (
            "off",
            "start recording",
            f"Recording did not start in {SITE_NAME}: the server still reports no "
            "recording. The meeting is not being recorded; start it in MediaScribe "
            "itself.",
        ),
        (
            "on",
            "stop recording",
            f"Recording did not stop in {SITE_NAME}: the server still reports a "
            "recording. Stop it in MediaScribe itself.",
        ),
    ],
)
async def test_command_not_confirmed(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    recording: str,
    sentence: str,
    answer: str,
) -> None:
    """A command the server ignores is spoken as a failure, with what to do."""
    await call(hass, "switch", f"turn_{recording}", SWITCH)
    simulator.action_change = "ignore"
    assert await say(hass, sentence) == answer
    assert state(hass, SWITCH) == recording


@pytest.mark.usefixtures("assist")
async def test_server_unreachable(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """A server that stops answering is named as the reason, then as the state."""
    await simulator.stop()
    assert await say(hass, "start recording") == (
        f"Recording did not start in {SITE_NAME}: the server stopped answering. "
        "Check MediaScribe itself."
    )
    assert state(hass, SWITCH) == "unavailable"
    assert await say(hass, "is it recording") == (
        f"{SITE_NAME} is not answering Home Assistant right now, so I cannot tell "
        "or change anything. A recording in progress goes on on the server."
    )


@pytest.mark.usefixtures("assist")
@pytest.mark.parametrize(
    "sentence",
    [
        "set Springfield City Council preset to Committee Room",
        "switch to the committee room preset",
    ],
)
async def test_select_preset(
    hass: HomeAssistant, simulator: MediaScribeSimulator, sentence: str
) -> None:
    """The preset is switched, whatever its capitalisation, and confirmed."""
    answer = f"{SITE_NAME} is now on the Committee Room preset."
    assert await say(hass, sentence) == answer
    assert preset_name(simulator) == "Committee Room"
    assert state(hass, PRESET) == "Committee Room"
    answer = f"{SITE_NAME} is already on the Committee Room preset."
    assert await say(hass, sentence) == answer
    answer = f"{SITE_NAME} is on the Committee Room preset."
    assert await say(hass, "what preset is Springfield City Council on?") == answer


@pytest.mark.usefixtures("assist")
async def test_unknown_preset(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """A preset the server does not have is answered, and nothing changes."""
    assert await say(hass, "set Springfield City Council preset to Ballroom") == (
        f"{SITE_NAME} has no preset called Ballroom. "
        "Its presets are Council Chamber, Committee Room, Default."
    )
    assert not [r for r in simulator.requests if r.method == "PUT"]


@pytest.mark.usefixtures("assist")
async def test_preset_not_confirmed(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """A preset change the server ignores is spoken as not done."""
    simulator.preset_change = "ignore"
    assert await say(hass, "use the Committee Room preset") == (
        f"The preset did not change: {SITE_NAME} still reports Council Chamber."
    )


@pytest.fixture
async def other_server(
    hass: HomeAssistant, socket_enabled: None
) -> AsyncGenerator[MediaScribeSimulator]:
    """Add a second MediaScribe server with its own site name."""
    async with MediaScribeSimulator(tokens=[TOKEN], site_name=OTHER_SITE) as other:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=OTHER_SITE,
            data={CONF_URL: other.url, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: True},
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        yield other


@pytest.mark.usefixtures("init_integration")
async def test_two_servers(
    hass: HomeAssistant,
    tmp_path: Path,
    simulator: MediaScribeSimulator,
    other_server: MediaScribeSimulator,
) -> None:
    """With two servers the site must be named, and only a known one is acted on."""
    await set_up_voice(
        hass,
        tmp_path,
        {"recording_switch": SWITCH, "preset_select": PRESET},
        {"recording_switch": OTHER_SWITCH, "preset_select": OTHER_PRESET},
    )
    assert await say(hass, "start recording") == (
        f"Which site? Say {SITE_NAME} or {OTHER_SITE} in the sentence."
    )
    assert (simulator.is_recording, other_server.is_recording) == (False, False)

    answer = await say(hass, "start the Shelbyville Town Hall recording")
    assert answer == f"Recording started in {OTHER_SITE}."
    assert (simulator.is_recording, other_server.is_recording) == (False, True)

    answer = await say(hass, "start the Ogdenville recording")
    assert answer == "There is no MediaScribe site called Ogdenville."
    assert (simulator.is_recording, other_server.is_recording) == (False, True)
