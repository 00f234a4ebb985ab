"""The simulator and its command line, where the integration's tests do not reach."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
import json
import runpy
import signal
import sys
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from simulator import STATUS_PATH, Fault, MediaScribeSimulator, Preset
from simulator.__main__ import ENV_VAR, main, parse_args, run

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from freezegun.api import FrozenDateTimeFactory

pytestmark = pytest.mark.usefixtures("socket_enabled")

GOOD = "good-token-value"
OTHER = "other-token-value"
PRESET_ID = "aa638eeb-854b-4e14-87a5-500be376f948"
# The article's recording example and its two example responses.
START = datetime(2025, 8, 21, 19, 5, 37, 170000, tzinfo=UTC)
MEETING = "New Meeting 2025-08-21T19-05-37.170Z"
PATH = f"E:\\recordings\\{MEETING}\\{MEETING}.mp4"
SITE = "Your City's MediaScribe"
IDLE = {
    "siteName": SITE,
    "presets": [{"id": PRESET_ID, "name": "Default"}],
    "activePresetId": PRESET_ID,
    "hasNoSignal": False,
}
RECORDING = {**IDLE, "recording": {"position": 4, "path": PATH}}


@dataclass
class Answer:
    """What a request got back."""

    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        """Decode the body as JSON."""
        return json.loads(self.body)


@dataclass
class Harness:
    """A simulator of the article's recorder, and a client to call it."""

    sim: MediaScribeSimulator
    session: aiohttp.ClientSession

    async def api(
        self,
        method: str = "GET",
        path: str = STATUS_PATH,
        body: object = None,
        authorization: str | None = f"Bearer {GOOD}",
    ) -> Answer:
        """Call the simulator, by default with a valid token; bytes go as they are."""
        raw = {"data": body} if isinstance(body, bytes) else {"json": body}
        auth = {} if authorization is None else {"Authorization": authorization}
        url = self.sim.url + path
        async with self.session.request(
            method, url, headers=auth, allow_redirects=False, **raw
        ) as response:
            return Answer(response.status, response.headers, await response.read())

    async def put(self, action: str) -> Answer:
        """PUT a start or stop."""
        return await self.api("PUT", body={"action": action})

    async def control(self, method: str, path: str, body: object = None) -> Answer:
        """Call the control endpoint."""
        return await self.api(method, f"/_simulator{path}", body=body)


@pytest.fixture
async def h(freezer: FrozenDateTimeFactory) -> AsyncIterator[Harness]:
    """Return a harness whose simulator runs on 127.0.0.1, the clock at START."""
    freezer.move_to(START)
    presets = [Preset(PRESET_ID, "Default")]
    sim = MediaScribeSimulator(tokens=[GOOD, OTHER], site_name=SITE, presets=presets)
    async with aiohttp.ClientSession() as session, sim:
        yield Harness(sim, session)


async def test_the_article_examples(h: Harness, freezer: FrozenDateTimeFactory) -> None:
    """The article's examples are served; repeating a start or stop is harmless."""
    idle = await h.api()
    started = await h.put("start")
    freezer.tick(4.5)  # the position counts whole seconds
    recording = await h.api()
    again = await h.put("start")
    await h.put("stop")
    stopped_again = await h.put("stop")

    assert idle.headers["Content-Type"] == "application/json; charset=utf-8"
    assert (idle.status, idle.json()) == (200, IDLE)
    assert started.json() == {**IDLE, "recording": {"position": 0, "path": PATH}}
    assert recording.json() == again.json() == RECORDING
    assert (stopped_again.status, stopped_again.json()) == (200, IDLE)


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (f"bearer {OTHER}", 200),
        (None, 401),
        (f"Basic {GOOD}", 401),
        (f"Bearer {GOOD}x", 401),
        (GOOD, 401),
    ],
)
async def test_authentication(
    h: Harness, authorization: str | None, status: int
) -> None:
    """A known token after Bearer, in any case, is let in; nothing else acts."""
    answer = await h.api("PUT", body={"action": "start"}, authorization=authorization)

    assert answer.status == status
    assert status == 200 or answer.json() == {"error": "Unauthorized"}
    assert h.sim.is_recording == (status == 200)


