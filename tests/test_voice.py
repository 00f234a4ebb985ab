"""Voice: the voice control blueprint, spoken to Home Assistant's own agent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import shutil
from typing import TYPE_CHECKING, Any

from homeassistant.components import conversation
from homeassistant.components.conversation.default_agent import DefaultAgent
from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
)
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import Context
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mediascribe.const import DOMAIN
from simulator import MediaScribeSimulator

from .conftest import PRESET, SITE_NAME, SWITCH, TOKEN, call, poll, state

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINT = ROOT / "blueprints" / "automation" / "mediascribe" / "voice_control.yaml"
INPUTS = {"recording_switch": SWITCH, "preset_select": PRESET}
OTHER_SITE = "Shelbyville Town Hall"
WHICH_SITE = f"Which site? Say {SITE_NAME} or {OTHER_SITE} in the sentence."
COUNCIL_PRESETS = ("Council Chamber", "Default", "Default Preset", "Committee Room")
CANNOT = (
    "MediaScribe cannot pause, resume or mute a recording; you can stop it and "
    "start a new one. I can start or stop recording, change the preset, and tell "
    "you whether it is recording, for how long, whether there is a video signal "
    "and which preset is on."
)

START_STOP = [
    ("start recording", "turn off Springfield City Council recording"),
    ("start the Springfield City Council recording", "stop recording"),
    ("turn on Springfield City Council recording", "end the council recording"),
    ("Start transcribing.", "stop the Springfield City Council recording"),
]
# Answers while idle with a signal, and 12 minutes into recording without one.
ANSWERS = {
    "state": (
        "{site} is not recording.",
        "{site} is recording, but it has no video signal.",
    ),
    "time": ("{site} is not recording.", "{site} has been recording for 12 minutes."),
    "signal": (
        "{site} has a video signal.",
        "{site} has no video signal; it is recording without a picture.",
    ),
    "cannot": (CANNOT, CANNOT),
}
QUESTIONS = [
    ("is it recording?", "state"),
    ("Are we recording?", "state"),
    ("is the council meeting still being recorded", "state"),
    ("What is Springfield City Council doing?", "state"),
    ("how long has it been recording?", "time"),
    ("how long has the meeting been going on", "time"),
    ("When did Springfield City Council start recording?", "time"),
    ("Is there a video signal in Springfield City Council?", "signal"),
    ("do we have a picture?", "signal"),
    ("have we lost the signal", "signal"),
    ("pause the recording", "cannot"),
    ("Resume recording.", "cannot"),
    ("mute the meeting", "cannot"),
]
# (site name, the name as speech recognition may give it)
COUNCILS = [
    ("The Woodlands Township", "the woodlands township"),
    ("St. Mary's Parish Council", "saint marys parish council"),
    ("St. Mary's Parish Council", "St Mary's parish council"),
    ("Mt. Pleasant Town Council", "Mount Pleasant Town Council"),
    ("Boston, MA City Council", "Boston MA city council"),
]
# Preset names said to St. Mary's Parish Council, and the preset each means.
PRESET_REQUESTS = [
    ("Set the preset to Default Preset", "Default Preset"),
    ("set the St. Mary's Parish Council preset to default preset", "Default Preset"),
    ("change the preset to Default", "Default"),
    ("use the Default Preset preset", "Default Preset"),
    ("switch to the committee room preset", "Committee Room"),
    ("set the preset to the committee room preset", "Committee Room"),
]
# Sentences to it that name two presets, or no preset or site it has.
REFUSALS = [
    (
        "switch to the Default preset",
        "Which preset, Default or Default Preset? "
        'Say "set the preset to" and its name.',
    ),
    (
        "set preset to Ballroom",
        "St. Mary's Parish Council has no preset called Ballroom. Its presets are "
        "Council Chamber, Default, Default Preset, Committee Room.",
    ),
    (
        "turn on the screen recording",
        "There is no MediaScribe site called screen. "
        "The site is St. Mary's Parish Council.",
    ),
]

# The setting the server ignores, the switch's state, what is said and answered.
NOT_CONFIRMED = [
    ("action_change", "off", "start recording", f"Recording did not start in "
     f"{SITE_NAME}: the server still reports no recording. The meeting is not "
     "being recorded; start it in MediaScribe itself."),
    ("action_change", "on", "stop recording", f"Recording did not stop in "
     f"{SITE_NAME}: the server still reports a recording. Stop it in "
     "MediaScribe itself."),
    ("preset_change", "off", "use the Committee Room preset",
     f"The preset did not change: {SITE_NAME} still reports Council Chamber."),
]  # fmt: skip


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
    # Exposed switches make Assist's own "turn on" compete with the blueprint's.
    for i in inputs:
        switch = i["recording_switch"]
        async_expose_entity(hass, conversation.DOMAIN, switch, should_expose=True)
    path = "mediascribe/voice_control.yaml"
    automations = [{"use_blueprint": {"path": path, "input": i}} for i in inputs]
    assert await async_setup_component(hass, "automation", {"automation": automations})
    await hass.async_block_till_done()
    states = hass.states.async_all("automation")
    assert [s.state for s in states] == ["on"] * len(inputs)


async def add_server(
    hass: HomeAssistant, server: MediaScribeSimulator
) -> dict[str, str]:
    """Add a config entry for a server; return its voice control inputs."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=server.site_name,
        data={CONF_URL: server.url, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: True},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    ids = {entity.domain: entity.entity_id for entity in entities}
    return {"recording_switch": ids["switch"], "preset_select": ids["select"]}


