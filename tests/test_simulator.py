"""Tests for the MediaScribe simulator and its command line, over real HTTP."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
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

pytestmark = pytest.mark.usefixtures("socket_enabled")

GOOD = "good-token-value"
OTHER = "other-token-value"
PRESET_ID = "aa638eeb-854b-4e14-87a5-500be376f948"
# The start time of the article's recording example.
START = datetime(2025, 8, 21, 19, 5, 37, 170000, tzinfo=UTC)
MEETING = "New Meeting 2025-08-21T19-05-37.170Z"
PATH = f"E:\\recordings\\{MEETING}\\{MEETING}.mp4"
# The article's two example responses.
IDLE = {
    "siteName": "Your City's MediaScribe",
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


class Harness:
    """The article's recorder on a hand-moved clock, and a client to call it."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        """Set up the simulator at the article's recording start."""
        self.now = START
        self.session = session
        self.sim = MediaScribeSimulator(
            tokens=[GOOD, OTHER],
            site_name=IDLE["siteName"],
            presets=[Preset(PRESET_ID, "Default")],
            clock=lambda: self.now,
        )

    def advance(self, seconds: float) -> None:
        """Move the clock on by `seconds`."""
        self.now += timedelta(seconds=seconds)

    async def api(
        self,
        method: str = "GET",
        path: str = STATUS_PATH,
        *,
        authorization: str | None = f"Bearer {GOOD}",
        **kwargs: Any,
    ) -> Answer:
        """Call the simulated API, by default with a valid token."""
        headers = {} if authorization is None else {"Authorization": authorization}
        return await self._call(method, path, headers=headers, **kwargs)

    async def put(self, **body: object) -> Answer:
        """PUT a JSON body to the status URL."""
        return await self.api("PUT", json=body)

    async def control(self, method: str, path: str, body: object = None) -> Answer:
        """Call the control endpoint; bytes are sent as they are."""
        raw = {"data": body} if isinstance(body, bytes) else {"json": body}
        return await self._call(method, f"/_simulator{path}", **raw)

    async def _call(self, method: str, path: str, **kwargs: Any) -> Answer:
        async with self.session.request(
            method, self.sim.url + path, allow_redirects=False, **kwargs
        ) as response:
            return Answer(response.status, response.headers, await response.read())


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    """Return a harness whose simulator runs on 127.0.0.1 for the test."""
    async with aiohttp.ClientSession() as session:
        harness = Harness(session)
        async with harness.sim:
            yield harness


# The API as the article describes it


async def test_the_article_examples(h: Harness) -> None:
    """The article's examples are served; repeating a start or stop is harmless."""
    idle = await h.api()
    started = await h.put(action="start")
    # The position counts whole seconds.
    h.advance(4.5)
    recording = await h.api()
    again = await h.put(action="start")
    await h.put(action="stop")
    stopped_again = await h.put(action="stop")

    assert idle.headers["Content-Type"] == "application/json; charset=utf-8"
    assert (idle.status, idle.json()) == (200, IDLE)
    assert started.json() == {**IDLE, "recording": {"position": 0, "path": PATH}}
    assert recording.json() == again.json() == RECORDING
    assert (stopped_again.status, stopped_again.json()) == (200, IDLE)


@pytest.mark.parametrize("action", ["start", "stop"])
@pytest.mark.parametrize(
    ("put_response", "status", "body"),
    [("status", 200, None), ("ack", 200, b'{"success": true}'), ("empty", 204, b"")],
)
@pytest.mark.parametrize("action_change", ["apply", "ignore"])
async def test_put_actions(
    h: Harness,
    action: str,
    put_response: Any,
    status: int,
    body: bytes | None,
    action_change: Any,
) -> None:
    """A start or stop is answered as put_response says; 'ignore' changes nothing."""
    h.sim.put_response, h.sim.action_change = put_response, action_change
    if action == "stop":
        h.sim.start_recording()

    answer = await h.put(action=action)

    assert answer.status == status
    assert answer.body == body or answer.json() == h.sim.status_document()
    assert h.sim.is_recording == ((action == "start") == (action_change == "apply"))


