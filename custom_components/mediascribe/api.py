"""Asynchronous client for the MediaScribe control API.

Imports nothing from Home Assistant so that it can move to its own package.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from http import HTTPStatus
import ipaddress
import json
import socket
from typing import TYPE_CHECKING, Any, Final, Self

import aiohttp
from yarl import URL

if TYPE_CHECKING:
    from collections.abc import Mapping

VERSION: Final = "0.1.0"
USER_AGENT: Final = f"HomeAssistant-MediaScribe/{VERSION}"
STATUS_PATH: Final = "/api/control/status"

# The vendor documents only start and stop. Changing the preset with this body
# is our assumption (see the README); it lives here and nowhere else.
PRESET_FIELD: Final = "activePresetId"

# A status document is a few hundred bytes; anything far larger is not one.
MAX_BODY_BYTES: Final = 1024 * 1024
EXCERPT_CHARS: Final = 200
# Host names that only resolve inside a local network (RFC 6762, RFC 8375).
LOCAL_SUFFIXES: Final = (".local", ".lan", ".home.arpa", ".internal", ".localdomain")
# Ten years: a longer "recording" is a broken counter, not a meeting.
MAX_POSITION_SECONDS: Final = 10 * 366 * 24 * 3600


class MediaScribeError(Exception):
    """Base class for every error this client raises."""


class MediaScribeConnectionError(MediaScribeError):
    """The server could not be reached or the connection broke."""


class MediaScribeTimeoutError(MediaScribeConnectionError):
    """The server did not answer within the request timeout."""


class MediaScribeCertificateError(MediaScribeConnectionError):
    """The server's TLS certificate could not be verified."""


class MediaScribeAuthenticationError(MediaScribeError):
    """The server rejected the API token (HTTP 401 or 403)."""


class MediaScribeResponseError(MediaScribeError):
    """The server answered, but not with what the API promises."""

    def __init__(
        self, message: str, *, status: int | None = None, excerpt: str = ""
    ) -> None:
        """Keep the HTTP status and a short excerpt of the body for diagnosis."""
        super().__init__(message)
        self.status = status
        self.excerpt = excerpt


class InvalidURLError(ValueError):
    """The text given as the server address is not a usable URL."""


@dataclass(frozen=True, slots=True)
class Preset:
    """One recording preset configured on the server."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Recording:
    """The recording in progress."""

    position: int
    path: str


@dataclass(frozen=True, slots=True)
class Status:
    """A validated status document."""

    site_name: str
    presets: tuple[Preset, ...]
    active_preset_id: str | None
    has_no_signal: bool
    recording: Recording | None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_recording(self) -> bool:
        """Return whether a recording is in progress."""
        return self.recording is not None

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Validate a decoded status document; unknown fields are ignored."""
        doc = _expect(data, dict, "status document")
        presets = tuple(
            Preset(
                id=_expect(
                    _field(item, "id", f"presets[{i}]"), str, f"presets[{i}].id"
                ),
                name=_expect(
                    _field(item, "name", f"presets[{i}]"), str, f"presets[{i}].name"
                ),
            )
            for i, item in enumerate(_expect(_field(doc, "presets"), list, "presets"))
        )
        recording: Recording | None = None
        if (raw_recording := doc.get("recording")) is not None:
            recording = Recording(
                position=_position(_field(raw_recording, "position", "recording")),
                path=_expect(
                    _field(raw_recording, "path", "recording"), str, "recording.path"
                ),
            )
        active = doc.get("activePresetId")
        return cls(
            site_name=_expect(_field(doc, "siteName"), str, "siteName"),
            presets=presets,
            active_preset_id=None
            if active is None
            else _expect(active, str, "activePresetId"),
            has_no_signal=_expect(_field(doc, "hasNoSignal"), bool, "hasNoSignal"),
            recording=recording,
            raw=doc,
        )


def _position(value: object) -> int:
    """Validate the recording position: whole seconds, finite, plausible."""
    # JSON has one number type; bool is an int subclass but never a position.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _shape_error("recording.position", "a number", value)
    if not 0 <= value <= MAX_POSITION_SECONDS:  # also False for NaN
        raise _shape_error(
            "recording.position",
            f"between 0 and {MAX_POSITION_SECONDS} seconds",
            value,
        )
    return int(value)