C = "/_simulator"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("PUT", "/api/control", {"action": "stop"}, 404, "Not Found"),
        ("POST", STATUS_PATH, {"action": "stop"}, 405, "Method Not Allowed"),
        ("PUT", STATUS_PATH, b"not json", 400, "Request body is not valid JSON"),
        ("PUT", STATUS_PATH, [], 400, "Request body must be a JSON object"),
        ("PUT", STATUS_PATH, {"action": "stop", "activePresetId": "x"}, 400,
         "Request body needs exactly one of action and activePresetId"),
        ("PUT", STATUS_PATH, {"action": "STOP"}, 400, "Unknown action 'STOP'"),
        ("PUT", STATUS_PATH, {"activePresetId": 7}, 400, "Unknown preset id 7"),
        ("PATCH", f"{C}/state", {"colour": "red"}, 400, "unknown state fields: colour"),
        # Every field is checked before anything changes.
        ("PATCH", f"{C}/state", {"site_name": "X", "action_change": "later"}, 400,
         "action_change must be one of apply, ignore"),
        ("PATCH", f"{C}/state", {"action_delay": True}, 400, "action_delay must be a"),
        ("PATCH", f"{C}/state", {"recording_limit": -1}, 400, "recording_limit must"),
        ("PATCH", f"{C}/state", [1], 400, "the body must be a JSON object"),
        ("POST", f"{C}/presets", {}, 400, "name is required"),
        ("POST", f"{C}/presets", {"name": "X", "id": PRESET_ID}, 400,
         f"preset id {PRESET_ID} is already in use"),
        ("PATCH", f"{C}/presets/missing", {"name": "X"}, 404, "unknown preset missing"),
        ("POST", f"{C}/tokens", {"token": ""}, 400, "a token must not be empty"),
        ("POST", f"{C}/tokens/revoke", {"token": 1}, 400, "token must be a str"),
        ("POST", f"{C}/faults", {"sleep": 1}, 400, "unknown fault field 'sleep'"),
        ("POST", f"{C}/faults", {"latency": True}, 400, "fault field 'latency' has"),
        ("POST", f"{C}/faults", {"latency": -1}, 400, "latency must not be negative"),
        ("POST", f"{C}/faults", {"status": 199}, 400, "status must be between 200"),
        ("POST", f"{C}/faults", {"body_repeat": 0}, 400, "body_repeat must be at le"),
        ("POST", f"{C}/faults", {"count": 0}, 400, "count must be at least 1 or n"),
        ("POST", f"{C}/faults", {"headers": {"A": 1}}, 400, "header values must be"),
        ("POST", f"{C}/faults", {"remove_fields": [1]}, 400, "remove_fields must be"),
    ],
)  # fmt: skip
async def test_refusals(
    h: Harness, method: str, path: str, body: object, status: int, error: str
) -> None:
    """What cannot be acted on is refused with a reason and changes nothing."""
    h.sim.start_recording()
    before = await h.control("GET", "/state")

    # A path or method that does not exist is refused before the token is looked at.
    token = None if status in {404, 405} else f"Bearer {GOOD}"
    answer = await h.api(method, path, body, authorization=token)

    assert answer.status == status
    assert answer.json()["error"].startswith(error)
    assert answer.headers.get("Allow") == ("GET, PUT" if status == 405 else None)
    # An API request is logged; nothing else changes.
    after = (await h.control("GET", "/state")).json()
    assert after | {"request_count": 0} == before.json() | {"request_count": 0}


async def test_presets_and_lifecycle(h: Harness) -> None:
    """Preset ids are stable, removal falls back; a second start or busy port fails."""
    names = ["Default", "Default", "Wide"]
    simulator = MediaScribeSimulator(tokens=[GOOD], presets=names)
    ids = [preset.id for preset in simulator.presets]
    again = MediaScribeSimulator(tokens=[GOOD], presets=names)
    assert (ids, len(set(ids))) == ([preset.id for preset in again.presets], 3)
    with pytest.raises(ValueError, match="at least one preset"):
        MediaScribeSimulator(tokens=[GOOD], presets=[])
    simulator.active_preset_id = ids[1]
    simulator.remove_preset(ids[0])
    simulator.remove_preset(ids[1])
    assert simulator.active_preset_id == ids[2]

    assert h.sim.url == f"http://127.0.0.1:{h.sim.port}"
    with pytest.raises(RuntimeError, match="already running"):
        await h.sim.start()
    with pytest.raises(OSError, match="address already in use"):
        await MediaScribeSimulator(tokens=[GOOD]).start(port=h.sim.port)
    await h.sim.stop()
    with pytest.raises(RuntimeError, match="not running"):
        _ = h.sim.port
    await h.sim.start()
    assert (await h.api()).status == 200


async def test_control_state(h: Harness, freezer: FrozenDateTimeFactory) -> None:
    """State shows settings and counts but no tokens; PATCH changes what it names."""
    h.sim.add_fault(Fault(status=500, count=2))
    await h.api()
    settings = {"put_response": "ack", "preset_change": "reject"}
    settings |= {"action_change": "ignore", "action_delay": 2}
    settings |= {"position_frozen": True, "recording_limit": 60}
    changes = {"site_name": "Capital City", "active_preset_id": "x", "recording": True}

    patched = await h.control("PATCH", "/state", settings | changes)
    freezer.tick(10)
    after = await h.control("GET", "/state")
    # Null leaves a field as it is, except the recording limit.
    stopped = await h.control(
        "PATCH", "/state", {"recording": False, "site_name": None}
    )

    counts = {"token_count": 2, "request_count": 1}
    counts["faults"] = [Fault(status=500, count=1).to_json()]
    status = {**IDLE, "siteName": "Capital City", "activePresetId": "x"}
    # Frozen from the start, the position is still 0 ten seconds later.
    recording = {"position": 0, "path": PATH}
    expected = {"status": {**status, "recording": recording}, **settings, **counts}
    assert patched.json() == after.json() == expected
    assert stopped.json() == {"status": status, **settings, **counts}


