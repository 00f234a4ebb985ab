"""Tests for the MediaScribe HTTP client, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
import gzip
import html
import json
import math
from operator import methodcaller
from pathlib import Path
import re
import socket
import tracemalloc
from typing import TYPE_CHECKING, Any
from unittest.mock import Mock, patch
from urllib.parse import quote, unquote
import zlib

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.mediascribe import api
from custom_components.mediascribe.api import (
    MAX_BODY_BYTES,
    MAX_POSITION_SECONDS,
    MAX_RETRY_AFTER,
    InvalidTokenError,
    InvalidURLError,
    MediaScribeAuthenticationError,
    MediaScribeBusyError,
    MediaScribeClient,
    MediaScribeConnectionError,
    MediaScribeError,
    MediaScribeHostNotFoundError,
    MediaScribeResponseError,
    MediaScribeServerError,
    MediaScribeTimeoutError,
    Preset,
    Recording,
    Status,
    exposes_token,
    normalize_token,
    normalize_url,
)
from simulator import STATUS_PATH, Fault, MediaScribeSimulator

from .conftest import TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    type Call = Callable[[MediaScribeClient], Awaitable[Status | None]]

pytestmark = pytest.mark.usefixtures("socket_enabled")

FIXTURES = Path(__file__).parent / "fixtures"
READY = (FIXTURES / "status_ready.json").read_bytes()
ARTICLE_PRESET = Preset("aa638eeb-854b-4e14-87a5-500be376f948", "Default")
ARTICLE_PATH = (
    "E:\\recordings\\New Meeting 2025-08-21T19-05-37.170Z\\"
    "New Meeting 2025-08-21T19-05-37.170Z.mp4"
)
# Characters that JSON, URLs and HTML all escape, as base64 tokens have them.
SLASHY_TOKEN = "ab/cd+ef=gh&ij"


# What holds for reading the status holds for a command's answer too.
CALLS = pytest.mark.parametrize(
    "call", [methodcaller("get_status"), methodcaller("start")], ids=["get", "start"]
)


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


def ready_doc(**changes: Any) -> dict[str, Any]:
    """Return the article's ready example with fields replaced (... removes one)."""
    doc = json.loads(READY) | changes
    return {key: value for key, value in doc.items() if value is not ...}


# The status model


ARTICLE = Status(
    site_name="Your City's MediaScribe",
    presets=(ARTICLE_PRESET,),
    active_preset_id=ARTICLE_PRESET.id,
    has_no_signal=False,
    recording=None,
)


@pytest.mark.parametrize(
    ("fixture", "recording"),
    [
        ("status_ready.json", None),
        ("status_recording.json", Recording(4, ARTICLE_PATH)),
    ],
)
async def test_article_examples(
    client: MediaScribeClient,
    simulator: MediaScribeSimulator,
    fixture: str,
    recording: Recording | None,
) -> None:
    """The article's two example answers, served verbatim, become statuses."""
    simulator.add_fault(Fault(body=(FIXTURES / fixture).read_bytes()))

    assert await client.get_status() == replace(ARTICLE, recording=recording)
    [request] = simulator.requests
    assert (request.method, request.path, request.body) == ("GET", STATUS_PATH, None)
    assert request.authorized


def test_unknown_fields_ignored_optional_fields_absent() -> None:
    """Unknown fields are ignored; a missing preset id or null recording is None."""
    doc = ready_doc(activePresetId=..., recording=None, firmware={"v": [1, 2]})

    assert Status.from_dict(doc) == replace(ARTICLE, active_preset_id=None)


