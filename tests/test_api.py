"""Tests for the MediaScribe HTTP client, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
import socket
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.mediascribe.api import (
    MAX_BODY_BYTES,
    USER_AGENT,
    VERSION,
    InvalidURLError,
    MediaScribeAuthenticationError,
    MediaScribeClient,
    MediaScribeConnectionError,
    MediaScribeError,
    MediaScribeResponseError,
    MediaScribeTimeoutError,
    Preset,
    Recording,
    Status,
)
from simulator import STATUS_PATH, Fault, MediaScribeSimulator

from .conftest import TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    type Call = Callable[[MediaScribeClient], Awaitable[Status | None]]

pytestmark = pytest.mark.usefixtures("socket_enabled")

FIXTURES = Path(__file__).parent / "fixtures"
MANIFEST = Path(__file__).parents[1] / "custom_components/mediascribe/manifest.json"
ARTICLE_PRESET = Preset("aa638eeb-854b-4e14-87a5-500be376f948", "Default")
ARTICLE_PATH = (
    "E:\\recordings\\New Meeting 2025-08-21T19-05-37.170Z\\"
    "New Meeting 2025-08-21T19-05-37.170Z.mp4"
)
WIDE_ID = "preset-wide-shot"


def get_status(client: MediaScribeClient) -> Awaitable[Status | None]:
    """Read the status (a Call, for parametrizing over requests)."""
    return client.get_status()


def start(client: MediaScribeClient) -> Awaitable[Status | None]:
    """Start recording (a Call, for parametrizing over requests)."""
    return client.start()


def json_body(data: object) -> bytes:
    """Encode a JSON answer body."""
    return json.dumps(data).encode()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return a client session shared with the client, closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def client(
    session: aiohttp.ClientSession, simulator: MediaScribeSimulator
) -> MediaScribeClient:
    """Return a client for the simulator using the shared session."""
    return MediaScribeClient(session, simulator.url, TOKEN, request_timeout=5)


# Reading the status


@pytest.mark.parametrize(
    ("fixture", "recording"),
    [
        ("status_ready.json", None),
        ("status_recording.json", Recording(position=4, path=ARTICLE_PATH)),
    ],
)
async def test_get_status_article_responses(
    client: MediaScribeClient,
    simulator: MediaScribeSimulator,
    fixture: str,
    recording: Recording | None,
) -> None:
    """The article's two example answers, served verbatim, become statuses."""
    simulator.add_fault(Fault(body=(FIXTURES / fixture).read_bytes()))

    status = await client.get_status()

    assert status == Status(
        site_name="Your City's MediaScribe",
        presets=(ARTICLE_PRESET,),
        active_preset_id=ARTICLE_PRESET.id,
        has_no_signal=False,
        recording=recording,
    )
    assert status.is_recording is (recording is not None)
    [request] = simulator.requests
    assert (request.method, request.path, request.body) == ("GET", STATUS_PATH, None)
    assert request.authorized
    assert request.status == 200


