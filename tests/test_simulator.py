"""Tests for the MediaScribe simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
import json
from typing import TYPE_CHECKING, Any

import aiohttp
from hypothesis import given, strategies as st
import pytest

from simulator import (
    STATUS_PATH,
    Fault,
    MediaScribeSimulator,
    Preset,
    RecordedRequest,
    UnknownPresetError,
)
from simulator.faults import combine

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

GOOD = "good-token-value"
OTHER = "other-token-value"
ARTICLE_PRESET_ID = "aa638eeb-854b-4e14-87a5-500be376f948"
# The start time of the article's recording example.
ARTICLE_START = datetime(2025, 8, 21, 19, 5, 37, 170000, tzinfo=UTC)

ARTICLE_IDLE = {
    "siteName": "Your City's MediaScribe",
    "presets": [{"id": ARTICLE_PRESET_ID, "name": "Default"}],
    "activePresetId": ARTICLE_PRESET_ID,
    "hasNoSignal": False,
}
ARTICLE_RECORDING = {
    **ARTICLE_IDLE,
    "recording": {
        "position": 4,
        "path": "E:\\recordings\\New Meeting 2025-08-21T19-05-37.170Z"
        "\\New Meeting 2025-08-21T19-05-37.170Z.mp4",
    },
}


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = ARTICLE_START) -> None:
        """Start at `now`."""
        self.now = now

    def __call__(self) -> datetime:
        """Return the current fake time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock by `seconds` (negative moves it back)."""
        self.now += timedelta(seconds=seconds)


@dataclass
class Answer:
    """What a request got back."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        """Decode the body as JSON."""
        return json.loads(self.body)


type MakeSimulator = Callable[..., Awaitable[MediaScribeSimulator]]


@pytest.fixture
def clock() -> FakeClock:
    """Return a hand-moved clock."""
    return FakeClock()


@pytest.fixture
async def make_simulator(
    socket_enabled: None, clock: FakeClock
) -> AsyncIterator[MakeSimulator]:
    """Start simulators on free ports and stop them after the test."""
    started: list[MediaScribeSimulator] = []

    async def make(**kwargs: Any) -> MediaScribeSimulator:
        kwargs.setdefault("tokens", [GOOD, OTHER])
        kwargs.setdefault("clock", clock)
        simulator = MediaScribeSimulator(**kwargs)
        await simulator.start()
        started.append(simulator)
        return simulator

    yield make
    for simulator in started:
        await simulator.stop()


@pytest.fixture
async def simulator(make_simulator: MakeSimulator) -> MediaScribeSimulator:
    """Return a running simulator with default settings."""
    return await make_simulator()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return a client session, closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def api(
    session: aiohttp.ClientSession,
    simulator: MediaScribeSimulator,
    method: str = "GET",
    *,
    body: object = None,
    data: bytes | None = None,
    token: str | None = GOOD,
    path: str = STATUS_PATH,
    authorization: str | None = None,
    allow_redirects: bool = True,
) -> Answer:
    """Call the simulated API, by default with a valid token."""
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with session.request(
        method,
        simulator.url + path,
        headers=headers,
        json=body,
        data=data,
        allow_redirects=allow_redirects,
    ) as response:
        return Answer(response.status, response.headers, await response.read())


async def control(
    session: aiohttp.ClientSession,
    simulator: MediaScribeSimulator,
    method: str,
    path: str,
    body: object = None,
    data: bytes | None = None,
) -> Answer:
    """Call the simulator's control endpoint."""
    async with session.request(
        method, f"{simulator.url}/_simulator{path}", json=body, data=data
    ) as response:
        return Answer(response.status, response.headers, await response.read())


async def wait_for_requests(simulator: MediaScribeSimulator, count: int) -> None:
    """Wait until the simulator has logged `count` API requests."""
    async with asyncio.timeout(10):
        while len(simulator.requests) < count:  # noqa: ASYNC110 (no event to wait on)
            await asyncio.sleep(0.01)


# The article's examples


async def test_idle_status_matches_the_article(
    make_simulator: MakeSimulator, session: aiohttp.ClientSession
) -> None:
    """An idle recorder answers exactly the article's ready response."""
    simulator = await make_simulator(
        site_name="Your City's MediaScribe",
        presets=[Preset(ARTICLE_PRESET_ID, "Default")],
    )

    answer = await api(session, simulator)

    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == ARTICLE_IDLE