@pytest.fixture
async def assist(
    hass: HomeAssistant, tmp_path: Path, init_integration: MockConfigEntry
) -> None:
    """Set up Assist and the voice control automation for the server."""
    await set_up_voice(hass, tmp_path, {**INPUTS, "site_aliases": ["council"]})


@pytest.fixture
async def council(
    hass: HomeAssistant,
    tmp_path: Path,
    socket_enabled: None,
    request: pytest.FixtureRequest,
) -> AsyncGenerator[MediaScribeSimulator]:
    """Set up a server whose site name the test gives, with voice control."""
    async with MediaScribeSimulator(
        tokens=[TOKEN], site_name=request.param, presets=COUNCIL_PRESETS
    ) as server:
        await set_up_voice(hass, tmp_path, await add_server(hass, server))
        yield server


@pytest.fixture
async def other_server(
    hass: HomeAssistant, tmp_path: Path, init_integration: MockConfigEntry
) -> AsyncGenerator[MediaScribeSimulator]:
    """Add Shelbyville Town Hall's server; voice control for both servers."""
    async with MediaScribeSimulator(tokens=[TOKEN], site_name=OTHER_SITE) as other:
        other_inputs = {**await add_server(hass, other), "site_aliases": ["Shelby"]}
        await set_up_voice(hass, tmp_path, INPUTS, other_inputs)
        yield other