@pytest.mark.parametrize(
    ("call", "method", "body"),
    [(get_status, "GET", b""), (start, "PUT", b'{"action": "start"}')],
)
async def test_request_headers_and_base_path(
    session: aiohttp.ClientSession, call: Call, method: str, body: bytes
) -> None:
    """Every request asks for JSON, carries the token and names the integration."""
    seen: list[web.Request] = []
    bodies: list[bytes] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request)
        bodies.append(await request.read())
        return web.Response(
            body=(FIXTURES / "status_ready.json").read_bytes(),
            content_type="application/json",
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    async with TestServer(app, host="127.0.0.1") as server:
        base = str(server.make_url("/recorder/"))
        client = MediaScribeClient(session, base, TOKEN)
        assert client.url == base.rstrip("/")

        status = await call(client)

    assert status is not None
    assert status.site_name == "Your City's MediaScribe"
    [request] = seen
    assert request.method == method
    assert request.path == f"/recorder{STATUS_PATH}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["User-Agent"] == USER_AGENT
    assert "MediaScribe" in USER_AGENT
    assert USER_AGENT.endswith(f"/{VERSION}")
    assert bodies == [body]


def test_version_matches_the_manifest() -> None:
    """The User-Agent's version is the integration's released version."""
    assert json.loads(MANIFEST.read_text())["version"] == VERSION


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(
            {"firmware": "4.2.1", "uptime": 86400, "network": {"ip": "10.0.0.5"}},
            id="unknown-fields",
        ),
        pytest.param(
            {
                "siteName": "Conseil municipal de Montréal \u2013 Salle 2 🎙️",
                "presets": [
                    {"id": "préréglage-1", "name": "会議室"},
                    {"id": "p2", "name": "Sitzungssaal „Rathaus“"},
                ],
                "activePresetId": "préréglage-1",
                "recording": {"position": 61, "path": "E:\\録音\\Réunion ü.mp4"},
            },
            id="unicode",
        ),
        pytest.param(
            {
                "siteName": "S" * 10_000,
                "presets": [{"id": "p" * 500, "name": "N" * 5_000}],
                "activePresetId": "p" * 500,
                "recording": {
                    "position": 3600,
                    "path": "E:\\" + "\\".join(["Ordner ü"] * 2_000) + ".mp4",
                },
            },
            id="long",
        ),
    ],
)
async def test_status_round_trips(
    client: MediaScribeClient, simulator: MediaScribeSimulator, doc: dict[str, Any]
) -> None:
    """Unicode (as raw UTF-8), very long values and unknown fields come through."""
    served = simulator.status_document() | doc
    body = json.dumps(served, ensure_ascii=False).encode()
    simulator.add_fault(Fault(body=body))

    status = await client.get_status()

    assert status.site_name == served["siteName"]
    assert status.presets == tuple(
        Preset(preset["id"], preset["name"]) for preset in served["presets"]
    )
    assert status.active_preset_id == served["activePresetId"]
    assert status.recording == (
        Recording(**served["recording"]) if "recording" in served else None
    )
    assert status.raw == served


async def test_status_follows_the_recorder(
    client: MediaScribeClient, simulator: MediaScribeSimulator
) -> None:
    """Each call reads the recorder's current state anew."""
    assert not (await client.get_status()).is_recording
    simulator.start_recording()
    simulator.has_no_signal = True
    status = await client.get_status()
    assert status.is_recording
    assert status.has_no_signal


# Commands


COMMANDS = [
    pytest.param(start, {"action": "start"}, False, True, None, id="start"),
    pytest.param(
        lambda client: client.stop(), {"action": "stop"}, True, False, None, id="stop"
    ),
    pytest.param(
        lambda client: client.set_active_preset(WIDE_ID),
        {"activePresetId": WIDE_ID},
        False,
        False,
        WIDE_ID,
        id="set_active_preset",
    ),
]


@pytest.mark.parametrize("put_response", ["status", "ack", "empty"])
@pytest.mark.parametrize(
    ("call", "body", "recording_before", "recording_after", "preset_after"), COMMANDS
)
async def test_commands(
    client: MediaScribeClient,
    simulator: MediaScribeSimulator,
    put_response: Any,
    call: Call,
    body: dict[str, str],
    recording_before: bool,
    recording_after: bool,
    preset_after: str | None,
) -> None:
    """Each command sends its exact body; a status answer is returned, else None."""
    default_preset = simulator.active_preset_id
    simulator.add_preset("Wide shot", WIDE_ID)
    simulator.put_response = put_response
    if recording_before:
        simulator.start_recording()

    result = await call(client)

    [request] = simulator.requests
    assert (request.method, request.path, request.body) == ("PUT", STATUS_PATH, body)
    assert request.authorized
    assert simulator.is_recording is recording_after
    assert simulator.active_preset_id == (preset_after or default_preset)
    if put_response == "status":
        assert result is not None
        assert result.is_recording is recording_after
        assert result.active_preset_id == simulator.active_preset_id
        assert result.presets[-1] == Preset(WIDE_ID, "Wide shot")
    else:
        assert result is None


