"""Tests for the MediaScribe HTTP client, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from codecs import BOM_UTF8, BOM_UTF16_BE, BOM_UTF16_LE, BOM_UTF32_LE
from dataclasses import astuple, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial
import gzip
import html
import json
from operator import methodcaller
from pathlib import Path
import re
import tracemalloc
from typing import TYPE_CHECKING, Any
from unittest.mock import Mock, patch
from urllib.parse import quote, unquote
import zlib

import aiohttp
import pytest

from custom_components.mediascribe import api
from custom_components.mediascribe.api import (
    InvalidURLError,
    MediaScribeAuthenticationError as Auth,
    MediaScribeBusyError as Busy,
    MediaScribeClient,
    MediaScribeError,
    MediaScribeResponseError as Response,
    MediaScribeServerError as Server,
    Status,
    normalize_url,
)
from simulator import STATUS_PATH, Fault, MediaScribeSimulator

from .conftest import TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from _pytest.mark import ParameterSet

    from simulator import PutResponse

    type Call = Callable[[MediaScribeClient], Awaitable[Status | None]]
    type Serve = Callable[[Fault, Call], Awaitable[Status | MediaScribeError | None]]

pytestmark = pytest.mark.usefixtures("socket_enabled")

FIXTURES = Path(__file__).parent / "fixtures"
READY = (FIXTURES / "status_ready.json").read_bytes()
PRESET_ID = "aa638eeb-854b-4e14-87a5-500be376f948"
# The article's ready example as a tuple: site, presets, active preset, no signal.
ARTICLE = ("Your City's MediaScribe", ((PRESET_ID, "Default"),), PRESET_ID, False)
# Characters that JSON, URLs and HTML all escape, as base64 tokens have them.
SLASHY_TOKEN = "ab/cd+ef=gh&ij"
ECHO_TOKENS = pytest.mark.parametrize(
    "token", [TOKEN, SLASHY_TOKEN], ids=["plain", "slashy"]
)
# What holds for reading the status holds for a command's answer too.
GET, START = methodcaller("get_status"), methodcaller("start")
CALLS = pytest.mark.parametrize("call", [GET, START], ids=["get", "start"])


def cases(table: dict[str, tuple[Any, ...]]) -> list[ParameterSet]:
    """Turn {case id: parameters} into parameter sets."""
    return [pytest.param(*values, id=key) for key, values in table.items()]


@pytest.fixture
def token() -> str:
    """Return the API token the client uses; tests of echoes vary it."""
    return TOKEN


@pytest.fixture
async def client(
    simulator: MediaScribeSimulator, token: str
) -> AsyncIterator[MediaScribeClient]:
    """Return a client for the simulator on a session closed after the test."""
    simulator.add_token(token)
    async with aiohttp.ClientSession() as session:
        yield MediaScribeClient(session, simulator.url, token, request_timeout=5)


@pytest.fixture
def serve(client: MediaScribeClient, simulator: MediaScribeSimulator) -> Serve:
    """Return a function answering one request with a fault: its status or error."""

    async def serve(fault: Fault, call: Call = GET) -> Status | MediaScribeError | None:
        simulator.add_fault(replace(fault, count=1))
        try:
            return await call(client)
        except MediaScribeError as err:
            return err

    return serve


# The status model

NEW_MEETING = "New Meeting 2025-08-21T19-05-37.170Z"
ODD_DOC = json.loads(READY) | {
    "activePresetId": None,
    "firmware": {"version": [1, 2]},
    "recording": {"position": 12.9, "path": "p"},
}
# Each case: the body served and the status read, as a tuple (showing the position).
ARTICLES = {
    "ready": (READY, (*ARTICLE, None)),
    "recording": ((FIXTURES / "status_recording.json").read_bytes(),
                  (*ARTICLE, (4, f"E:\\recordings\\{NEW_MEETING}\\{NEW_MEETING}.mp4"))),
    # Unknown fields are ignored, a null preset id is None, a position whole.
    "odd": (json.dumps(ODD_DOC).encode(), (*ARTICLE[:2], None, False, (12, "p"))),
}  # fmt: skip


@pytest.mark.parametrize(("body", "expected"), cases(ARTICLES))
async def test_article_examples(
    client: MediaScribeClient, simulator: MediaScribeSimulator, body: bytes, expected
) -> None:
    """The article's examples, served verbatim, and an odd one become statuses."""
    simulator.add_fault(Fault(body=body))

    assert astuple(await client.get_status()) == expected
    [request] = simulator.requests
    assert (request.method, request.path, request.body) == ("GET", STATUS_PATH, None)
    assert request.authorized