@pytest.mark.parametrize(
    ("position", "seconds"),
    [(0, 0), (12.9, 12), (MAX_POSITION_SECONDS, MAX_POSITION_SECONDS)],
)
def test_position_in_whole_seconds(position: float, seconds: int) -> None:
    """A plausible position is read as whole seconds."""
    doc = ready_doc(recording={"position": position, "path": "p"})

    assert Status.from_dict(doc).recording == Recording(seconds, "p")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"siteName": ...}, "no 'siteName' field"),
        ({"siteName": None}, "'siteName' should be a string, not null"),
        ({"presets": [1]}, "'presets[0]' should be an object, not number 1"),
        ({"presets": [{"id": "a"}]}, "no 'presets[0].name' field"),
        ({"presets": [{"id": 5, "name": "x"}]}, "'presets[0].id' should be a string"),
        ({"activePresetId": 7}, "'activePresetId' should be a string, not number 7"),
        ({"hasNoSignal": "false"}, "'hasNoSignal' should be a boolean, not string"),
        ({"recording": []}, "'recording' should be an object, not array"),
        ({"recording": {"position": 1}}, "no 'recording.path' field"),
        ({"recording": {"position": 1, "path": 2}}, "'recording.path' should be a"),
    ]
    # A position is whole seconds: negative, not finite, huge or boolean is refused.
    + [
        ({"recording": {"position": bad, "path": "p"}}, "'recording.position'")
        for bad in (-1, -0.5, math.nan, math.inf, 10**30, 10**4000, True, "4")
    ],
)
def test_wrong_field_is_named(changes: dict[str, Any], message: str) -> None:
    """Each missing, mistyped or implausible field raises a short error naming it."""
    with pytest.raises(MediaScribeResponseError, match=re.escape(message)) as err:
        Status.from_dict(ready_doc(**changes))

    assert len(str(err.value)) < 300


# What a user types


ACCEPTED_URLS = {
    "http://host": ["  http://Host:80/  ", "host///", "host/api/control/status"],
    "https://host:8443/base": ["HTTPS://host:8443/base/API/Control/Status/"],
    "http://192.168.1.20:8080": ["192.168.1.20:8080"],
    "http://[::1]:8080": ["[::1]:8080"],
    "http://xn--bcher-kva.example": ["BÜCHER.example"],
    "http://recorder.example.": ["recorder.example."],
}