@pytest.mark.parametrize(
    "ack",
    [b'{"success": true}', b'{"ok": 1, "state": "recording"}', b"[]", b'"done"'],
)
async def test_command_ack_that_is_not_a_status(
    client: MediaScribeClient, simulator: MediaScribeSimulator, ack: bytes
) -> None:
    """Any JSON answer to a command that does not look like a status means None."""
    simulator.add_fault(Fault(body=ack))

    assert await client.start() is None
    assert simulator.is_recording


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault(fields={"hasNoSignal": "no"}), "'hasNoSignal' should be a boolean"),
        (Fault(body=b'{"siteName": "Hall"}'), "no 'presets' field"),
        (Fault(body=b"<html>OK</html>", content_type="text/html"), "not JSON"),
    ],
)
async def test_command_answer_that_is_a_broken_status(
    client: MediaScribeClient,
    simulator: MediaScribeSimulator,
    fault: Fault,
    message: str,
) -> None:
    """An answer that claims to be a status (or is not JSON) must be valid."""
    simulator.add_fault(fault)

    with pytest.raises(MediaScribeResponseError, match=message) as err:
        await client.stop()

    assert err.value.status == 200


async def test_unknown_preset_is_refused_by_the_server(
    client: MediaScribeClient, simulator: MediaScribeSimulator
) -> None:
    """The recorder's own 400 and its reason reach the caller."""
    before = simulator.active_preset_id

    with pytest.raises(MediaScribeResponseError, match="Unknown preset id") as err:
        await client.set_active_preset("no-such-preset")

    assert err.value.status == 400
    assert simulator.active_preset_id == before


# HTTP errors


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_token(
    client: MediaScribeClient, simulator: MediaScribeSimulator, status: int
) -> None:
    """401 and 403 are authentication errors, not response or connection errors."""
    simulator.add_fault(Fault(status=status, body=b'{"error": "Unauthorized"}'))

    with pytest.raises(MediaScribeAuthenticationError, match=f"HTTP {status}") as err:
        await client.get_status()

    assert not isinstance(
        err.value, MediaScribeResponseError | MediaScribeConnectionError
    )


@pytest.mark.parametrize("call", [get_status, start])
async def test_wrong_token(
    session: aiohttp.ClientSession, simulator: MediaScribeSimulator, call: Call
) -> None:
    """A token the recorder does not know gives an authentication error."""
    client = MediaScribeClient(session, simulator.url, "not-the-token")

    with pytest.raises(MediaScribeAuthenticationError):
        await call(client)

    [request] = simulator.requests
    assert not request.authorized
    assert request.status == 401
    assert not simulator.is_recording


@pytest.mark.parametrize("status", [400, 404, 405, 409, 429, 500, 502, 503])
async def test_error_status_carries_the_server_message(
    client: MediaScribeClient, simulator: MediaScribeSimulator, status: int
) -> None:
    """Other error statuses are response errors with the server's own reason."""
    body = json_body({"error": f"Recorder says no ({status})"})
    simulator.add_fault(Fault(status=status, body=body))

    with pytest.raises(MediaScribeResponseError) as err:
        await client.get_status()

    assert str(err.value) == (
        f"The server answered HTTP {status}: Recorder says no ({status})"
    )
    assert err.value.status == status
    assert err.value.excerpt == body.decode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/json"),
        (b"<html><body>Bad Gateway</body></html>", "text/html"),
        (b'["error", "busy"]', "application/json"),
        (b'{"error": 42}', "application/json"),
        (b'{"message": "busy"}', "application/json"),
    ],
)
async def test_error_status_without_a_usable_reason(
    client: MediaScribeClient,
    simulator: MediaScribeSimulator,
    body: bytes,
    content_type: str,
) -> None:
    """Without a JSON error string the message is just the status."""
    simulator.add_fault(Fault(status=502, body=body, content_type=content_type))

    with pytest.raises(MediaScribeResponseError) as err:
        await client.get_status()

    assert str(err.value) == "The server answered HTTP 502"
    assert err.value.excerpt == body.decode()