no = "The status has no '{}' field".format
should_be = "The status field '{}' should be {}".format
POSITION, STRING = "recording.position", "a string, not"
SECONDS = f"between 0 and {api.MAX_POSITION_SECONDS} seconds"
# Each case: the fields served (... removes one) and the message, without values.
WRONG_FIELDS = {
    "no-site": ({"siteName": ...}, no("siteName")),
    "null-site": ({"siteName": None}, should_be("siteName", f"{STRING} null")),
    "preset": ({"presets": [123]}, should_be("presets[0]", "an object, not number")),
    "preset-name": ({"presets": [{"id": "a"}]}, no("presets[0].name")),
    "preset-id": ({"presets": [{"id": 5, "name": "x"}]},
                  should_be("presets[].id", f"{STRING} number")),
    "active": ({"activePresetId": 7}, should_be("activePresetId", f"{STRING} number")),
    "signal": ({"hasNoSignal": "0"}, should_be("hasNoSignal", "a boolean, not string")),
    "no-path": ({"recording": {"position": 1}}, no("recording.path")),
    "path": ({"recording": {"position": 1, "path": ["E:"]}},
             should_be("recording.path", f"{STRING} array")),
} | {  # A position is whole seconds within ten years, never a string or a boolean.
    f"position-{bad}": ({"recording": {"position": bad, "path": "p"}}, message)
    for bad, message in [
        ("4", should_be(POSITION, "a number, not string")),
        (True, should_be(POSITION, "a number, not boolean")),
        *[(bad, should_be(POSITION, SECONDS)) for bad in (-1, -0.5, 10**30, 10**4000)],
    ]
}  # fmt: skip


@pytest.mark.parametrize(("fields", "message"), cases(WRONG_FIELDS))
async def test_wrong_field_is_named(serve: Serve, fields: dict, message: str) -> None:
    """Each missing, mistyped or implausible field is named, its value never."""
    removed = tuple(key for key, value in fields.items() if value is ...)
    fault = Fault(fields={k: v for k, v in fields.items() if v is not ...})

    assert str(await serve(replace(fault, remove_fields=removed))) == message


# What a user types

ACCEPTED_URLS = {
    "http://host": ["  http://Host:80/  ", "host///", "host/api/control/status"],
    "https://host:8443/base": ["HTTPS://host:8443/base/API/Control/Status/"],
    "http://192.168.1.20:8080": ["192.168.1.20:8080"],
    "http://[::1]:8080": ["[::1]:8080"],
    # International names are kept in their IDNA form, however they were typed.
    "http://xn--rathaus-strae-mdb.example": ["rathaus-straße.example"],
    "http://xn--bcher-kva.example": ["BÜCHER.example", "xn--bcher-kva.example"],
    "https://xn--mnchen-3ya.de:8443/rat": ["https://München.de:8443/rat/"],
    "http://xn--jxalzmp.gr": ["δήμος.gr", "Δήμος.gr", "xn--jxalzmp.gr"],
    "http://xn--80adxhks.xn--p1ai": ["москва.рф", "XN--80adxhks.xn--P1AI"],
    "http://xn--imrx7v3xf.xn--fiqs8s": ["市政厅.中国/api/control/status"],
}


@pytest.mark.parametrize(
    ("text", "url"),
    [(text, url) for url, texts in ACCEPTED_URLS.items() for text in texts],
)
def test_normalize_url(text: str, url: str) -> None:
    """Accepted spellings of a server address give one base URL, the client's."""
    client = MediaScribeClient(Mock(), text, TOKEN)

    assert (normalize_url(text), normalize_url(url), client.url) == (url, url, url)
    # The repr shows where the client connects, not how it authenticates.
    assert repr(client) == f"MediaScribeClient(url={url!r})"