async def test_recording_status_matches_the_article(
    make_simulator: MakeSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Four and a half seconds into a recording the article's example is served."""
    simulator = await make_simulator(
        site_name="Your City's MediaScribe",
        presets=[Preset(ARTICLE_PRESET_ID, "Default")],
    )
    await api(session, simulator, "PUT", body={"action": "start"})
    clock.advance(4.5)

    answer = await api(session, simulator)

    assert answer.json() == ARTICLE_RECORDING


# Recording


async def test_start_and_stop(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Start begins a recording, stop ends it; both answer the new status."""
    started = await api(session, simulator, "PUT", body={"action": "start"})

    assert started.status == 200
    assert started.json()["recording"]["position"] == 0
    assert simulator.is_recording

    stopped = await api(session, simulator, "PUT", body={"action": "stop"})

    assert stopped.status == 200
    assert "recording" not in stopped.json()
    assert not simulator.is_recording


async def test_start_while_recording_keeps_the_running_recording(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A second start answers 200 and never restarts the recording."""
    first = await api(session, simulator, "PUT", body={"action": "start"})
    clock.advance(10)

    again = await api(session, simulator, "PUT", body={"action": "start"})

    assert again.status == 200
    assert again.json()["recording"] == {
        "position": 10,
        "path": first.json()["recording"]["path"],
    }


async def test_stop_while_idle_answers_the_unchanged_status(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Stop on an idle recorder is a harmless no-op."""
    answer = await api(session, simulator, "PUT", body={"action": "stop"})

    assert answer.status == 200
    assert answer.json() == simulator.status_document()
    assert "recording" not in answer.json()


@pytest.mark.parametrize(
    ("seconds", "position"),
    [(0, 0), (0.999, 0), (1, 1), (59.5, 59), (3600, 3600), (-5, 0)],
)
def test_position_counts_whole_seconds(seconds: float, position: int) -> None:
    """The position is the whole seconds since the start, never negative."""
    clock = FakeClock()
    simulator = MediaScribeSimulator(tokens=[GOOD], clock=clock)
    simulator.start_recording()
    clock.advance(seconds)

    recording = simulator.status_document()["recording"]

    assert isinstance(recording, dict)
    assert recording["position"] == position


@given(
    start=st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(2099, 12, 31),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7, minutes=-30))]),
    )
)
def test_path_names_the_meeting_after_its_utc_start(start: datetime) -> None:
    """The path holds the UTC start, ':' replaced by '-', to the millisecond."""
    simulator = MediaScribeSimulator(tokens=[GOOD], clock=lambda: start)
    simulator.start_recording()

    recording = simulator.status_document()["recording"]

    assert isinstance(recording, dict)
    folder, file = recording["path"].removeprefix("E:\\recordings\\").split("\\")
    assert file == f"{folder}.mp4"
    stamp = datetime.strptime(
        folder.removeprefix("New Meeting ").removesuffix("Z") + "+0000",
        "%Y-%m-%dT%H-%M-%S.%f%z",
    )
    assert stamp == start.replace(microsecond=start.microsecond // 1000 * 1000)


def test_path_of_a_known_start() -> None:
    """A start at 03:04:05.006 UTC gives the documented folder and file name."""
    start = datetime(2026, 1, 2, 5, 4, 5, 6999, tzinfo=timezone(timedelta(hours=2)))
    simulator = MediaScribeSimulator(tokens=[GOOD], clock=lambda: start)
    simulator.start_recording()

    assert simulator.status_document()["recording"] == {
        "position": 0,
        "path": "E:\\recordings\\New Meeting 2026-01-02T03-04-05.006Z"
        "\\New Meeting 2026-01-02T03-04-05.006Z.mp4",
    }


def test_default_clock_is_real_utc_time() -> None:
    """Without an injected clock the recording starts at the current UTC time."""
    simulator = MediaScribeSimulator(tokens=[GOOD])
    before = datetime.now(UTC).replace(microsecond=0)
    simulator.start_recording()
    after = datetime.now(UTC)

    recording = simulator.status_document()["recording"]

    assert isinstance(recording, dict)
    stamp = recording["path"].split("New Meeting ")[1].split("\\")[0]
    started = datetime.strptime(stamp, "%Y-%m-%dT%H-%M-%S.%fZ").replace(tzinfo=UTC)
    assert before <= started <= after
    assert recording["position"] == 0


# Presets


def test_preset_ids_are_stable_across_restarts() -> None:
    """The same settings give the same ids; every preset gets its own id."""
    first = MediaScribeSimulator(tokens=[GOOD], presets=["Default", "Default", "Wide"])
    second = MediaScribeSimulator(tokens=[GOOD], presets=["Default", "Default", "Wide"])
    elsewhere = MediaScribeSimulator(
        tokens=[GOOD], site_name="Shelbyville", presets=["Default"]
    )

    ids = [preset.id for preset in first.presets]

    assert [preset.name for preset in first.presets] == ["Default", "Default", "Wide"]
    assert ids == [preset.id for preset in second.presets]
    assert len(set(ids)) == 3
    assert elsewhere.presets[0].id not in ids
    assert first.active_preset_id == ids[0]


def test_a_recorder_needs_a_preset() -> None:
    """A simulator cannot be built without presets."""
    with pytest.raises(ValueError, match="at least one preset"):
        MediaScribeSimulator(tokens=[GOOD], presets=[])


async def test_preset_change_applies(
    make_simulator: MakeSimulator, session: aiohttp.ClientSession
) -> None:
    """ActivePresetId switches the preset, also while recording."""
    simulator = await make_simulator(presets=["Default", "Wide"])
    wide = simulator.presets[1].id
    await api(session, simulator, "PUT", body={"action": "start"})

    answer = await api(session, simulator, "PUT", body={"activePresetId": wide})

    assert answer.status == 200
    assert answer.json()["activePresetId"] == wide
    assert "recording" in answer.json()
    assert simulator.active_preset_id == wide


@pytest.mark.parametrize("preset_id", ["no-such-preset", 7, None])
async def test_preset_change_to_an_unknown_id_is_refused(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession, preset_id: object
) -> None:
    """An id the recorder does not have gives 400 and changes nothing."""
    before = simulator.active_preset_id

    answer = await api(session, simulator, "PUT", body={"activePresetId": preset_id})

    assert answer.status == 400
    assert "Unknown preset id" in answer.json()["error"]
    assert simulator.active_preset_id == before


@pytest.mark.parametrize("preset_id", ["known", "no-such-preset"])
async def test_preset_change_ignored(
    make_simulator: MakeSimulator, session: aiohttp.ClientSession, preset_id: str
) -> None:
    """With preset_change='ignore' the request succeeds and nothing changes."""
    simulator = await make_simulator(
        presets=["Default", "Wide"], preset_change="ignore"
    )
    before = simulator.status_document()
    wanted = simulator.presets[1].id if preset_id == "known" else preset_id

    answer = await api(session, simulator, "PUT", body={"activePresetId": wanted})

    assert answer.status == 200
    assert answer.json() == before
    assert simulator.status_document() == before


async def test_preset_change_rejected(
    make_simulator: MakeSimulator, session: aiohttp.ClientSession
) -> None:
    """With preset_change='reject' the request gets 400 and nothing changes."""
    simulator = await make_simulator(
        presets=["Default", "Wide"], preset_change="reject"
    )
    before = simulator.active_preset_id

    answer = await api(
        session, simulator, "PUT", body={"activePresetId": simulator.presets[1].id}
    )

    assert answer.status == 400
    assert answer.json() == {"error": "Changing the preset is not supported"}
    assert simulator.active_preset_id == before


def test_preset_management() -> None:
    """Presets can be added, renamed and removed; ids stay unique."""
    simulator = MediaScribeSimulator(tokens=[GOOD], presets=["Default"])
    default = simulator.presets[0].id

    generated = simulator.add_preset("Wide")
    chosen = simulator.add_preset("Close", "close-id")
    simulator.rename_preset(generated, "Very wide")

    assert simulator.presets == (
        Preset(default, "Default"),
        Preset(generated, "Very wide"),
        Preset("close-id", "Close"),
    )
    assert chosen == "close-id"
    with pytest.raises(ValueError, match="already in use"):
        simulator.add_preset("Again", "close-id")

    simulator.remove_preset(generated)

    assert [preset.id for preset in simulator.presets] == [default, "close-id"]
    assert simulator.active_preset_id == default


def test_removing_the_active_preset_falls_back_to_the_first() -> None:
    """The active preset moves to the first one left when it is removed."""
    simulator = MediaScribeSimulator(tokens=[GOOD], presets=["A", "B", "C"])
    first, second, _ = (preset.id for preset in simulator.presets)
    simulator.active_preset_id = second

    simulator.remove_preset(second)

    assert simulator.active_preset_id == first


def test_removing_the_last_preset_keeps_the_stale_id() -> None:
    """With no preset left the status still names the removed one."""
    simulator = MediaScribeSimulator(tokens=[GOOD], presets=["Only"])
    only = simulator.presets[0].id

    simulator.remove_preset(only)

    document = simulator.status_document()
    assert document["presets"] == []
    assert document["activePresetId"] == only


def test_unknown_preset_ids_raise() -> None:
    """Renaming or removing a missing preset raises UnknownPresetError."""
    simulator = MediaScribeSimulator(tokens=[GOOD])

    with pytest.raises(UnknownPresetError):
        simulator.rename_preset("missing", "Name")
    with pytest.raises(KeyError):
        simulator.remove_preset("missing")


async def test_state_set_directly_is_served(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Site name, no-signal and a dangling active preset id reach the API."""
    simulator.site_name = "Shelbyville"
    simulator.has_no_signal = True
    simulator.active_preset_id = "not-a-preset"

    document = (await api(session, simulator)).json()

    assert document["siteName"] == "Shelbyville"
    assert document["hasNoSignal"] is True
    assert document["activePresetId"] == "not-a-preset"


# Bad requests


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"not json", "Request body is not valid JSON"),
        (b"", "Request body is not valid JSON"),
        (b'["start"]', "Request body must be a JSON object"),
        (b"null", "Request body must be a JSON object"),
        (b"{}", "Request body needs exactly one of action and activePresetId"),
        (
            b'{"other": 1}',
            "Request body needs exactly one of action and activePresetId",
        ),
        (
            b'{"action": "start", "activePresetId": "x"}',
            "Request body needs exactly one of action and activePresetId",
        ),
        (b'{"action": "pause"}', "Unknown action 'pause'"),
        (b'{"action": 1}', "Unknown action 1"),
        (b'{"action": "START"}', "Unknown action 'START'"),
    ],
)
async def test_bad_put_bodies_get_400(
    simulator: MediaScribeSimulator,
    session: aiohttp.ClientSession,
    data: bytes,
    error: str,
) -> None:
    """A PUT the recorder cannot act on gets a JSON error and changes nothing."""
    answer = await api(session, simulator, "PUT", data=data)

    assert answer.status == 400
    assert answer.json() == {"error": error}
    assert not simulator.is_recording


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        f"Basic {GOOD}",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer  {GOOD}",
        f"Bearer {GOOD}x",
        GOOD,
    ],
)
@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_bad_credentials_get_401(
    simulator: MediaScribeSimulator,
    session: aiohttp.ClientSession,
    authorization: str | None,
    method: str,
) -> None:
    """Missing, malformed or wrong tokens are refused before the body is read."""
    answer = await api(
        session,
        simulator,
        method,
        body={"action": "start"},
        token=None,
        authorization=authorization,
    )

    assert answer.status == 401
    assert answer.json() == {"error": "Unauthorized"}
    assert not simulator.is_recording