def _field(container: object, key: str, where: str = "") -> Any:
    """Return a required field of an object, or raise naming it."""
    name = f"{where}.{key}" if where else key
    if not isinstance(container, dict):
        raise _shape_error(where or "status document", "an object", container)
    if key not in container:
        raise MediaScribeResponseError(f"The status has no '{name}' field")
    return container[key]


def _expect[T](value: object, kind: type[T], name: str) -> T:
    """Return the value if it has the expected JSON type, or raise naming it."""
    if not isinstance(value, kind):
        type_name = _json_type_name(kind)
        article = "an" if type_name[0] in "aeiou" else "a"
        raise _shape_error(name, f"{article} {type_name}", value)
    return value


def _json_type_name(kind: type) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean"}
    return names.get(kind, "number" if kind in (int, float) else kind.__name__)


def _shape_error(name: str, expected: str, value: object) -> MediaScribeResponseError:
    got = "null" if value is None else _json_type_name(type(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        got = f"{got} {value!r}"
    return MediaScribeResponseError(
        f"The status field '{name}' should be {expected}, not {got}",
        excerpt=_excerpt(json.dumps(value, default=str)),
    )


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def normalize_url(text: str) -> str:
    """Return the server's base URL from what a user typed or pasted.

    Accepts ``host``, ``host:port``, ``http(s)://host[:port][/base]`` with or
    without trailing slashes, and a full ``.../api/control/status`` URL.
    """
    text = text.strip()
    if not text:
        raise InvalidURLError("The server address is empty")
    if "://" not in text:
        text = f"http://{text}"
    try:
        url = URL(text)
        port = url.port
    except ValueError as err:
        raise InvalidURLError(f"The server address is not a valid URL: {err}") from err
    if url.scheme not in ("http", "https"):
        raise InvalidURLError(f"Unsupported scheme '{url.scheme}': use http or https")
    if not url.host:
        raise InvalidURLError("The server address has no host name")
    if url.user is not None or url.password is not None:
        raise InvalidURLError(
            "The server address must not contain a user name or password; "
            "the API token is entered separately"
        )
    if url.query_string or url.fragment:
        raise InvalidURLError("The server address must not contain '?' or '#' parts")
    path = url.path.rstrip("/")
    if path.lower().endswith(STATUS_PATH):
        path = path[: -len(STATUS_PATH)]
    base = URL.build(scheme=url.scheme, host=url.host, port=port, path=path)
    return str(base).rstrip("/")


def exposes_token(url: str) -> bool:
    """Return whether the token would cross a public network unencrypted.

    True for plain http to a public IP address or to a host name that is not
    one of the names local networks use; names are not resolved.
    """
    base = URL(normalize_url(url))
    host = base.host or ""
    if base.scheme == "https":
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return not (
            "." not in host or host == "localhost" or host.endswith(LOCAL_SUFFIXES)
        )
    return address.is_global


class MediaScribeClient:
    """Talk to one MediaScribe server."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        url: str,
        token: str,
        *,
        request_timeout: float = 10.0,
    ) -> None:
        """Prepare a client; a session passed in is shared and never closed here."""
        self._session = session
        self._close_session = False
        if not token:
            raise ValueError("An API token is required")
        self._base = URL(normalize_url(url))
        self._token = token
        # Built once: every poll sends the same request.
        self._url = self._base.with_path(self._base.path.rstrip("/") + STATUS_PATH)
        self._headers = {
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
            "User-Agent": USER_AGENT,
        }
        self.request_timeout = request_timeout

    def __repr__(self) -> str:
        """Describe the client without its token."""
        return f"{type(self).__name__}(url={str(self._base)!r})"

    @property
    def url(self) -> str:
        """Return the normalized base URL."""
        return str(self._base)

    async def get_status(self) -> Status:
        """Read the current status."""
        status = await self._request("GET")
        if status is None:
            raise MediaScribeResponseError(
                "The server answered the status request with no body"
            )
        return status

    async def start(self) -> Status | None:
        """Start recording; return the new status when the server sends one."""
        return await self._request("PUT", {"action": "start"})

    async def stop(self) -> Status | None:
        """Stop recording; return the new status when the server sends one."""
        return await self._request("PUT", {"action": "stop"})

    async def set_active_preset(self, preset_id: str) -> Status | None:
        """Select a preset; return the new status when the server sends one."""
        return await self._request("PUT", {PRESET_FIELD: preset_id})

    async def _request(
        self, method: str, payload: dict[str, str] | None = None
    ) -> Status | None:
        """Send one request and return the status document it carries, if any."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._close_session = True
        try:
            async with asyncio.timeout(self.request_timeout):
                async with self._session.request(
                    method,
                    self._url,
                    json=payload,
                    headers=self._headers,
                    allow_redirects=False,
                ) as response:
                    body = await _read_bounded(response, self._token)
        except TimeoutError as err:
            raise MediaScribeTimeoutError(
                f"{self._base} did not answer within {self.request_timeout:g} seconds"
            ) from err
        except aiohttp.ClientConnectorCertificateError as err:
            raise MediaScribeCertificateError(
                f"{self._base} presented a TLS certificate that could not be "
                f"verified: {err.certificate_error}"
            ) from err
        except (aiohttp.ClientError, socket.gaierror, OSError) as err:
            raise MediaScribeConnectionError(
                f"Cannot reach {self._base}: {type(err).__name__}: {err}"
            ) from err
        return _parse(response, body, self._token, expect_status=method == "GET")

    async def close(self) -> None:
        """Close the session if this client created it."""
        if self._session is not None and self._close_session:
            await self._session.close()

    async def __aenter__(self) -> Self:
        """Use the client as an async context manager."""
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        """Close what the client opened."""
        await self.close()


async def _read_bounded(response: aiohttp.ClientResponse, token: str) -> bytes:
    """Read the body, refusing one larger than any status document could be."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise MediaScribeResponseError(
                f"The server sent more than {MAX_BODY_BYTES // 1024} KiB; "
                "that is not a status document",
                status=response.status,
                excerpt=_excerpt(_text(b"".join(chunks), token)),
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(
    response: aiohttp.ClientResponse, body: bytes, token: str, *, expect_status: bool
) -> Status | None:
    """Map an HTTP response to a status, None, or the matching error."""
    status = response.status
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        raise MediaScribeAuthenticationError(
            f"The server rejected the API token (HTTP {status})"
        )
    if HTTPStatus.MULTIPLE_CHOICES <= status < HTTPStatus.BAD_REQUEST:
        location = _scrub(response.headers.get("Location", "nowhere"), token)
        raise MediaScribeResponseError(
            f"The server redirected (HTTP {status}) to {location}; "
            "use that address as the server URL if you trust it",
            status=status,
            excerpt=_excerpt(_text(body, token)),
        )
    if not HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        text = _text(body, token)
        raise MediaScribeResponseError(
            f"The server answered HTTP {status}{_error_detail(text)}",
            status=status,
            excerpt=_excerpt(text),
        )
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except ValueError as err:
        raise MediaScribeResponseError(
            "The server's answer is not JSON",
            status=status,
            excerpt=_excerpt(_text(body, token)),
        ) from err
    # A command may be acknowledged with any small JSON; only a document that
    # looks like a status is treated as one (and then it must be valid).
    if not expect_status and not (isinstance(data, dict) and "siteName" in data):
        return None
    try:
        return Status.from_dict(data)
    except MediaScribeResponseError as err:
        err.status = status
        err.excerpt = _scrub(err.excerpt, token)
        raise


def _text(body: bytes, token: str) -> str:
    """Decode a body for an error message, without the token."""
    return _scrub(body.decode(errors="replace"), token)


def _scrub(text: str, token: str) -> str:
    """Remove the token from text, also where JSON encoding escaped it."""
    for form in {token, json.dumps(token)[1:-1]}:
        text = text.replace(form, "***")
    return text


def _error_detail(text: str) -> str:
    """Return the server's own error message, when it sent one as JSON."""
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    if isinstance(data, dict) and isinstance(message := data.get("error"), str):
        return f": {_excerpt(message)}"
    return ""