NO_HOST = "The server address has no valid host name"
REFUSED_URLS = {
    "The server address is empty": ["   "],
    "The server address contains spaces or backslashes": [
        *("my recorder.local", "recorder\\local", "recorder\u200b.local"),
    ],
    NO_HOST: ["a..b", ".example", "-recorder.local", "recorder-.local", "xn--zz--"],
    "The server address is not a valid URL: ": ["δήμος..gr", "host:99999", "[::1"],
    "The server address must not contain a user name": ["u:p@host", "http://δ@host"],
    "The server address must not contain '?' or '#' parts": ["host?a=1", "例え.jp#x"],
    "Unsupported scheme 'ftp': use http or https": ["ftp://host"],
}
# Punycode that decodes to nothing, and a U-label starting with a hyphen.
BAD_IDNA = {text: (text, NO_HOST) for text in ("xn--zz.com", "xn--a", "-δήμος.gr")}


@pytest.mark.parametrize(
    ("text", "message"),
    [(text, message) for message, texts in REFUSED_URLS.items() for text in texts]
    + cases(BAD_IDNA),
)
def test_normalize_url_refuses(text: str, message: str) -> None:
    """Typos and unusable addresses raise InvalidURLError saying what is wrong."""
    with pytest.raises(InvalidURLError) as err:
        normalize_url(text)

    assert str(err.value).startswith(message)


# HTTP statuses


def reply(code: int, body: bytes = b'{"error": "Refused"}', **headers: str) -> Fault:
    """Return a fault answering with a status, by default with a reason."""
    return Fault(status=code, body=body, headers=headers)


def pause(value: str, code: int = 429) -> Fault:
    """Return a fault asking for a pause with Retry-After."""
    return Fault(status=code, headers={"Retry-After": value})


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
IN_30S = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
ANSWERED, REJECTED = "The server answered HTTP", "The server rejected the API token"
BUSY, DOWN = f"{ANSWERED} 429 Too Many Requests", f"{ANSWERED} 503 Service Unavailable"
MOVED = f"{ANSWERED} 301 Moved Permanently"
# Each case: the answer, the error, its message (no server reason), the pause.
STATUSES = {
    "500": (reply(500), Server, f"{ANSWERED} 500 Internal Server Error", None),
    "502": (reply(502, b"<h1>Bad</h1>"), Server, f"{ANSWERED} 502 Bad Gateway", None),
    "503": (reply(503, b""), Server, DOWN, None),
    "400": (reply(400), Response, f"{ANSWERED} 400 Bad Request", None),
    "404": (reply(404, b"[1]"), Response, f"{ANSWERED} 404 Not Found", None),
    "429": (reply(429), Busy, BUSY, None),
    "401": (reply(401), Auth, f"{REJECTED} (HTTP 401)", None),
    "403": (reply(403, b""), Auth, f"{REJECTED} (HTTP 403)", None),
    # Not followed, even to the API itself (which would answer with a status).
    "301": (reply(301, Location=STATUS_PATH), Response, MOVED, None),
    # No standard phrase: only the code, never the server's reason.
    "599": (reply(599), Server, f"{ANSWERED} 599", None),
    "399": (reply(399, b""), Response, f"{ANSWERED} 399", None),
    "retry-seconds": (pause("5"), Busy, BUSY, 5.0),
    "retry-at-least-one": (pause("0"), Busy, BUSY, 1.0),
    "retry-at-most": (pause("86400"), Busy, BUSY, api.MAX_RETRY_AFTER),
    "retry-date": (pause(IN_30S, 503), Server, DOWN, 30.0),
    "retry-nan": (pause("nan", 503), Server, DOWN, None),
}  # fmt: skip
HUGE_YEAR = {"year": (pause("Mon, 01 Jan 99999999999 00:00:00 GMT"), Busy, BUSY, None)}