def pairs(groups: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Flatten {outcome: [typed text]} into (typed text, outcome) cases."""
    return [(text, outcome) for outcome, texts in groups.items() for text in texts]


@pytest.mark.parametrize(("text", "expected"), pairs(ACCEPTED_URLS))
def test_normalize_url(
    session: aiohttp.ClientSession, text: str, expected: str
) -> None:
    """Accepted spellings of a server address give one base URL, the client's."""
    client = MediaScribeClient(session, text, TOKEN)

    assert (normalize_url(text), normalize_url(expected)) == (expected, expected)
    # The repr shows where the client connects, not how it authenticates.
    assert repr(client) == f"MediaScribeClient(url={expected!r})"
    assert client.url == expected


REFUSED_URLS = {
    "empty": ["   "],
    "spaces or backslashes": [
        *("my recorder.local", "recorder.local :8080", "recorder\\local"),
        *("recorder\t.local", "recorder\u200b.local"),
    ],
    # Punycode that Python's idna codec refuses to decode, then bad ports.
    "not a valid URL": ["xn--zz--", "http://xn--a.com", "host:99999", "http://[::1"],
    "not a valid host name": ["a..b", f"{'a' * 64}.example", "-recorder.local"],
    "user name": ["user:pass@host"],
    "'?' or '#'": ["host/#frag"],
    "Unsupported scheme 'ftp'": ["ftp://host"],
}


@pytest.mark.parametrize(("text", "message"), pairs(REFUSED_URLS))
def test_normalize_url_refuses(text: str, message: str) -> None:
    """Typos and unusable addresses raise InvalidURLError saying what is wrong."""
    with pytest.raises(InvalidURLError, match=re.escape(message)):
        normalize_url(text)


ADDRESS_PARTS = st.sampled_from(
    [*"ab.:-/[]@?#%_1 \\ü\u00ad\u3000", "xn--", "http://", "::", "%25", "[::1]"]
)


@given(st.lists(ADDRESS_PARTS, max_size=12).map("".join) | st.text(max_size=20))
def test_normalize_url_any_text(text: str) -> None:
    """Any text gives a stable base URL or InvalidURLError, never another error."""
    try:
        url = normalize_url(text)
    except InvalidURLError:
        return
    assert normalize_url(url) == url


@pytest.mark.parametrize(
    ("text", "token"),
    [("  tok-1 \n", "tok-1"), (SLASHY_TOKEN, SLASHY_TOKEN), ("\tA.b_c~", "A.b_c~")]
    + [(bad, None) for bad in ("", " \t\n", "tok en", "tok\x00", "tök", "t\\k")],
)
def test_normalize_token(text: str, token: str | None) -> None:
    """A token is trimmed; white space, controls or non-ASCII inside are refused."""
    if token is None:
        with pytest.raises(InvalidTokenError):
            normalize_token(text)
    else:
        assert normalize_token(text) == token


EXPOSED = ("http://8.8.8.8", "http://[2001:4860::8888]", "http://a.org")
KEPT_LOCAL = ("https://a.org", "http://192.168.1.2", "http://[::1]", "http://nas")


@pytest.mark.parametrize("url", EXPOSED + KEPT_LOCAL + ("http://x.home.arpa",))
def test_exposes_token(url: str) -> None:
    """Only plain http to a public address or name exposes the token."""
    assert exposes_token(url) is (url in EXPOSED)


# HTTP statuses

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [
        ("5", 5.0),
        ("0", 1.0),
        ("86400", MAX_RETRY_AFTER),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        ("soon", None),
        ("nan", None),
        (None, None),
    ],
)
@pytest.mark.parametrize(
    ("status", "kind"), [(429, MediaScribeBusyError), (503, MediaScribeServerError)]
)
async def test_retry_after(
    client: MediaScribeClient,
    simulator: MediaScribeSimulator,
    retry_after: str | None,
    seconds: float | None,
    status: int,
    kind: type[MediaScribeResponseError],
) -> None:
    """Busy (429) and server errors carry the requested pause, bounded, or None."""
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    simulator.add_fault(Fault(status=status, headers=headers))

    # Only the API module's clock is frozen; the event loop keeps its own.
    with (
        patch.object(api, "time", Mock(time=NOW.timestamp)),
        pytest.raises(kind, match=f"HTTP {status}") as err,
    ):
        await client.get_status()

    assert (type(err.value), err.value.status) == (kind, status)
    assert err.value.retry_after == seconds


REASON = b'{"error": "Refused"}'
SERVER, RESPONSE, AUTH = (
    MediaScribeServerError,
    MediaScribeResponseError,
    MediaScribeAuthenticationError,
)


@pytest.mark.parametrize(
    ("fault", "kind", "message"),
    [
        (Fault(status=500, body=REASON), SERVER, "answered HTTP 500: Refused"),
        (Fault(status=502, body=b"<h1>Bad Gateway</h1>"), SERVER, "answered HTTP 502"),
        (Fault(status=503, body=b""), SERVER, "answered HTTP 503"),
        (Fault(status=400, body=REASON), RESPONSE, "answered HTTP 400: Refused"),
        (Fault(status=404, body=b"[1]"), RESPONSE, "answered HTTP 404"),
        (Fault(status=418, body=b'{"error": 4}'), RESPONSE, "answered HTTP 418"),
        (Fault(status=401), AUTH, "rejected the API token (HTTP 401)"),
        (Fault(status=403), AUTH, "rejected the API token (HTTP 403)"),
        # Not followed, even to the API itself.
        (Fault(status=301, headers={"Location": STATUS_PATH}), RESPONSE,
         f"redirected (HTTP 301) to {STATUS_PATH}"),
        (Fault(status=307, body=REASON), RESPONSE, "redirected (HTTP 307) to nowhere"),
    ],
)  # fmt: skip
@CALLS
async def test_error_status(
    client: MediaScribeClient,
    simulator: MediaScribeSimulator,
    call: Call,
    fault: Fault,
    kind: type[MediaScribeError],
    message: str,
) -> None:
    """Each status class has its own error, with the server's reason if it sent one."""
    simulator.add_fault(replace(fault, count=1))

    with pytest.raises(MediaScribeError) as err:
        await call(client)

    assert type(err.value) is kind
    assert str(err.value) == f"The server {message}"
    assert getattr(err.value, "excerpt", "") == (fault.body or b"").decode()
    assert len(simulator.requests) == 1