async def test_long_error_reason_is_excerpted(
    client: MediaScribeClient, simulator: MediaScribeSimulator
) -> None:
    """A long reason and body are cut to a short excerpt with whitespace folded."""
    reason = "word\n\t " * 300
    simulator.add_fault(Fault(status=500, body=json_body({"error": reason})))

    with pytest.raises(MediaScribeResponseError) as err:
        await client.get_status()

    detail = str(err.value).removeprefix("The server answered HTTP 500: ")
    assert len(detail) == 200
    assert detail == ("word " * 40)[:199] + "…"
    assert len(err.value.excerpt) == 200
    assert err.value.excerpt.endswith("…")


async def test_wrong_base_path_is_a_404(
    session: aiohttp.ClientSession, simulator: MediaScribeSimulator
) -> None:
    """A base URL with a wrong path reaches no API: a plain 404, not a status."""
    client = MediaScribeClient(session, f"{simulator.url}/nope", TOKEN)

    with pytest.raises(MediaScribeResponseError) as err:
        await client.get_status()

    assert err.value.status == 404
    assert simulator.requests == ()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_is_reported_not_followed(
    client: MediaScribeClient, simulator: MediaScribeSimulator, status: int
) -> None:
    """A redirect names its target and is not followed, even to a working API."""
    target = f"{simulator.url}{STATUS_PATH}"
    simulator.add_fault(Fault(status=status, headers={"Location": target}, count=1))

    with pytest.raises(MediaScribeResponseError) as err:
        await client.get_status()

    assert f"HTTP {status}" in str(err.value)
    assert f"to {target};" in str(err.value)
    assert err.value.status == status
    assert len(simulator.requests) == 1


async def test_redirect_without_location(
    client: MediaScribeClient, simulator: MediaScribeSimulator
) -> None:
    """A redirect without a target still says it was one."""
    simulator.add_fault(Fault(status=302))

    with pytest.raises(MediaScribeResponseError, match=r"HTTP 302\) to nowhere"):
        await client.get_status()


# Malformed answers


@pytest.mark.parametrize(
    ("fault", "message", "excerpt"),
    [
        pytest.param(
            Fault(
                body=b"<!DOCTYPE html>\n<html>Login</html>", content_type="text/html"
            ),
            "not JSON",
            "<!DOCTYPE html> <html>Login</html>",
            id="html",
        ),
        pytest.param(
            Fault(body=(FIXTURES / "status_ready.json").read_bytes()[:60]),
            "not JSON",
            '{ "siteName": "Your City\'s MediaScribe", "presets": [',
            id="truncated",
        ),
        pytest.param(
            Fault(body=b'{"siteName": "\xff"}'),
            "not JSON",
            '{"siteName": "\ufffd"}',
            id="invalid-utf8",
        ),
        pytest.param(
            Fault(body=b'{"success": true}'),
            "no 'presets' field",
            "",
            id="ack-on-get",
        ),
        pytest.param(
            Fault(body=b"[1, 2]"),
            "'status document' should be an object, not array",
            "[1, 2]",
            id="array",
        ),
        pytest.param(
            Fault(remove_fields=("presets",)),
            "no 'presets' field",
            "",
            id="missing-field",
        ),
        pytest.param(
            Fault(fields={"recording": {"position": "4", "path": "E:\\x.mp4"}}),
            "'recording.position' should be a number, not string",
            '"4"',
            id="wrong-type",
        ),
    ],
)
async def test_malformed_status(
    client: MediaScribeClient,
    simulator: MediaScribeSimulator,
    fault: Fault,
    message: str,
    excerpt: str,
) -> None:
    """A 200 answer that is not a valid status document is a response error."""
    simulator.add_fault(fault)

    with pytest.raises(MediaScribeResponseError, match=message) as err:
        await client.get_status()

    assert err.value.status == 200
    assert err.value.excerpt == excerpt