@pytest.mark.parametrize(
    ("fault", "kind", "message", "retry_after"),
    cases(STATUSES) + cases(HUGE_YEAR),
)
@CALLS
async def test_error_status(
    serve: Serve,
    call: Call,
    fault: Fault,
    kind: type[MediaScribeError],
    message: str,
    retry_after: float | None,
) -> None:
    """Each status class has its own error in the client's words, and its pause."""
    # Only the API module's clock is frozen; the event loop keeps its own.
    with patch.object(api, "time", Mock(time=NOW.timestamp)):
        err = await serve(fault, call)

    assert (type(err), str(err)) == (kind, message)
    assert getattr(err, "status", fault.status) == fault.status
    assert getattr(err, "retry_after", None) == retry_after


# Bodies: pathological JSON, text encodings, compression and size

DEEP = 100_000
NOT_A_STATUS = "The server's answer is not a status document"
TOO_DEEP, NOT_JSON = f"{NOT_A_STATUS} (RecursionError)", f"{NOT_A_STATUS} (ValueError)"


def hall(rest: str) -> Fault:
    """Return a status document's start with the given (hostile) remainder."""
    body = f'{{"siteName": "Hall", "hasNoSignal": false, "presets": {rest}'
    return Fault(body=body.encode())


HOSTILE = {
    "deep": (Fault(body=b"[" * DEEP), TOO_DEEP),
    "deep-presets": (hall("[" + '{"a":' * DEEP), TOO_DEEP),
    "deep-recording": (hall('[], "recording": ' + "[" * DEEP), TOO_DEEP),
    "nested-900": (hall("[" * 900 + "]" * 900 + "}"),
                   should_be("presets[0]", "an object, not array")),
    "huge-position": (hall('[], "recording": {"position": ' + "9" * 5000), NOT_JSON),
    "infinite-position": (hall('[], "recording": {"position": 1e999, "path": "p"}}'),
                          should_be(POSITION, SECONDS)),
    "nan": (hall('[], "siteName": NaN}'), NOT_JSON),
    "html": (Fault(body=b"<p>Login</p>"), f"{NOT_A_STATUS} (JSONDecodeError)"),
    "truncated": (Fault(body=READY[:60]), f"{NOT_A_STATUS} (JSONDecodeError)"),
}  # fmt: skip
ZURICH, ATHENS = "Gemeinderat Zürich", "Δήμος Αθηναίων"
SESSION = "Zürich \N{EN DASH} Sitzung"  # the dash is 0x96 in windows-1252 only


def doc_in(name: str, codec: str, bom: bytes = b"", charset: str = "") -> Fault:
    """Return the ready example named name, encoded, maybe declaring a charset."""
    text = json.dumps(json.loads(READY) | {"siteName": name}, ensure_ascii=False)
    declared = f"; charset={charset}" if charset else ""
    content_type = f"application/json{declared}"
    return Fault(body=bom + text.encode(codec), content_type=content_type)


ENCODINGS = {
    "utf-8-bom": (doc_in(ZURICH, "utf-8", BOM_UTF8), ZURICH),
    "utf-16-le-bom": (doc_in(ATHENS, "utf-16-le", BOM_UTF16_LE), ATHENS),
    "utf-16-le": (doc_in(ATHENS, "utf-16-le"), ATHENS),
    "utf-16-be": (doc_in(ZURICH, "utf-16-be"), ZURICH),
    "utf-32-le-bom": (doc_in(ATHENS, "utf-32-le", BOM_UTF32_LE), ATHENS),
    "utf-32-be": (doc_in(ZURICH, "utf-32-be"), ZURICH),
    "windows-1252": (doc_in(SESSION, "cp1252", charset="windows-1252"), SESSION),
    "declared-utf-16": (doc_in(ATHENS, "utf-16-be", BOM_UTF16_BE, "utf-16"), ATHENS),
    "declared-utf-8-bom": (doc_in(ZURICH, "utf-8", BOM_UTF8, "utf-8"), ZURICH),
    "unknown-charset": (doc_in(ATHENS, "utf-8", charset="x-klingon"), ATHENS),
    "unknown-utf-16": (doc_in(ZURICH, "utf-16-be", charset="x-klingon"), ZURICH),
    # Undeclared bytes that are not UTF-8 are replaced; the rest still reads.
    "undeclared-latin-1": (doc_in(ZURICH, "latin-1"), "Gemeinderat Z\ufffdrich"),
}
# Charsets Python knows but cannot decode with replacement: detection should do.
UNUSABLE = {
    name: (doc_in(ZURICH, "utf-8", charset=name), ZURICH)
    for name in ("idna", "undefined")
}