async def test_control_routes(h: Harness) -> None:
    """Presets, tokens, faults and the log are managed over HTTP, tokens never shown."""
    fault = Fault(status=302, body=b"<p>", headers={"Location": "/"}, count=2)
    routes = [
        ("POST", "/presets", {"name": "Wide"}),
        ("POST", "/presets", {"name": "Close", "id": "close"}),
        ("PATCH", f"/presets/{PRESET_ID}", {"name": "Main"}),
        ("DELETE", "/presets/close", None),
        ("POST", "/tokens", {"token": "new-token"}),
        ("POST", "/tokens/revoke", {"token": GOOD}),
        ("POST", "/faults", fault.to_json()),
    ]

    answers = [await h.control(*route) for route in routes]
    added = h.sim.faults
    cleared = await h.control("DELETE", "/faults")
    await h.api()
    await h.api("PUT", body={"action": "start"}, authorization="Bearer new-token")
    log = h.sim.requests
    listed = await h.control("GET", "/requests")
    log_cleared = await h.control("DELETE", "/requests")

    wide = answers[0].json()["id"]
    assert [answer.status for answer in answers] == [201, 201] + [200] * 5
    assert answers[1].json() == {"id": "close"}
    assert h.sim.presets == (Preset(PRESET_ID, "Main"), Preset(wide, "Wide"))
    assert answers[5].json()["token_count"] == 2
    assert all(b"new-token" not in answer.body for answer in answers)
    assert (added, cleared.json()["faults"], h.sim.faults) == ((fault,), [], ())
    # Only /api/ requests are logged, with their outcome but never their token.
    assert [(e.method, e.body, e.status, e.authorized) for e in log] == [
        ("GET", None, 401, False),
        ("PUT", {"action": "start"}, 200, True),
    ]
    assert listed.json() == {"requests": [asdict(entry) for entry in log]}
    assert "new-token" not in repr(log)
    assert (log_cleared.status, h.sim.requests) == (204, ())


async def test_action_delay(h: Harness, freezer: FrozenDateTimeFactory) -> None:
    """A start or stop is acknowledged at once but takes effect when it comes due."""
    await h.control("PATCH", "/state", {"action_delay": 5})
    acknowledged = await h.put("start")
    freezer.tick(4.9)
    pending = await h.api()
    freezer.tick(0.1)
    started = await h.api()
    freezer.tick(3)
    stopping = await h.put("stop")
    freezer.tick(5)
    stopped = await h.api()

    assert acknowledged.json() == pending.json() == stopped.json() == IDLE
    assert started.json()["recording"]["position"] == 0
    assert stopping.json()["recording"]["position"] == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "--token is required (or set MEDIASCRIBE_SIM_TOKEN)"),
        (["--token", GOOD, "--action-delay", "-1"], "must not be negative"),
    ],
)
def test_usage_errors(
    argv: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Python -m simulator ends with a usage error on a missing token or bad value."""
    monkeypatch.setattr(sys, "argv", ["simulator", *argv])
    monkeypatch.setenv(ENV_VAR, "")
    # run_module warns when the module it is about to run is already imported.
    monkeypatch.delitem(sys.modules, "simulator.__main__")

    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("simulator", run_name="__main__")

    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_main_serves_until_a_signal(
    signum: signal.Signals, capsys: pytest.CaptureFixture[str]
) -> None:
    """main() serves as the options say until SIGTERM or Ctrl-C, then returns 0."""
    options = "--port 0 --site-name Shelbyville --preset Wide --put-response ack"
    options += " --preset-change reject --action-change ignore --action-delay 3"
    served: list[tuple[MediaScribeSimulator, str]] = []

    def ready(simulator: MediaScribeSimulator) -> None:
        served.append((simulator, simulator.url))
        signal.raise_signal(signum)

    argv = [*options.split(), "--latency", "0.01", "--token", GOOD]
    assert main(argv, ready=ready) == 0

    [(sim, url)] = served
    assert (sim.site_name, [p.name for p in sim.presets]) == ("Shelbyville", ["Wide"])
    settings = [sim.put_response, sim.preset_change, sim.action_change]
    assert (settings, sim.action_delay) == (["ack", "reject", "ignore"], 3)
    assert sim.faults == (Fault(latency=0.01),)
    assert capsys.readouterr().out == f"MediaScribe simulator listening on {url}\n"
    with pytest.raises(RuntimeError, match="not running"):
        _ = sim.port
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


async def test_run_without_a_callback(capsys: pytest.CaptureFixture[str]) -> None:
    """run() needs no callback; the token may come from the environment instead."""
    stop = asyncio.Event()
    stop.set()

    await run(parse_args(["--port", "0"], {ENV_VAR: GOOD}), stop=stop)

    output = capsys.readouterr().out
    assert output.startswith("MediaScribe simulator listening on http://127.0.0.1:")
    assert GOOD not in output