@pytest.mark.parametrize(
    ("preset_change", "data", "error", "active"),
    [
        ("apply", b"not json", "Request body is not valid JSON", PRESET_ID),
        ("apply", b'["start"]', "Request body must be a JSON object", PRESET_ID),
        ("apply", b'{"action": "stop", "activePresetId": "wide"}',
         "Request body needs exactly one of action and activePresetId", PRESET_ID),
        ("apply", b'{"action": "STOP"}', "Unknown action 'STOP'", PRESET_ID),
        ("apply", b'{"activePresetId": "wide"}', None, "wide"),
        ("apply", b'{"activePresetId": "gone"}', "Unknown preset id 'gone'", PRESET_ID),
        ("apply", b'{"activePresetId": 7}', "Unknown preset id 7", PRESET_ID),
        ("ignore", b'{"activePresetId": "wide"}', None, PRESET_ID),
        ("reject", b'{"activePresetId": "wide"}',
         "Changing the preset is not supported", PRESET_ID),
    ],
)  # fmt: skip
async def test_other_put_bodies(
    h: Harness, preset_change: Any, data: bytes, error: str | None, active: str
) -> None:
    """A preset is changed as preset_change says; what cannot be acted on gets 400."""
    h.sim.add_preset("Wide", "wide")
    h.sim.preset_change = preset_change
    h.sim.start_recording()

    answer = await h.api("PUT", data=data)

    assert answer.status == (200 if error is None else 400)
    assert answer.json() == ({"error": error} if error else h.sim.status_document())
    assert h.sim.active_preset_id == active
    assert h.sim.is_recording