def sent(encoding: str, body: bytes) -> Fault:
    """Return a fault answering with a body in the given Content-Encoding."""
    return Fault(body=body, headers={"Content-Encoding": encoding})


def bomb(wbits: int) -> bytes:
    """Return 100 MiB of zeros compressed, without holding them uncompressed."""
    compressor = zlib.compressobj(wbits=wbits)
    parts = [compressor.compress(bytes(1 << 20)) for _ in range(100)]
    return b"".join([*parts, compressor.flush()])


COMPRESSED = "The server compressed its answer"
PADDED = READY + b" " * (api.MAX_BODY_BYTES - len(READY))
COMPRESSION_AND_SIZE = {
    "gzip": (sent("gzip", gzip.compress(READY)), COMPRESSED),
    "x-gzip": (sent("X-GZIP", gzip.compress(READY)), COMPRESSED),
    "br": (sent("br", READY), COMPRESSED),
    "gzip-bomb": (sent("gzip", bomb(31)), COMPRESSED),
    "deflate-bomb": (sent("deflate", bomb(15)), COMPRESSED),
    "identity": (sent(" Identity ", READY), ARTICLE[0]),
    "limit": (sent("identity", PADDED), ARTICLE[0]),
    "one-byte-over": (sent("identity", PADDED + b" "), "The server sent more than"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("fault", "expected"),
    cases(HOSTILE) + cases(ENCODINGS) + cases(UNUSABLE) + cases(COMPRESSION_AND_SIZE),
)
@CALLS
async def test_body(serve: Serve, call: Call, fault: Fault, expected: str) -> None:
    """A body is a status in any encoding JSON allows, or a response error."""
    tracemalloc.start()
    try:
        result = await serve(fault, call)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    read = result.site_name if isinstance(result, Status) else str(result)
    assert read.startswith(expected)
    # Nothing is inflated: a bomb inflated even in part would show here.
    assert peak < 5 * len(fault.body or b"") + 4 * api.MAX_BODY_BYTES


# The token stays secret


def per_char(token: str, *forms: Callable[[str], str]) -> str:
    """Escape the token's characters, cycling through the given forms."""
    return "".join(forms[i % len(forms)](char) for i, char in enumerate(token))


def json_u(char: str) -> str:
    """Escape a character as a JSON unicode escape."""
    return f"\\u{ord(char):04X}"


ECHOES: dict[str, Callable[[str], str]] = {
    "raw": lambda t: t,
    "json-slash": lambda t: t.replace("/", "\\/"),
    "json-u-some": lambda t: per_char(t, str, json_u),
    "percent-twice": lambda t: quote(quote(t, safe=""), safe=""),
    "html-hex": lambda t: per_char(t, lambda c: f"&#x{ord(c):X};"),
    "html5-named": lambda t: t.replace("/", "&sol;").replace("=", "&equals;"),
    "mixed": lambda t: per_char(t, str, json_u, lambda c: f"&#{ord(c)};", quote),
}


def reveals(token: str, text: str) -> bool:
    """Return whether six characters of the token show once the text is unescaped."""
    texts = {text}
    json_unescape = partial(re.sub, r"\\(?:u([0-9a-fA-F]{4})|(.))", JSON_CHAR)
    for _ in range(6):  # six rounds of URL, HTML or JSON unescaping, in any order
        decoders = (unquote, html.unescape, json_unescape)
        texts |= {decode(each) for each in texts for decode in decoders}
    slices = {token[i : i + 6] for i in range(len(token) - 5)}
    return any(part in each for each in texts for part in slices)


JSON_CHAR = lambda m: chr(int(m[1], 16)) if m[1] else m[2]  # noqa: E731
LONG = b"x" * 181  # puts an echo across character 200 of the body
# Each case: an answer echoing the token, and the error it gives.
ECHOING = {
    "error-message": (lambda e: reply(500, b'{"error": "token %s"}' % e), Server),
    "error-at-200": (lambda e: reply(503, b'{"error": "%s%s"}' % (LONG, e)), Server),
    "error-page": (lambda e: reply(404, b"<p>Unknown token %s</p>" % e), Response),
    "auth-error": (lambda e: reply(401, b'{"error": "%s"}' % e), Auth),
    "retry-after": (lambda e: pause(e.decode()), Busy),
    "redirect": (lambda e: reply(302, Location=f"/?t={e.decode()}"), Response),
    "not-json": (lambda e: reply(200, b"<p>Welcome %s</p>" % e), Response),
    "invalid-json": (lambda e: reply(200, b'{"siteName": "%s' % e), Response),
    "shape": (lambda e: reply(200, b'{"siteName": 1, "x": "%s"}' % e), Response),
    "shape-value": (lambda e: Fault(fields={"hasNoSignal": e.decode()}), Response),
}
LEAKS = {
    "content-encoding": (lambda e: sent(e.decode(), READY), Response),
    "malformed-header": (lambda e: reply(200, READY, **{f"X({e.decode()}": "1"}),
                         api.MediaScribeConnectionError),
}  # fmt: skip


@pytest.mark.parametrize(("answer", "kind"), cases(ECHOING) + cases(LEAKS))
@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
@ECHO_TOKENS
async def test_echoed_token_not_in_errors(
    serve: Serve,
    token: str,
    echo: Callable[[str], str],
    answer: Callable[[bytes], Fault],
    kind: type[MediaScribeError],
) -> None:
    """A server echoing the token, escaped in any way, does not get it into an error."""
    # The echo is the token to a decoder, so the check below can fail.
    assert reveals(token, echo(token))

    err = await serve(answer(echo(token).encode()))

    assert type(err) is kind
    for text in (str(err), repr(err), repr(err.args), repr(vars(err))):
        assert not reveals(token, text), text


# JSON escapes decode to the token itself, so they are replaced too.
SHOWN = {
    "literal": (ECHOES["raw"], "***"),
    "json-slash": (ECHOES["json-slash"], "***"),
    "json-u": (lambda token: per_char(token, json_u), "***"),
    "twice": (lambda token: token + token, "******"),
}


@pytest.mark.parametrize(("echo", "shown"), cases(SHOWN))
@ECHO_TOKENS
@CALLS
async def test_echoed_token_not_in_status(
    serve: Serve,
    call: Call,
    token: str,
    echo: Callable[[str], str],
    shown: str,
) -> None:
    """A status echoing the token shows *** instead: site, preset name or path."""
    body = (
        f'{{"siteName": "Hall {echo(token)}", "hasNoSignal": false,'
        f' "presets": [{{"id": "p1", "name": "{echo(token)} wide"}}],'
        f' "recording": {{"position": 1, "path": "E:\\\\{echo(token)}.mp4"}}}}'
    )

    status = await serve(Fault(body=body.encode()), call)

    presets, recording = (("p1", f"{shown} wide"),), (1, f"E:\\{shown}.mp4")
    assert astuple(status) == (f"Hall {shown}", presets, None, False, recording)


# Commands

NO_STATUS, GZIP = "The server answered with no status", {"Content-Encoding": "gzip"}
OBJECT = "an object, not array"
# Each case: how the server answers a start, and what a read of that answer gives.
ACKS = {
    "success": ("status", Fault(body=b'{"success": true}'), no("presets")),
    "array": ("status", Fault(body=b"[]"), should_be("status document", OBJECT)),
    "blank": ("status", Fault(body=b" \n"), NO_STATUS),
    # An empty answer has nothing to inflate, whatever it claims.
    "empty-gzip": ("status", Fault(body=b"", headers=GZIP), NO_STATUS),
    "204-gzip": ("empty", Fault(headers=GZIP), COMPRESSED),
}  # fmt: skip


@pytest.mark.parametrize(("put_response", "ack", "read"), cases(ACKS))
async def test_answer_without_a_status(
    serve: Serve, simulator: MediaScribeSimulator, put_response: PutResponse, ack, read
) -> None:
    """An answer that is no status acknowledges a command and fails a read."""
    simulator.put_response = put_response

    assert await serve(ack, START) is None
    assert simulator.is_recording
    assert str(await serve(ack)).startswith(read)
