"""Voice: Home Assistant's own conversation agent operating MediaScribe."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import TYPE_CHECKING

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
)
from homeassistant.core import Context
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest

from .conftest import PRESET, SWITCH, state

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator import MediaScribeSimulator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "voice"


@pytest.fixture
async def assist(hass: HomeAssistant, tmp_path: Path, init_integration: None) -> None:
    """Set up Assist with the example sentences and intent script installed."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(EXAMPLES / "custom_sentences", tmp_path / "custom_sentences")
    for domain in ("homeassistant", "intent", "conversation"):
        assert await async_setup_component(hass, domain, {})
    intent_script = load_yaml_dict(EXAMPLES / "intent_script.yaml")
    assert await async_setup_component(hass, "intent_script", intent_script)
    for entity_id in (SWITCH, PRESET):
        async_expose_entity(hass, conversation.DOMAIN, entity_id, should_expose=True)
    await hass.async_block_till_done()


async def say(hass: HomeAssistant, text: str) -> intent.IntentResponse:
    """Say a sentence to the built-in agent and return its answer."""
    result = await conversation.async_converse(
        hass, text, None, Context(), language="en"
    )
    await hass.async_block_till_done()
    return result.response


def preset_name(simulator: MediaScribeSimulator) -> str:
    """Return the name of the simulator's active preset."""
    return next(p.name for p in simulator.presets if p.id == simulator.active_preset_id)


@pytest.mark.usefixtures("assist")
async def test_turn_recording_on_and_off(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """The built-in sentences start and stop the recording by the switch's name."""
    response = await say(hass, "turn on Springfield City Council recording")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert simulator.is_recording
    assert state(hass, SWITCH) == "on"

    response = await say(hass, "turn off Springfield City Council recording")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert not simulator.is_recording
    assert state(hass, SWITCH) == "off"


@pytest.mark.usefixtures("init_integration")
async def test_unexposed_switch_is_not_operated(
    hass: HomeAssistant, tmp_path: Path, simulator: MediaScribeSimulator
) -> None:
    """Without exposing the switch to Assist, the sentence changes nothing."""
    hass.config.config_dir = str(tmp_path)
    for domain in ("homeassistant", "intent", "conversation"):
        assert await async_setup_component(hass, domain, {})
    async_expose_entity(hass, conversation.DOMAIN, SWITCH, should_expose=False)
    response = await say(hass, "turn on Springfield City Council recording")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert not simulator.is_recording


@pytest.mark.usefixtures("assist")
@pytest.mark.parametrize(
    "sentence",
    [
        "set Springfield City Council preset to Committee Room",
        "change the Springfield City Council preset to the committee room preset",
        "switch springfield city council preset to COMMITTEE ROOM",
    ],
)
async def test_select_preset_by_voice(
    hass: HomeAssistant, simulator: MediaScribeSimulator, sentence: str
) -> None:
    """The example sentences and intent script switch the server's preset."""
    assert preset_name(simulator) == "Council Chamber"
    response = await say(hass, sentence)
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert response.speech["plain"]["speech"] == "Switched to Committee Room."
    assert preset_name(simulator) == "Committee Room"
    assert state(hass, PRESET) == "Committee Room"


@pytest.mark.usefixtures("assist")
async def test_unknown_preset_by_voice(
    hass: HomeAssistant, simulator: MediaScribeSimulator
) -> None:
    """A preset the server does not have is answered, and nothing changes."""
    response = await say(hass, "set Springfield City Council preset to Ballroom")
    assert response.speech["plain"]["speech"] == "There is no preset called Ballroom."
    assert preset_name(simulator) == "Council Chamber"
    assert not [r for r in simulator.requests if r.method == "PUT"]