@pytest.mark.parametrize("body", [b"", b"  \r\n\t"])
async def test_empty_status_body(
    client: MediaScribeClient, simulator: MediaScribeSimulator, body: bytes
) -> None:
    """A status request answered without a body is a response error."""
    simulator.add_fault(Fault(body=body))

    with pytest.raises(MediaScribeResponseError, match="no body"):
        await client.get_status()


async def test_body_of_exactly_the_limit_is_read(
    client: MediaScribeClient, simulator: MediaScribeSimulator
) -> None:
    """A (padded) status document of exactly the size limit is still accepted."""
    doc = (FIXTURES / "status_ready.json").read_bytes()
    simulator.add_fault(Fault(body=doc + b" " * (MAX_BODY_BYTES - len(doc))))

    status = await client.get_status()

    assert status.site_name == "Your City's MediaScribe"


@pytest.mark.parametrize("call", [get_status, start])
async def test_body_over_the_limit_is_refused(
    client: MediaScribeClient, simulator: MediaScribeSimulator, call: Call
) -> None:
    """One byte over the limit is refused without reading on."""
    doc = (FIXTURES / "status_ready.json").read_bytes()
    simulator.add_fault(Fault(body=doc + b" " * (MAX_BODY_BYTES - len(doc) + 1)))

    with pytest.raises(MediaScribeResponseError, match="more than 1024 KiB") as err:
        await call(client)

    assert err.value.status == 200
    assert err.value.excerpt.startswith('{ "siteName": "Your City\'s MediaScribe"')


# Connection problems


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    """A port nobody listens on gives a connection error naming the server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = MediaScribeClient(session, f"127.0.0.1:{port}", TOKEN)

    with pytest.raises(MediaScribeConnectionError) as err:
        await client.get_status()

    assert not isinstance(err.value, MediaScribeTimeoutError)
    assert str(err.value).startswith(f"Cannot reach http://127.0.0.1:{port}: ")
    assert isinstance(err.value.__cause__, aiohttp.ClientConnectionError)


@pytest.mark.parametrize("call", [get_status, start])
async def test_dropped_connection(
    client: MediaScribeClient, simulator: MediaScribeSimulator, call: Call
) -> None:
    """A connection closed without an answer is a connection error."""
    simulator.add_fault(Fault(drop=True))

    with pytest.raises(MediaScribeConnectionError) as err:
        await call(client)

    assert not isinstance(err.value, MediaScribeTimeoutError)
    assert "Cannot reach" in str(err.value)
    assert simulator.requests
    assert all(request.status is None for request in simulator.requests)
    assert not simulator.is_recording


@pytest.mark.parametrize("call", [get_status, start])
async def test_timeout(
    session: aiohttp.ClientSession, simulator: MediaScribeSimulator, call: Call
) -> None:
    """A slow answer is a timeout, which is also a connection error."""
    client = MediaScribeClient(session, simulator.url, TOKEN, request_timeout=0.2)
    simulator.add_fault(Fault(latency=5))

    with pytest.raises(MediaScribeTimeoutError) as err:
        await call(client)

    assert isinstance(err.value, MediaScribeConnectionError)
    assert str(err.value) == f"{simulator.url} did not answer within 0.2 seconds"
    assert len(simulator.requests) == 1


# The token stays secret


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        pytest.param(
            Fault(status=500, body=json_body({"error": f"bad token {TOKEN}"})),
            MediaScribeResponseError,
            id="error-reason",
        ),
        pytest.param(
            Fault(status=401, body=json_body({"error": f"unknown token {TOKEN}"})),
            MediaScribeAuthenticationError,
            id="auth",
        ),
        pytest.param(
            Fault(body=f"<p>Welcome {TOKEN}</p>".encode(), content_type="text/html"),
            MediaScribeResponseError,
            id="not-json",
        ),
        pytest.param(
            Fault(
                status=302,
                headers={"Location": f"https://sso.example/login?token={TOKEN}"},
                body=TOKEN.encode(),
            ),
            MediaScribeResponseError,
            id="redirect",
        ),
        pytest.param(
            Fault(fields={"hasNoSignal": TOKEN}),
            MediaScribeResponseError,
            id="wrong-type",
        ),
        pytest.param(
            Fault(body=f"{TOKEN} ".encode(), body_repeat=MAX_BODY_BYTES // 10),
            MediaScribeResponseError,
            id="oversized",
        ),
        pytest.param(
            Fault(status=400, body=f"x{TOKEN}".encode() * 50),
            MediaScribeResponseError,
            id="long-body",
        ),
    ],
)
async def test_token_never_in_errors(
    client: MediaScribeClient,
    simulator: MediaScribeSimulator,
    fault: Fault,
    error: type[MediaScribeError],
) -> None:
    """A server echoing the token back does not get it into an error."""
    simulator.add_fault(fault)

    with pytest.raises(error) as err:
        await client.get_status()

    texts = [str(err.value), repr(err.value), *map(str, err.value.args)]
    excerpt = getattr(err.value, "excerpt", "")
    assert not [text for text in [*texts, excerpt] if TOKEN in text]
    if excerpt:
        assert "***" in excerpt
    assert TOKEN not in repr(client)


def test_repr_names_the_server_only(session: aiohttp.ClientSession) -> None:
    """The client's repr shows where it connects, not how it authenticates."""
    client = MediaScribeClient(session, "Recorder.local:8099/", TOKEN)

    assert repr(client) == "MediaScribeClient(url='http://recorder.local:8099')"