# Hostile bodies

DEEP = 100_000


def hall(rest: str) -> bytes:
    """Return a status document's start with the given (hostile) remainder."""
    return f'{{"siteName": "Hall", "hasNoSignal": false, "presets": {rest}'.encode()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * DEEP, id="deep-array"),
        pytest.param(hall("[" + '{"a":' * DEEP), id="deep-presets"),
        pytest.param(hall('[], "recording": ' + "[" * DEEP), id="deep-recording"),
        pytest.param(hall("[" * 900 + "]" * 900 + "}"), id="nested-900"),
        pytest.param(
            hall('[], "recording": {"position": ' + "9" * 5000), id="huge-pos"
        ),
        pytest.param(hall('[], "siteName": NaN}'), id="nan-field"),
        pytest.param(b"\xff\xfe\xfd", id="invalid-utf8"),
        pytest.param(b"<!DOCTYPE html><p>Login</p>", id="html"),
        pytest.param(READY[:60], id="truncated"),
    ],
)
@CALLS
async def test_hostile_json(
    client: MediaScribeClient, simulator: MediaScribeSimulator, call: Call, body: bytes
) -> None:
    """What is not a status document is a response error, never a crash."""
    simulator.add_fault(Fault(body=body))

    with pytest.raises(MediaScribeResponseError) as err:
        await call(client)

    assert err.value.status == 200
    assert len(err.value.excerpt) <= 200


# The token stays secret


def per_char(token: str, *forms: Callable[[str], str]) -> str:
    """Escape the token's characters, cycling through the given forms."""
    return "".join(forms[i % len(forms)](char) for i, char in enumerate(token))


def json_u(char: str) -> str:
    """Escape a character as a JSON unicode escape."""
    return f"\\u{ord(char):04X}"


ECHOES: dict[str, Callable[[str], str]] = {
    "raw": lambda token: token,
    "json-slash": lambda token: token.replace("/", "\\/"),
    "json-u-some": lambda token: per_char(token, str, json_u),
    "percent-lower-all": lambda token: per_char(token, lambda c: f"%{ord(c):02x}"),
    "percent-double": lambda token: quote(quote(token, safe=""), safe=""),
    "html-decimal": lambda token: per_char(token, lambda c: f"&#{ord(c)};"),
    "html-hex": lambda token: per_char(token, lambda c: f"&#x{ord(c):X};"),
    "html5-named": lambda token: token.translate(
        {ord("/"): "&sol;", ord("+"): "&plus;", ord("="): "&equals;"}
    ),
    "mixed": lambda token: per_char(
        token, str, json_u, lambda c: f"&#{ord(c)};", lambda c: f"%25{ord(c):02X}"
    ),
}


def json_unescape(text: str) -> str:
    """Undo JSON string escapes, leaving anything else as it is."""
    return re.sub(
        r"\\(?:u([0-9a-fA-F]{4})|(.))",
        lambda match: chr(int(match[1], 16)) if match[1] else match[2],
        text,
    )


def recoverable(token: str, text: str) -> bool:
    """Return whether four rounds of URL, HTML or JSON unescaping reveal the token."""
    texts = {text}
    for _ in range(4):
        decoders = (unquote, html.unescape, json_unescape)
        texts |= {decode(each) for each in texts for decode in decoders}
    return any(token in each for each in texts)


ECHO_TOKENS = pytest.mark.parametrize(
    "echo_token", [TOKEN, SLASHY_TOKEN], ids=["token", "slashy-token"]
)