@pytest.mark.parametrize(
    ("method", "path", "authorization", "status"),
    [
        ("GET", STATUS_PATH, f"Bearer {GOOD}", 200),
        ("PUT", STATUS_PATH, f"bearer {OTHER}", 200),
        *[
            (method, STATUS_PATH, authorization, 401)
            for method in ("GET", "PUT")
            for authorization in (None, f"Basic {GOOD}", f"Bearer {GOOD}x", GOOD)
        ],
        # Routing comes before authentication.
        ("PUT", "/api/control", None, 404),
        ("POST", STATUS_PATH, None, 405),
        ("DELETE", STATUS_PATH, f"Bearer {GOOD}", 405),
    ],
)
async def test_routing_and_authentication(
    h: Harness, method: str, path: str, authorization: str | None, status: int
) -> None:
    """Unknown paths, other methods and bad credentials are refused in that order."""
    answer = await h.api(
        method, path, authorization=authorization, json={"action": "start"}
    )

    errors = {401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
    assert answer.status == status
    assert answer.headers.get("Allow") == ("GET, PUT" if status == 405 else None)
    assert status == 200 or answer.json() == {"error": errors[status]}
    assert h.sim.is_recording == (status == 200 and method == "PUT")


# Presets and lifecycle


def test_presets() -> None:
    """Generated ids are stable and unique; removal falls back to the first left."""
    names = ["Default", "Default", "Wide"]
    simulator = MediaScribeSimulator(tokens=[GOOD], presets=names)
    ids = [preset.id for preset in simulator.presets]
    again = MediaScribeSimulator(tokens=[GOOD], presets=names)

    assert ids == [preset.id for preset in again.presets]
    assert len(set(ids)) == 3
    with pytest.raises(ValueError, match="at least one preset"):
        MediaScribeSimulator(tokens=[GOOD], presets=[])

    simulator.active_preset_id = ids[1]
    simulator.remove_preset(ids[0])
    simulator.remove_preset(ids[1])
    assert simulator.active_preset_id == ids[2]
    simulator.remove_preset(ids[2])
    # The last one removed stays the active id.
    assert (simulator.presets, simulator.active_preset_id) == ((), ids[2])


async def test_lifecycle(h: Harness) -> None:
    """The URL names the port; a second start or a busy port is refused."""
    second = MediaScribeSimulator(tokens=[GOOD])

    assert h.sim.url == f"http://127.0.0.1:{h.sim.port}"
    with pytest.raises(RuntimeError, match="already running"):
        await h.sim.start()
    with pytest.raises(OSError, match="address already in use"):
        await second.start(port=h.sim.port)
    await h.sim.stop()
    with pytest.raises(RuntimeError, match="not running"):
        _ = h.sim.port
    await h.sim.start()
    assert (await h.api()).status == 200


# Faults


async def test_faults(h: Harness) -> None:
    """Faults combine and count down; a forced status means the server did not act."""
    h.sim.add_fault(
        Fault(
            headers={"X-One": "1"},
            fields={"hasNoSignal": "no"},
            remove_fields=("presets", "notThere"),
        )
    )
    h.sim.add_fault(Fault(status=503, count=2))

    await h.control("GET", "/state")
    failed = [await h.put(action="start"), await h.api(path="/api/x")]
    recording_after_failure = h.sim.is_recording
    got = await h.api()
    h.sim.add_fault(Fault(body=b"ab", body_repeat=3, content_type="text/html"))
    replaced = await h.put(action="start")
    h.sim.clear_faults()
    clean = await h.api()

    assert [(a.status, a.body, a.headers["X-One"]) for a in failed] == [
        (503, b"", "1")
    ] * 2
    assert not recording_after_failure
    expected = {**IDLE, "hasNoSignal": "no"}
    del expected["presets"]
    assert got.json() == expected
    assert (replaced.status, replaced.body) == (200, b"ababab")
    assert replaced.headers["Content-Type"] == "text/html"
    assert clean.json() == {**IDLE, "recording": {"position": 0, "path": PATH}}
    assert ("X-One" in clean.headers, h.sim.faults) == (False, ())


# Control endpoint


async def test_control_state(h: Harness) -> None:
    """State shows settings and counts but no tokens; PATCH changes what it names."""
    h.sim.add_fault(Fault(status=500, count=2))
    await h.api()
    settings = {
        "put_response": "ack",
        "preset_change": "reject",
        "action_change": "ignore",
        "action_delay": 2,
        "position_frozen": True,
        "recording_limit": 60,
    }
    changes = {"site_name": "Capital City", "active_preset_id": "x", "recording": True}

    patched = await h.control("PATCH", "/state", settings | changes)
    h.advance(10)
    after = await h.control("GET", "/state")
    # Null leaves a field as it is, except the recording limit.
    stopped = await h.control(
        "PATCH", "/state", {"recording": False, "site_name": None}
    )

    counts = {"token_count": 2, "faults": [Fault(status=500, count=1).to_json()]}
    counts["request_count"] = 1
    status = {**IDLE, "siteName": "Capital City", "activePresetId": "x"}
    # Frozen from the start, the position is still 0 ten seconds later.
    recording = {"position": 0, "path": PATH}
    expected = {"status": {**status, "recording": recording}, **settings, **counts}
    assert patched.json() == after.json() == expected
    assert stopped.json() == {"status": status, **settings, **counts}


async def test_control_routes(h: Harness) -> None:
    """Presets, tokens, faults and the log are managed over HTTP, tokens never shown."""
    fault = Fault(status=302, body=b"<p>", headers={"Location": "/"}, count=3)
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
    tokens = ("new-token", GOOD, OTHER)
    statuses = [(await h.api(authorization=f"Bearer {t}")).status for t in tokens]
    cleared = await h.control("DELETE", "/faults")
    await h.api("PUT", "/api/nowhere", data=b"{oops")
    await h.api("PUT", authorization=f"Bearer {OTHER}", json={"action": "start"})
    log = h.sim.requests
    listed = await h.control("GET", "/requests")
    log_cleared = await h.control("DELETE", "/requests")

    wide = answers[0].json()["id"]
    assert [answer.status for answer in answers] == [201, 201, 200, 200, 200, 200, 200]
    assert answers[1].json() == {"id": "close"}
    assert h.sim.presets == (Preset(PRESET_ID, "Main"), Preset(wide, "Wide"))
    assert answers[5].json()["token_count"] == 2
    assert all(b"new-token" not in answer.body for answer in answers)
    assert (answers[6].json()["faults"], added) == ([fault.to_json()], (fault,))
    assert statuses == [302, 302, 302]
    assert (cleared.json()["faults"], h.sim.faults) == ([], ())
    # Only /api/ requests are logged, with their outcome but never their token.
    assert [(e.method, e.path, e.body, e.status, e.authorized) for e in log] == [
        ("GET", STATUS_PATH, None, 302, True),
        ("GET", STATUS_PATH, None, 302, False),
        ("GET", STATUS_PATH, None, 302, True),
        ("PUT", "/api/nowhere", None, 404, False),
        ("PUT", STATUS_PATH, {"action": "start"}, 200, True),
    ]
    assert listed.json() == {"requests": [asdict(entry) for entry in log]}
    assert all(token not in repr(log) for token in tokens)
    assert (log_cleared.status, h.sim.requests) == (204, ())


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("PATCH", "/state", {"colour": "red"}, 400, "unknown state fields: colour"),
        # Every field is checked before anything changes.
        ("PATCH", "/state", {"site_name": "X", "action_change": "later"}, 400,
         "action_change must be one of apply, ignore"),
        ("PATCH", "/state", {"action_delay": True}, 400, "action_delay must be a num"),
        ("PATCH", "/state", {"recording_limit": -1}, 400,
         "recording_limit must not be negative"),
        ("PATCH", "/state", [1], 400, "the body must be a JSON object"),
        ("PATCH", "/state", b"{", 400, "Expecting property name"),
        ("POST", "/presets", {}, 400, "name is required"),
        ("POST", "/presets", {"name": "X", "id": PRESET_ID}, 400,
         f"preset id {PRESET_ID} is already in use"),
        ("PATCH", "/presets/missing", {"name": "X"}, 404, "unknown preset missing"),
        ("POST", "/tokens", {"token": ""}, 400, "a token must not be empty"),
        ("POST", "/tokens/revoke", {"token": 1}, 400, "token must be a str"),
        ("POST", "/faults", {"sleep": 1}, 400, "unknown fault field 'sleep'"),
        ("POST", "/faults", {"latency": True}, 400,
         "fault field 'latency' has the wrong type"),
        ("POST", "/faults", {"latency": -1}, 400, "latency must not be negative"),
        ("POST", "/faults", {"status": 199}, 400, "status must be between 200 and 599"),
        ("POST", "/faults", {"body_repeat": 0}, 400, "body_repeat must be at least 1"),
        ("POST", "/faults", {"count": 0}, 400, "count must be at least 1 or null"),
        ("POST", "/faults", {"headers": {"A": 1}}, 400, "header values must be str"),
        ("POST", "/faults", {"remove_fields": [1]}, 400,
         "remove_fields must be a list of strings"),
    ],
)  # fmt: skip
async def test_control_refusals(
    h: Harness, method: str, path: str, body: object, status: int, error: str
) -> None:
    """Bad input gets 400, an unknown preset 404, with a reason; nothing changes."""
    before = await h.control("GET", "/state")

    answer = await h.control(method, path, body)

    assert answer.status == status
    assert answer.json()["error"].startswith(error)
    assert (await h.control("GET", "/state")).json() == before.json()