async def say(hass: HomeAssistant, text: str) -> str:
    """Say a sentence to the built-in agent and return what it answers."""
    result = await conversation.async_converse(
        hass, text, None, Context(), language="en"
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return str(result.response.speech["plain"]["speech"]).strip()


def preset_name(simulator: MediaScribeSimulator) -> str:
    """Return the name of the simulator's active preset."""
    return next(p.name for p in simulator.presets if p.id == simulator.active_preset_id)


@pytest.mark.usefixtures("assist")
@pytest.mark.parametrize(("start", "stop"), START_STOP)
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
@pytest.mark.parametrize(("sentence", "kind"), QUESTIONS)
async def test_questions_and_what_it_cannot_do(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    freezer: FrozenDateTimeFactory,
    sentence: str,
    kind: str,
) -> None:
    """Each sentence is answered from the server's state, and changes nothing."""
    idle, recording = (answer.format(site=SITE_NAME) for answer in ANSWERS[kind])
    assert await say(hass, sentence) == idle
    simulator.has_no_signal = True
    simulator.start_recording()
    await poll(hass, freezer)
    freezer.tick(timedelta(minutes=12))
    assert await say(hass, sentence) == recording
    assert simulator.is_recording
    assert not [r for r in simulator.requests if r.method == "PUT"]


@pytest.mark.usefixtures("init_integration")
async def test_sensors_chosen_in_the_automation(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """Sensors chosen in the automation are the ones the answers come from."""
    signal, started = "binary_sensor.camera_feed_lost", "sensor.meeting_opened"
    inputs = {"video_signal_sensor": signal, "recording_started_sensor": started}
    await set_up_voice(hass, tmp_path, INPUTS | inputs)
    hass.states.async_set(signal, "on")
    answer = await say(hass, "is there a video signal")
    assert answer == f"{SITE_NAME} has no video signal."
    await call(hass, "switch", "turn_on", SWITCH)
    for elapsed, words in [
        (timedelta(seconds=59), "less than a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(hours=1, seconds=59), "1 hour"),
        (timedelta(hours=2, minutes=5), "2 hours and 5 minutes"),
    ]:
        hass.states.async_set(started, (dt_util.utcnow() - elapsed).isoformat())
        answer = await say(hass, "how long has it been recording")
        assert answer == f"{SITE_NAME} has been recording for {words}."

    hass.states.async_set(signal, "unavailable")
    hass.states.async_set(started, "unknown")
    answer = await say(hass, "is there a video signal")
    assert answer == f"{SITE_NAME} does not say whether it has a video signal."
    answer = await say(hass, "how long has it been recording")
    assert answer == f"{SITE_NAME} is recording, but does not say since when."


@pytest.mark.usefixtures("assist")
@pytest.mark.parametrize(("ignored", "recording", "sentence", "answer"), NOT_CONFIRMED)
async def test_command_not_confirmed(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    ignored: str,
    recording: str,
    sentence: str,
    answer: str,
) -> None:
    """A command the server ignores is spoken as a failure, with what to do."""
    await call(hass, "switch", f"turn_{recording}", SWITCH)
    setattr(simulator, ignored, "ignore")
    assert await say(hass, sentence) == answer
    assert state(hass, SWITCH) == recording
    assert preset_name(simulator) == "Council Chamber"


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


@pytest.mark.parametrize(("council", "spoken"), COUNCILS, indirect=["council"])
async def test_council_names(
    hass: HomeAssistant, council: MediaScribeSimulator, spoken: str
) -> None:
    """A site name is heard as written or as speech recognition spells it."""
    site = council.site_name
    answer = f"Recording started in {site}."
    assert await say(hass, f"turn on {spoken} recording") == answer
    assert council.is_recording
    assert await say(hass, f"Is {site} being recorded?") == f"{site} is recording."
    assert await say(hass, f"is {spoken} recording") == f"{site} is recording."


@pytest.mark.parametrize("council", ["St. Mary's Parish Council"], indirect=True)
@pytest.mark.parametrize(("sentence", "preset"), PRESET_REQUESTS)
async def test_select_preset(
    hass: HomeAssistant, council: MediaScribeSimulator, sentence: str, preset: str
) -> None:
    """The preset named is selected, a name ending in "Preset" included."""
    site = council.site_name
    assert await say(hass, sentence) == f"{site} is now on the {preset} preset."
    assert preset_name(council) == preset
    assert await say(hass, sentence) == f"{site} is already on the {preset} preset."
    answer = f"{site} is on the {preset} preset."
    assert await say(hass, "what preset are we on?") == answer


@pytest.mark.parametrize("council", ["St. Mary's Parish Council"], indirect=True)
@pytest.mark.parametrize(("sentence", "answer"), REFUSALS)
async def test_unclear_names_change_nothing(
    hass: HomeAssistant, council: MediaScribeSimulator, sentence: str, answer: str
) -> None:
    """A preset or site that is not one, or could be two, changes nothing."""
    assert await say(hass, sentence) == answer
    assert not [r for r in council.requests if r.method == "PUT"]
    assert (council.is_recording, preset_name(council)) == (False, "Council Chamber")


async def test_two_servers(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    other_server: MediaScribeSimulator,
) -> None:
    """With two servers the site must be named, and only a known one is acted on."""
    for sentence in ("start recording", "is the meeting being recorded"):
        assert await say(hass, sentence) == WHICH_SITE
    assert (simulator.is_recording, other_server.is_recording) == (False, False)

    answer = await say(hass, "start the Shelbyville Town Hall recording")
    assert answer == f"Recording started in {OTHER_SITE}."
    assert (simulator.is_recording, other_server.is_recording) == (False, True)
    answer = await say(hass, "is Springfield City Council recording")
    assert answer == f"{SITE_NAME} is not recording."

    # Only Shelbyville's own automation knows this name.
    assert await say(hass, "stop the shelby recording") == (
        f"Recording stopped in {OTHER_SITE}."
    )
    assert await say(hass, "start the Ogdenville recording") == (
        "There is no MediaScribe site called Ogdenville. "
        f"The sites are {SITE_NAME}, {OTHER_SITE}."
    )
    assert (simulator.is_recording, other_server.is_recording) == (False, False)

    # Each sentence must match one sentence of each automation, once.
    agent = conversation.async_get_agent(hass)
    assert isinstance(agent, DefaultAgent)
    for sentence in [
        *(sentence for pair in START_STOP for sentence in pair),
        *(sentence for sentence, _ in QUESTIONS + PRESET_REQUESTS + REFUSALS),
        *(f"turn on {spoken} recording" for _, spoken in COUNCILS),
    ]:
        heard = conversation.ConversationInput(
            sentence, Context(), None, None, None, "en", "conversation.home_assistant"
        )
        result = await agent.async_recognize_sentence_trigger(heard)
        assert result is not None, sentence
        matched = [r.intent_sentence.text for r in result.matched_triggers.values()]
        assert len(matched) == 2, sentence
        assert matched[0] == matched[1], sentence


async def test_site_names_that_sound_the_same(
    hass: HomeAssistant, tmp_path: Path, socket_enabled: None
) -> None:
    """Two sites one name could mean are both left alone, until one has another."""
    async with (
        MediaScribeSimulator(tokens=[TOKEN], site_name="St. Mary's Hall") as first,
        MediaScribeSimulator(tokens=[TOKEN], site_name="Saint Marys Hall") as second,
    ):
        inputs = await add_server(hass, first)
        other_name = {**await add_server(hass, second), "site_aliases": ["Chapel"]}
        await set_up_voice(hass, tmp_path, inputs, other_name)
        assert await say(hass, "start the St Mary's Hall recording") == (
            "I did nothing: St. Mary's Hall and Saint Marys Hall sound the same. "
            "Give one of them another name in its voice control automation, and "
            "say that name."
        )
        assert (first.is_recording, second.is_recording) == (False, False)
        answer = await say(hass, "start the chapel recording")
        assert answer == "Recording started in Saint Marys Hall."
        assert (first.is_recording, second.is_recording) == (False, True)