@pytest.mark.parametrize(
    "answer",
    [
        lambda echo: Fault(status=500, body=f'{{"error": "token {echo}"}}'.encode()),
        lambda echo: Fault(status=400, body=f"<p>Unknown token {echo}</p>".encode()),
        lambda echo: Fault(body=f"<p>Welcome {echo}</p>".encode()),
        lambda echo: Fault(status=302, headers={"Location": f"/login?t={echo}"}),
        lambda echo: Fault(body=f'{{"siteName": 1, "x": "{echo}"}}'.encode()),
    ],
    ids=["error-message", "error-page", "not-json", "redirect", "invalid-status"],
)
@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
@ECHO_TOKENS
async def test_echoed_token_not_in_errors(
    session: aiohttp.ClientSession,
    simulator: MediaScribeSimulator,
    echo_token: str,
    answer: Callable[[str], Fault],
    echo: Callable[[str], str],
) -> None:
    """A server echoing the token, escaped in any way, does not get it into an error."""
    simulator.add_token(echo_token)
    client = MediaScribeClient(session, simulator.url, echo_token)
    # The echo is the token to a decoder, so the check below can fail.
    assert recoverable(echo_token, echo(echo_token))
    simulator.add_fault(answer(echo(echo_token)))

    with pytest.raises(MediaScribeResponseError) as err:
        await client.get_status()

    assert "***" in str(err.value) + err.value.excerpt
    for text in (str(err.value), repr(err.value), err.value.excerpt):
        assert not recoverable(echo_token, text), text


@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
@ECHO_TOKENS
async def test_echoed_token_not_in_status(
    session: aiohttp.ClientSession,
    simulator: MediaScribeSimulator,
    echo_token: str,
    echo: Callable[[str], str],
) -> None:
    """A valid status echoing the token shows it nowhere: site, preset or path."""
    simulator.add_token(echo_token)
    client = MediaScribeClient(session, simulator.url, echo_token)
    body = (
        f'{{"siteName": "Hall {echo(echo_token)}", "hasNoSignal": false,'
        f' "presets": [{{"id": "p1", "name": "{echo(echo_token)} wide"}}],'
        f' "recording": {{"position": 1, "path": "E:\\\\{echo(echo_token)}.mp4"}}}}'
    )
    simulator.add_fault(Fault(body=body.encode()))

    status = await client.get_status()

    assert status.site_name == "Hall ***"
    assert status.presets == (Preset("p1", "*** wide"),)
    assert status.recording == Recording(position=1, path="E:\\***.mp4")


# Compressed and oversized bodies

PADDED = READY + b" " * (MAX_BODY_BYTES - len(READY))


def bomb(wbits: int) -> bytes:
    """Return 100 MiB of zeros compressed, without holding them uncompressed."""
    compressor = zlib.compressobj(wbits=wbits)
    parts = [compressor.compress(bytes(1 << 20)) for _ in range(100)]
    return b"".join([*parts, compressor.flush()])


async def outcome(request: Awaitable[Status | None]) -> str:
    """Return the site name a request read, or the message of its response error."""
    try:
        status = await request
    except MediaScribeResponseError as err:
        return str(err)
    assert status is not None
    return status.site_name