# Construction and session ownership


@pytest.mark.parametrize("token", ["", None])
def test_token_required(token: Any) -> None:
    """A client without a token is refused at once."""
    with pytest.raises(ValueError, match="token is required"):
        MediaScribeClient(None, "recorder.local", token)


@pytest.mark.parametrize("url", ["", "ftp://recorder.local", "http://host:99999"])
def test_invalid_url(url: str) -> None:
    """An unusable address is refused at construction, not on first use."""
    with pytest.raises(InvalidURLError):
        MediaScribeClient(None, url, TOKEN)


async def test_own_session_is_created_and_closed(
    simulator: MediaScribeSimulator,
) -> None:
    """Without a session the client makes one, reuses it and closes it on exit."""
    async with MediaScribeClient(None, simulator.url, TOKEN) as client:
        assert client._session is None
        await client.get_status()
        own = client._session
        assert own is not None
        assert not own.closed
        await client.start()
        assert client._session is own

    assert own.closed
    assert len(simulator.requests) == 2


async def test_unused_client_closes_cleanly() -> None:
    """Closing a client that never sent a request creates nothing to close."""
    async with MediaScribeClient(None, "recorder.local", TOKEN) as client:
        pass

    assert client._session is None


async def test_shared_session_is_left_open(
    session: aiohttp.ClientSession, simulator: MediaScribeSimulator
) -> None:
    """A session passed in belongs to the caller and survives close()."""
    async with MediaScribeClient(session, simulator.url, TOKEN) as client:
        await client.get_status()
    await client.close()

    assert not session.closed
    assert client._session is session
    assert not (await client.get_status()).is_recording


async def test_token_needing_json_escapes_never_in_errors(
    session: aiohttp.ClientSession, simulator: MediaScribeSimulator
) -> None:
    """A token that JSON escapes (quotes, non-ASCII) is removed in that form too."""
    token = 'tök"en\\42'
    simulator.add_token(token)
    client = MediaScribeClient(session, simulator.url, token)
    simulator.add_fault(Fault(fields={"siteName": [token]}))

    with pytest.raises(MediaScribeResponseError) as err:
        await client.get_status()

    assert err.value.excerpt == '["***"]'
    assert json.dumps(token)[1:-1] not in str(err.value)