async def test_every_valid_token_works_and_the_scheme_is_case_insensitive(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Each configured token is accepted, as is 'bearer' in lower case."""
    assert (await api(session, simulator, token=GOOD)).status == 200
    assert (await api(session, simulator, token=OTHER)).status == 200
    assert (await api(session, simulator, authorization=f"bearer {GOOD}")).status == 200


async def test_tokens_can_be_added_and_revoked(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """A revoked token gets 401 at once; a new one works at once."""
    simulator.revoke_token(GOOD)
    simulator.revoke_token("never-known")
    simulator.add_token("fresh-token-value")

    assert (await api(session, simulator, token=GOOD)).status == 401
    assert (await api(session, simulator, token=OTHER)).status == 200
    assert (await api(session, simulator, token="fresh-token-value")).status == 200
    with pytest.raises(ValueError, match="must not be empty"):
        simulator.add_token("")


@pytest.mark.parametrize("method", ["GET", "PUT", "POST"])
@pytest.mark.parametrize("token", [GOOD, None])
async def test_unknown_api_paths_get_404(
    simulator: MediaScribeSimulator,
    session: aiohttp.ClientSession,
    method: str,
    token: str | None,
) -> None:
    """Any other path under /api/ is not found, with or without a token."""
    answer = await api(session, simulator, method, token=token, path="/api/control")

    assert answer.status == 404
    assert answer.json() == {"error": "Not Found"}


@pytest.mark.parametrize("method", ["POST", "DELETE", "PATCH"])
async def test_other_methods_get_405(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession, method: str
) -> None:
    """The status URL only knows GET and PUT."""
    answer = await api(session, simulator, method, body={"action": "start"})

    assert answer.status == 405
    assert answer.headers["Allow"] == "GET, PUT"
    assert not simulator.is_recording


# PUT answers


@pytest.mark.parametrize(
    ("put_response", "status", "body"),
    [
        ("status", 200, None),
        ("ack", 200, b'{"success": true}'),
        ("empty", 204, b""),
    ],
)
async def test_put_answers(
    make_simulator: MakeSimulator,
    session: aiohttp.ClientSession,
    put_response: str,
    status: int,
    body: bytes | None,
) -> None:
    """put_response picks the status document, a small ack or no body."""
    simulator = await make_simulator(put_response=put_response)

    answer = await api(session, simulator, "PUT", body={"action": "start"})

    assert answer.status == status
    if body is None:
        assert answer.json() == simulator.status_document()
        assert "recording" in answer.json()
    else:
        assert answer.body == body
    assert simulator.is_recording


# Faults


async def test_latency_delays_the_answer(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """An answer comes no sooner than the latency."""
    simulator.add_fault(Fault(latency=0.2))
    loop = asyncio.get_running_loop()
    began = loop.time()

    answer = await api(session, simulator)

    assert loop.time() - began >= 0.2
    assert answer.status == 200


async def test_latency_applies_after_a_restart(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Stopping releases held answers, but a restarted server delays again."""
    await simulator.stop()
    await simulator.start()
    simulator.add_fault(Fault(latency=0.2))
    loop = asyncio.get_running_loop()
    began = loop.time()

    await api(session, simulator)

    assert loop.time() - began >= 0.2


async def test_a_request_takes_effect_before_its_delayed_answer(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """A client that gives up early has still started the recording."""
    simulator.add_fault(Fault(latency=30))

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.5):
            await api(session, simulator, "PUT", body={"action": "start"})

    assert simulator.is_recording


async def test_stop_releases_a_held_answer(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Stopping does not wait out a long latency."""
    simulator.add_fault(Fault(latency=60))
    pending = asyncio.create_task(api(session, simulator))
    await wait_for_requests(simulator, 1)
    loop = asyncio.get_running_loop()
    began = loop.time()

    await simulator.stop()
    answer = await pending

    assert loop.time() - began < 10
    assert answer.status == 200


async def test_forced_status_answers_without_acting(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """A forced status is answered with an empty body and the request is dropped."""
    simulator.add_fault(Fault(status=503))

    answer = await api(session, simulator, "PUT", body={"action": "start"})

    assert answer.status == 503
    assert answer.body == b""
    assert not simulator.is_recording


async def test_forced_status_ignores_credentials(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """A forced status is what every request gets, authorized or not."""
    simulator.add_fault(Fault(status=500, body=b'{"error": "boom"}'))

    answer = await api(session, simulator, token=None)

    assert answer.status == 500
    assert answer.json() == {"error": "boom"}
    assert answer.headers["Content-Type"] == "application/json"


async def test_forced_redirect(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """A 302 with a Location header reaches the client as given."""
    simulator.add_fault(Fault(status=302, headers={"Location": "/login"}))

    answer = await api(session, simulator, allow_redirects=False)

    assert answer.status == 302
    assert answer.headers["Location"] == "/login"


@pytest.mark.parametrize(
    ("fault", "content_type", "body"),
    [
        (Fault(body=b'{"siteName": '), "application/json", b'{"siteName": '),
        (
            Fault(body=b"<html>Login</html>", content_type="text/html"),
            "text/html",
            b"<html>Login</html>",
        ),
        (Fault(body=b""), "application/json", b""),
        (
            Fault(body=b"\xff\xfe", content_type="application/json; charset=utf-8"),
            "application/json; charset=utf-8",
            b"\xff\xfe",
        ),
    ],
)
async def test_body_override(
    simulator: MediaScribeSimulator,
    session: aiohttp.ClientSession,
    fault: Fault,
    content_type: str,
    body: bytes,
) -> None:
    """The body and content type are replaced; the status stays the real one."""
    simulator.add_fault(fault)

    answer = await api(session, simulator)

    assert answer.status == 200
    assert answer.headers["Content-Type"] == content_type
    assert answer.body == body


async def test_body_override_still_acts_on_the_request(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """A garbled answer does not undo the start it answers."""
    simulator.add_fault(Fault(body=b"<html>"))

    answer = await api(session, simulator, "PUT", body={"action": "start"})

    assert answer.body == b"<html>"
    assert simulator.is_recording


async def test_huge_body(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """body_repeat builds a large body without sending it in."""
    simulator.add_fault(Fault(body=b"x" * 1024, body_repeat=5 * 1024))

    answer = await api(session, simulator)

    assert len(answer.body) == 5 * 1024 * 1024
    assert answer.headers["Content-Length"] == str(5 * 1024 * 1024)


async def test_field_overrides(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Fields are replaced and removed in served documents only."""
    simulator.add_fault(
        Fault(
            fields={"hasNoSignal": "no", "presets": None, "extra": 1},
            remove_fields=("activePresetId", "notThere"),
        )
    )

    got = (await api(session, simulator)).json()
    put = (await api(session, simulator, "PUT", body={"action": "start"})).json()

    assert got["hasNoSignal"] == "no"
    assert got["presets"] is None
    assert got["extra"] == 1
    assert "activePresetId" not in got
    assert put["hasNoSignal"] == "no"
    assert "activePresetId" not in put
    assert "recording" in put
    assert simulator.status_document()["hasNoSignal"] is False


async def test_field_overrides_reach_inside_recording(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """A whole recording object can be replaced to give it wrong types."""
    simulator.start_recording()
    simulator.add_fault(Fault(fields={"recording": {"position": "4"}}))

    answer = await api(session, simulator)

    assert answer.json()["recording"] == {"position": "4"}


async def test_extra_headers_on_a_normal_answer(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Headers are added to whatever the answer is."""
    simulator.add_fault(Fault(headers={"Retry-After": "5"}))

    answer = await api(session, simulator, token=None)

    assert answer.status == 401
    assert answer.headers["Retry-After"] == "5"


@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_dropped_connection(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession, method: str
) -> None:
    """The connection closes with no answer and the request is not carried out."""
    simulator.add_fault(Fault(drop=True))

    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api(session, simulator, method, body={"action": "start"})

    assert not simulator.is_recording
    # aiohttp retries an idempotent request (GET and PUT) once after a disconnect.
    assert [entry.status for entry in simulator.requests] == [None, None]


async def test_a_single_drop_is_hidden_by_the_client_retry(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """With count=1 aiohttp's own retry gets through and the start happens."""
    simulator.add_fault(Fault(drop=True, count=1))

    answer = await api(session, simulator, "PUT", body={"action": "start"})

    assert answer.status == 200
    assert simulator.is_recording
    assert [entry.status for entry in simulator.requests] == [None, 200]


async def test_count_limits_a_fault(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """A fault with a count applies to that many requests, then ends."""
    simulator.add_fault(Fault(status=500, count=2))
    statuses = []
    remaining = []

    for _ in range(3):
        statuses.append((await api(session, simulator)).status)
        remaining.append([fault.count for fault in simulator.faults])

    assert statuses == [500, 500, 200]
    assert remaining == [[1], [], []]


async def test_faults_stack_and_can_be_cleared(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Active faults apply together until cleared."""
    simulator.add_fault(Fault(headers={"X-One": "1"}))
    simulator.add_fault(Fault(status=418, count=1))

    first = await api(session, simulator)
    second = await api(session, simulator)
    simulator.clear_faults()
    third = await api(session, simulator)

    assert (first.status, first.headers["X-One"]) == (418, "1")
    assert (second.status, second.headers["X-One"]) == (200, "1")
    assert third.status == 200
    assert "X-One" not in third.headers
    assert simulator.faults == ()


async def test_unknown_paths_use_up_faults(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Every request under /api/ counts against a fault."""
    simulator.add_fault(Fault(status=500, count=1))

    missing = await api(session, simulator, path="/api/elsewhere")
    status = await api(session, simulator)

    assert (missing.status, status.status) == (500, 200)


async def test_faults_leave_the_control_endpoint_alone(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Control requests are never faulted and never use up a count."""
    simulator.add_fault(Fault(drop=True, count=1))

    answer = await control(session, simulator, "GET", "/state")

    assert answer.status == 200
    assert simulator.faults == (Fault(drop=True, count=1),)


def test_combine_merges_in_order() -> None:
    """Latencies add up, later values win, drops and removals accumulate."""
    merged = combine(
        [
            Fault(latency=1, status=500, body=b"a", content_type="text/plain"),
            Fault(
                latency=0.5, headers={"A": "1"}, fields={"x": 1}, remove_fields=("y",)
            ),
            Fault(status=502, headers={"A": "2", "B": "3"}, fields={"z": 2}, drop=True),
            Fault(body=b"b", body_repeat=3, remove_fields=("w",), count=4),
        ]
    )

    assert merged == Fault(
        latency=1.5,
        status=502,
        body=b"b",
        body_repeat=3,
        content_type="application/json",
        headers={"A": "2", "B": "3"},
        fields={"x": 1, "z": 2},
        remove_fields=("y", "w"),
        drop=True,
    )
    assert combine([]) == Fault()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"latency": -0.1}, "latency"),
        ({"status": 199}, "status"),
        ({"status": 600}, "status"),
        ({"body_repeat": 0}, "body_repeat"),
        ({"count": 0}, "count"),
    ],
)
def test_fault_refuses_impossible_values(kwargs: dict[str, Any], message: str) -> None:
    """Values the server could not act on are refused up front."""
    with pytest.raises(ValueError, match=message):
        Fault(**kwargs)


def test_fault_json_round_trip() -> None:
    """A fault read from JSON describes itself the same way."""
    data = {
        "latency": 1,
        "status": 302,
        "body": "<html>",
        "body_repeat": 2,
        "content_type": "text/html",
        "headers": {"Location": "/login"},
        "fields": {"hasNoSignal": "yes"},
        "remove_fields": ["siteName"],
        "drop": False,
        "count": 3,
    }

    fault = Fault.from_json(data)

    assert fault.body == b"<html>"
    assert fault.remove_fields == ("siteName",)
    assert fault.to_json() == data
    assert Fault.from_json({}) == Fault()
    assert Fault.from_json({"body": None}).to_json()["body"] is None


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ({"sleep": 1}, ValueError, "unknown fault field 'sleep'"),
        ({"latency": "1"}, TypeError, "'latency' has the wrong type"),
        ({"latency": True}, TypeError, "'latency' has the wrong type"),
        ({"status": 500.0}, TypeError, "'status' has the wrong type"),
        ({"drop": 1}, TypeError, "'drop' has the wrong type"),
        ({"headers": {"A": 1}}, TypeError, "header values must be strings"),
        ({"remove_fields": [1]}, TypeError, "remove_fields must be a list of strings"),
        ({"count": -1}, ValueError, "count must be at least 1"),
    ],
)
def test_fault_from_bad_json(
    data: dict[str, object], error: type[Exception], message: str
) -> None:
    """Unknown fields, wrong types and bad values are refused."""
    with pytest.raises(error, match=message):
        Fault.from_json(data)


# Request log


async def test_requests_are_logged_without_tokens(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Each API request is logged with its outcome; the token never is."""
    await api(session, simulator)
    await api(session, simulator, "PUT", body={"action": "start"}, token="bad-token")
    await api(session, simulator, "PUT", data=b"{oops")
    await api(session, simulator, path="/api/nowhere", token=None)
    await control(session, simulator, "GET", "/state")

    entries = simulator.requests

    assert [
        (entry.method, entry.path, entry.body, entry.status, entry.authorized)
        for entry in entries
    ] == [
        ("GET", STATUS_PATH, None, 200, True),
        ("PUT", STATUS_PATH, {"action": "start"}, 401, False),
        ("PUT", STATUS_PATH, None, 400, True),
        ("GET", "/api/nowhere", None, 404, False),
    ]
    assert [entry.time for entry in entries] == sorted(entry.time for entry in entries)
    assert all(isinstance(entry, RecordedRequest) for entry in entries)
    for text in (
        repr(entries),
        (await control(session, simulator, "GET", "/requests")).body,
    ):
        assert GOOD not in str(text)
        assert "bad-token" not in str(text)

    simulator.clear_requests()

    assert simulator.requests == ()


# Lifecycle


async def test_url_and_port(simulator: MediaScribeSimulator) -> None:
    """The base URL is http://127.0.0.1:<port> with no path."""
    assert simulator.port > 0
    assert simulator.url == f"http://127.0.0.1:{simulator.port}"


async def test_not_running() -> None:
    """URL and port need a running server; stop is harmless when not running."""
    simulator = MediaScribeSimulator(tokens=[GOOD])

    await simulator.stop()

    with pytest.raises(RuntimeError, match="not running"):
        _ = simulator.url
    with pytest.raises(RuntimeError, match="not running"):
        _ = simulator.port


async def test_start_twice_is_refused(simulator: MediaScribeSimulator) -> None:
    """A running simulator cannot be started again."""
    with pytest.raises(RuntimeError, match="already running"):
        await simulator.start()


async def test_port_in_use(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """A busy port raises OSError and leaves the simulator startable."""
    second = MediaScribeSimulator(tokens=[GOOD])

    with pytest.raises(OSError, match="address already in use"):
        await second.start(port=simulator.port)

    async with second:
        assert (await api(session, second)).status == 200


async def test_simulators_are_independent(
    make_simulator: MakeSimulator, session: aiohttp.ClientSession
) -> None:
    """Two simulators in one process share no state."""
    first = await make_simulator(site_name="First")
    second = await make_simulator(site_name="Second", tokens=["second-only"])
    first.add_fault(Fault(status=500))

    assert (await api(session, first)).status == 500
    answer = await api(session, second, token="second-only")

    assert answer.json()["siteName"] == "Second"
    assert (await api(session, second)).status == 401
    assert len(second.requests) == 2


# Control endpoint


async def test_control_state(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """GET /state shows the status document, settings and counts, not tokens."""
    simulator.add_fault(Fault(status=500, count=2))
    await api(session, simulator)

    state = (await control(session, simulator, "GET", "/state")).json()

    assert state == {
        "status": simulator.status_document(),
        "put_response": "status",
        "preset_change": "apply",
        "token_count": 2,
        "faults": [Fault(status=500, count=1).to_json()],
        "request_count": 1,
    }


async def test_control_patch_state(
    make_simulator: MakeSimulator, session: aiohttp.ClientSession
) -> None:
    """PATCH /state changes every setting it names and leaves the rest."""
    simulator = await make_simulator(presets=["Default", "Wide"])

    answer = await control(
        session,
        simulator,
        "PATCH",
        "/state",
        {
            "site_name": "Capital City",
            "active_preset_id": "dangling",
            "has_no_signal": True,
            "recording": True,
            "put_response": "ack",
            "preset_change": "reject",
        },
    )

    assert answer.status == 200
    state = answer.json()
    assert state["status"]["siteName"] == "Capital City"
    assert state["status"]["activePresetId"] == "dangling"
    assert state["status"]["hasNoSignal"] is True
    assert state["status"]["recording"]["position"] == 0
    assert (state["put_response"], state["preset_change"]) == ("ack", "reject")
    assert (simulator.put_response, simulator.preset_change) == ("ack", "reject")

    unchanged = await control(session, simulator, "PATCH", "/state", {})
    stopped = await control(session, simulator, "PATCH", "/state", {"recording": False})

    assert unchanged.json() == state
    assert "recording" not in stopped.json()["status"]
    assert stopped.json()["status"]["siteName"] == "Capital City"


@pytest.mark.parametrize(
    ("body", "data", "error"),
    [
        ({"colour": "red"}, None, "unknown state fields: colour"),
        ({"has_no_signal": "yes"}, None, "has_no_signal must be a bool"),
        ({"site_name": 5}, None, "site_name must be a str"),
        (
            {"put_response": "loud"},
            None,
            "put_response must be one of status, ack, empty",
        ),
        ({"preset_change": 1}, None, "preset_change must be a str"),
        ([1], None, "the body must be a JSON object"),
        (None, b"{", "Expecting property name"),
    ],
)
async def test_control_patch_state_refusals(
    simulator: MediaScribeSimulator,
    session: aiohttp.ClientSession,
    body: object,
    data: bytes | None,
    error: str,
) -> None:
    """A bad PATCH gets 400 with a reason and changes nothing."""
    before = simulator.status_document()

    answer = await control(session, simulator, "PATCH", "/state", body, data=data)

    assert answer.status == 400
    assert error in answer.json()["error"]
    assert simulator.status_document() == before


async def test_control_patch_state_is_all_or_nothing(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """One bad field keeps the good ones from being applied."""
    answer = await control(
        session,
        simulator,
        "PATCH",
        "/state",
        {"site_name": "Ogdenville", "preset_change": "never"},
    )

    assert answer.status == 400
    assert simulator.site_name == "Springfield City Council"


async def test_control_presets(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Presets are added, renamed and removed over HTTP."""
    added = await control(session, simulator, "POST", "/presets", {"name": "Wide"})
    chosen = await control(
        session, simulator, "POST", "/presets", {"name": "Close", "id": "close-id"}
    )
    wide = added.json()["id"]

    renamed = await control(
        session, simulator, "PATCH", f"/presets/{wide}", {"name": "Very wide"}
    )
    removed = await control(session, simulator, "DELETE", "/presets/close-id")

    assert (added.status, chosen.status) == (201, 201)
    assert chosen.json() == {"id": "close-id"}
    assert renamed.json()["status"]["presets"][1] == {"id": wide, "name": "Very wide"}
    assert removed.status == 200
    assert [preset.name for preset in simulator.presets] == ["Default", "Very wide"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("POST", "/presets", {}, 400, "name is required"),
        ("POST", "/presets", {"name": "X", "id": 3}, 400, "id must be a str"),
        ("PATCH", "/presets/missing", {"name": "X"}, 404, "unknown preset missing"),
        ("PATCH", "/presets/missing", {}, 400, "name is required"),
        ("DELETE", "/presets/missing", None, 404, "unknown preset missing"),
    ],
)
async def test_control_preset_refusals(
    simulator: MediaScribeSimulator,
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    body: object,
    status: int,
    error: str,
) -> None:
    """Missing names and unknown ids are refused with a reason."""
    answer = await control(session, simulator, method, path, body)

    assert answer.status == status
    assert answer.json() == {"error": error}
    assert len(simulator.presets) == 1


async def test_control_duplicate_preset_id(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """An id already in use is refused."""
    taken = simulator.presets[0].id

    answer = await control(
        session, simulator, "POST", "/presets", {"name": "Twin", "id": taken}
    )

    assert answer.status == 400
    assert answer.json() == {"error": f"preset id {taken} is already in use"}


async def test_control_tokens(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Tokens are added and revoked over HTTP and never echoed."""
    added = await control(session, simulator, "POST", "/tokens", {"token": "new-one"})
    revoked = await control(
        session, simulator, "POST", "/tokens/revoke", {"token": GOOD}
    )
    missing = await control(session, simulator, "POST", "/tokens", {})
    empty = await control(session, simulator, "POST", "/tokens", {"token": ""})

    assert added.json()["token_count"] == 3
    assert revoked.json()["token_count"] == 2
    assert b"new-one" not in added.body
    assert (missing.status, missing.json()) == (400, {"error": "token is required"})
    assert (empty.status, empty.json()) == (400, {"error": "a token must not be empty"})
    assert (await api(session, simulator, token="new-one")).status == 200
    assert (await api(session, simulator, token=GOOD)).status == 401


async def test_control_faults(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """Faults are added and cleared over HTTP."""
    added = await control(
        session, simulator, "POST", "/faults", {"status": 500, "count": 1}
    )
    refused = await control(session, simulator, "POST", "/faults", {"status": "500"})

    assert added.json()["faults"] == [Fault(status=500, count=1).to_json()]
    assert refused.status == 400
    assert (await api(session, simulator)).status == 500

    await control(session, simulator, "POST", "/faults", {"drop": True})
    cleared = await control(session, simulator, "DELETE", "/faults")

    assert cleared.json()["faults"] == []
    assert (await api(session, simulator)).status == 200


async def test_control_requests(
    simulator: MediaScribeSimulator, session: aiohttp.ClientSession
) -> None:
    """The request log is read and cleared over HTTP."""
    await api(session, simulator, "PUT", body={"action": "start"})

    listed = await control(session, simulator, "GET", "/requests")
    cleared = await control(session, simulator, "DELETE", "/requests")

    [entry] = listed.json()["requests"]
    assert entry["method"] == "PUT"
    assert entry["path"] == STATUS_PATH
    assert entry["body"] == {"action": "start"}
    assert entry["status"] == 200
    assert entry["authorized"] is True
    assert isinstance(entry["time"], float)
    assert cleared.status == 204
    assert simulator.requests == ()