@pytest.mark.parametrize(
    ("encoding", "body", "expected"),
    [
        # Inflated though no compression was asked for, up to the limit.
        ("gzip", gzip.compress(READY), ARTICLE.site_name),
        ("x-gzip", gzip.compress(READY), ARTICLE.site_name),
        ("deflate", zlib.compress(READY), ARTICLE.site_name),
        ("gzip, gzip", gzip.compress(gzip.compress(READY)), ARTICLE.site_name),
        ("identity", PADDED, ARTICLE.site_name),
        ("gzip", gzip.compress(PADDED), ARTICLE.site_name),
        ("identity", PADDED + b" ", "more than 1024 KiB"),
        ("gzip", gzip.compress(PADDED + b" "), "more than 1024 KiB"),
        ("gzip", bomb(31), "more than 1024 KiB"),
        ("deflate", bomb(15), "more than 1024 KiB"),
        ("br", READY, "compressed its answer with 'br'"),
        ("gzip, compress", READY, "compressed its answer with 'compress'"),
        ("gzip", b"\x1f\x8b\x08\x00garbage", "gzip answer is corrupt"),
        ("gzip", gzip.compress(READY)[:-10], "gzip answer is corrupt"),
        ("deflate", READY, "deflate answer is corrupt"),
    ],
    ids=[
        *("gzip", "x-gzip", "deflate", "twice", "limit", "inflates-to-limit"),
        *("one-byte-over", "inflates-one-byte-over", "gzip-bomb", "deflate-bomb"),
        *("br", "compress", "garbage", "cut-short", "plain"),
    ],
)
@CALLS
async def test_body_size_and_encoding(
    client: MediaScribeClient,
    simulator: MediaScribeSimulator,
    call: Call,
    encoding: str,
    body: bytes,
    expected: str,
) -> None:
    """Bodies are inflated up to the limit; too large, unknown or corrupt: refused."""
    simulator.add_fault(Fault(body=body, headers={"Content-Encoding": encoding}))

    tracemalloc.start()
    try:
        result = await outcome(call(client))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert expected in result
    # Never inflated beyond the limit, whatever the body would inflate to.
    assert peak < 5 * len(body) + 10 * MAX_BODY_BYTES


# Connection problems


@pytest.mark.parametrize(
    ("address", "kind", "message"),
    [
        ("127.0.0.1", MediaScribeConnectionError, "Cannot reach {url}: "),
        # RFC 6761 reserves .invalid for names that never resolve.
        ("nonexistent.invalid", MediaScribeHostNotFoundError,
         "The host name of {url} does not resolve: "),
    ],
)  # fmt: skip
async def test_cannot_connect(
    session: aiohttp.ClientSession,
    address: str,
    kind: type[MediaScribeConnectionError],
    message: str,
) -> None:
    """A port nobody listens on and a name that does not resolve are told apart."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://{address}:{sock.getsockname()[1]}"
    client = MediaScribeClient(session, url, TOKEN)

    with pytest.raises(MediaScribeConnectionError) as err:
        await client.get_status()

    assert type(err.value) is kind
    assert str(err.value).startswith(message.format(url=url))


@CALLS
async def test_timeout(
    session: aiohttp.ClientSession, simulator: MediaScribeSimulator, call: Call
) -> None:
    """A slow answer is a timeout (a connection error), though the server may act."""
    client = MediaScribeClient(session, simulator.url, TOKEN, request_timeout=0.1)
    simulator.add_fault(Fault(latency=30))

    with pytest.raises(MediaScribeTimeoutError) as err:
        await call(client)

    assert str(err.value) == f"{simulator.url} did not answer within 0.1 seconds"
    [request] = simulator.requests
    assert simulator.is_recording == (request.method == "PUT")


# Commands


@pytest.mark.parametrize(
    ("ack", "read_error"),
    [
        (Fault(body=b'{"success": true}'), "no 'presets' field"),
        (Fault(body=b"[]"), "should be an object, not array"),
        (Fault(body=b'"done"'), "should be an object, not string"),
        (Fault(body=b" \n"), "answered with no status"),
        (Fault(body=b"", headers={"Content-Encoding": "gzip"}), "with no status"),
    ],
    ids=["success", "array", "string", "blank", "empty-gzip"],
)
async def test_answer_without_a_status(
    client: MediaScribeClient,
    simulator: MediaScribeSimulator,
    ack: Fault,
    read_error: str,
) -> None:
    """An answer that is no status acknowledges a command and fails a read."""
    simulator.add_fault(ack)

    assert await client.start() is None
    assert simulator.is_recording
    with pytest.raises(MediaScribeResponseError, match=re.escape(read_error)):
        await client.get_status()