# Issue #12: servers that lose a meeting


async def test_action_delay(h: Harness) -> None:
    """A start or stop is acknowledged at once but takes effect when it comes due."""
    h.sim.action_delay = 5

    acknowledged = await h.put(action="start")
    h.advance(4.9)
    pending = await h.api()
    h.advance(0.1)
    started = await h.api()
    h.advance(3)
    stopping = await h.put(action="stop")
    h.advance(5)
    stopped = await h.api()
    # Commands act in the order they come due: a slow start outlasts a quick stop.
    h.sim.action_delay = 10
    await h.put(action="start")
    h.sim.action_delay = 0
    h.advance(1)
    await h.put(action="stop")
    h.advance(9)

    assert acknowledged.json() == pending.json() == stopped.json() == IDLE
    assert started.json()["recording"]["position"] == 0
    assert stopping.json()["recording"]["position"] == 3
    assert h.sim.is_recording


@pytest.mark.parametrize(
    ("running", "stalled", "recovered"), [(0, 30, 5), (4.5, 100, 0), (12, 0.5, 60)]
)
async def test_position_frozen(
    h: Harness, running: float, stalled: float, recovered: float
) -> None:
    """A frozen position stays put; unfrozen it grows on from the frozen value."""
    await h.put(action="start")
    h.advance(running)
    await h.control("PATCH", "/state", {"position_frozen": True})
    h.advance(stalled)
    frozen = await h.api()
    h.sim.position_frozen = False
    h.advance(recovered)

    assert frozen.json()["recording"] == {"position": int(running), "path": PATH}
    assert (await h.api()).json()["recording"]["position"] == int(running + recovered)


async def test_recording_limit(h: Harness) -> None:
    """A recording ends recording_limit s after its start took effect, read or not."""
    h.sim.recording_limit = 5
    await h.put(action="start")
    h.advance(4.5)
    before = await h.api()
    h.sim.action_delay = 8
    await h.put(action="start")
    # Nobody reads until after the first recording ended and the second began.
    h.advance(10)
    second = await h.api()
    h.advance(100)
    h.sim.recording_limit = None

    assert before.json()["recording"]["position"] == 4
    assert second.json()["recording"]["position"] == 2
    assert not h.sim.is_recording


# The command line


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
    assert sim.site_name == "Shelbyville"
    assert [preset.name for preset in sim.presets] == ["Wide"]
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
