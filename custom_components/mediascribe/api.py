"""Asynchronous client for the MediaScribe control API.

Imports nothing from Home Assistant so that it can move to its own package.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from http.client import responses
import ipaddress
import json
import math
import re
import time
from typing import Any, Final, Self
import unicodedata

import aiohttp
import idna
from yarl import URL

STATUS_PATH: Final = "/api/control/status"

# The vendor documents only start and stop. Changing the preset with this body
# is our assumption (see the README); it lives here and nowhere else.
PRESET_FIELD: Final = "activePresetId"

# A status document is a few hundred bytes; anything far larger is not one.
MAX_BODY_BYTES: Final = 1024 * 1024
# Ten years: a longer "recording" is a broken counter, not a meeting.
MAX_POSITION_SECONDS: Final = 10 * 366 * 24 * 3600
# A server asking to be left alone longer than this is asked again anyway.
MAX_RETRY_AFTER: Final = 60.0
MAX_HOST_LENGTH: Final = 253
_HOST_LABEL: Final = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


class MediaScribeError(Exception):
    """Base class for every error this client raises.

    Messages are the client's own words and never quote the server's answer,
    so no echo of the token can reach a log or an error shown to a user.
    """


class MediaScribeConnectionError(MediaScribeError):
    """The server could not be reached or the connection broke."""


class MediaScribeTimeoutError(MediaScribeConnectionError):
    """The server did not answer within the request timeout."""


class MediaScribeCertificateError(MediaScribeConnectionError):
    """The server's TLS certificate could not be verified."""


class MediaScribeHostNotFoundError(MediaScribeConnectionError):
    """The server's host name does not resolve."""


class MediaScribeAuthenticationError(MediaScribeError):
    """The server rejected the API token (HTTP 401 or 403)."""


class MediaScribeResponseError(MediaScribeError):
    """The server answered, but not with what the API promises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Keep the HTTP status and the pause the server asked for."""
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class MediaScribeBusyError(MediaScribeResponseError):
    """The server asked to slow down (HTTP 429)."""


class MediaScribeServerError(MediaScribeResponseError):
    """The server failed to handle the request (HTTP 5xx)."""


class InvalidURLError(ValueError):
    """The text given as the server address is not a usable URL."""


class InvalidTokenError(ValueError):
    """The text given as the API token cannot be a token."""


@dataclass(frozen=True, slots=True)
class Preset:
    """One recording preset configured on the server."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Recording:
    """The recording in progress, identified by its file.

    The position is progress, not identity: two statuses of the same recording
    compare equal, so a poll that only saw the position advance changes nothing
    that Home Assistant shows.
    """

    position: int = field(compare=False)
    path: str


@dataclass(frozen=True, slots=True)
class Status:
    """A validated status document."""

    site_name: str
    presets: tuple[Preset, ...]
    active_preset_id: str | None
    has_no_signal: bool
    recording: Recording | None

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Validate a decoded status document; unknown fields are ignored."""
        doc = _expect(data, dict, "status document")
        presets = tuple(
            Preset(
                id=_expect(_field(item, "id", f"presets[{i}]"), str, "presets[].id"),
                name=_expect(
                    _field(item, "name", f"presets[{i}]"), str, "presets[].name"
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
        )


def _position(value: object) -> int:
    """Validate the recording position: whole seconds, finite, plausible."""
    # JSON has one number type; bool is an int subclass but never a position.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _shape_error("recording.position", "a number", value)
    if not 0 <= value <= MAX_POSITION_SECONDS:  # also False for NaN
        raise MediaScribeResponseError(
            f"The status field 'recording.position' should be between 0 and "
            f"{MAX_POSITION_SECONDS} seconds"
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
    return names.get(kind, "number" if kind in (int, float) else "null")


def _shape_error(name: str, expected: str, value: object) -> MediaScribeResponseError:
    """Name the field and the JSON types; never the value, which is server text."""
    return MediaScribeResponseError(
        f"The status field '{name}' should be {expected}, "
        f"not {_json_type_name(type(value))}"
    )


def _has_forbidden_characters(text: str) -> bool:
    """Return whether text holds white space, control characters or a backslash."""
    return any(
        char.isspace() or char == "\\" or unicodedata.category(char)[0] == "C"
        for char in text
    )


def normalize_url(text: str) -> str:
    """Return the server's base URL from what a user typed or pasted.

    Accepts ``host``, ``host:port``, ``http(s)://host[:port][/base]`` with or
    without trailing slashes, and a full ``.../api/control/status`` URL.
    International host names are kept in their IDNA (``xn--``) form.
    """
    text = text.strip()
    if not text:
        raise InvalidURLError("The server address is empty")
    if _has_forbidden_characters(text):
        raise InvalidURLError("The server address contains spaces or backslashes")
    if "://" not in text:
        text = f"http://{text}"
    try:
        url = URL(text)
        port, host = url.port, url.raw_host
        path = url.path.rstrip("/")
    except (ValueError, UnicodeError) as err:
        raise InvalidURLError(f"The server address is not a valid URL: {err}") from err
    if host is None or not _valid_host(host):
        raise InvalidURLError("The server address has no valid host name")
    if url.scheme not in ("http", "https"):
        raise InvalidURLError(f"Unsupported scheme '{url.scheme}': use http or https")
    if url.user is not None or url.password is not None:
        raise InvalidURLError("The server address must not contain a user name")
    if url.query_string or url.fragment:
        raise InvalidURLError("The server address must not contain '?' or '#' parts")
    if path.lower().endswith(STATUS_PATH):
        path = path[: -len(STATUS_PATH)]
    return str(URL.build(scheme=url.scheme, host=host, port=port, path=path))


def _valid_host(host: str) -> bool:
    """Return whether an IDNA-encoded host is an IP address or a DNS name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        # One trailing dot is the DNS root; more are an empty label.
        labels = host.removesuffix(".").split(".")
        return len(host) <= MAX_HOST_LENGTH and all(
            _HOST_LABEL.fullmatch(label)
            and (not label.startswith("xn--") or _valid_a_label(label))
            for label in labels
        )
    return True


def _valid_a_label(label: str) -> bool:
    """Return whether an internationalized label's punycode is valid IDNA."""
    try:
        idna.decode(label)
    except idna.IDNAError:
        return False
    return True


def normalize_token(text: str) -> str:
    """Return the API token without surrounding white space, or raise."""
    token = text.strip()
    if not token:
        raise InvalidTokenError("The API token is empty")
    if _has_forbidden_characters(token) or not token.isascii():
        raise InvalidTokenError("The API token contains spaces or control characters")
    return token


class MediaScribeClient:
    """Talk to one MediaScribe server."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        token: str,
        *,
        request_timeout: float = 10.0,
    ) -> None:
        """Prepare a client on a session that the caller owns."""
        self._session = session
        self._base = URL(normalize_url(url))
        self._token = token
        self._url = self._base.with_path(self._base.path.rstrip("/") + STATUS_PATH)
        self._headers = {
            "Accept": "application/json",
            # A status is small; an answer compressed anyway is refused, so no
            # compression bomb is ever inflated.
            "Accept-Encoding": "identity",
            "Authorization": f"Bearer {token}",
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
            raise MediaScribeResponseError("The server answered with no status")
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
        """Send one request and map every failure to a MediaScribeError."""
        try:
            async with asyncio.timeout(self.request_timeout):
                async with self._session.request(
                    method,
                    self._url,
                    json=payload,
                    headers=self._headers,
                    allow_redirects=False,
                    auto_decompress=False,
                ) as response:
                    body = await _read_bounded(response)
        except TimeoutError:
            raise MediaScribeTimeoutError(
                f"{self._base} did not answer within {self.request_timeout:g} seconds"
            ) from None
        except aiohttp.ClientConnectorCertificateError as err:
            raise MediaScribeCertificateError(
                f"{self._base} presented a TLS certificate that could not be "
                f"verified: {err.certificate_error}"
            ) from None
        except aiohttp.ClientConnectorDNSError as err:
            raise MediaScribeHostNotFoundError(
                f"The host name of {self._base} does not resolve: {err.os_error}"
            ) from None
        except (aiohttp.ClientError, OSError) as err:
            # aiohttp's own text may quote what the server sent: only the
            # operating system's words go with the kind of failure.
            reason = err.strerror if isinstance(err, OSError) else None
            raise MediaScribeConnectionError(
                f"Cannot reach {self._base}: {type(err).__name__}"
                + (f" ({reason})" if reason else "")
            ) from None
        return _parse(response, body, self._token, expect_status=method == "GET")


async def _read_bounded(response: aiohttp.ClientResponse) -> str:
    """Read and decode the body, refusing one larger than a status could be."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise MediaScribeResponseError(
                f"The server sent more than {MAX_BODY_BYTES // 1024} KiB; "
                "that is not a status document",
                status=response.status,
            )
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    # An empty answer (a 204) has nothing to decode, whatever it claims.
    if body and encoding not in ("identity", ""):
        raise MediaScribeResponseError(
            "The server compressed its answer although it was asked not to",
            status=response.status,
        )
    charset = response.charset
    try:
        text = body.decode(charset or json.detect_encoding(body), errors="replace")
    except (LookupError, UnicodeError):
        # An unknown declared charset: JSON's own detection is the best guess.
        text = body.decode(json.detect_encoding(body), errors="replace")
    return text.removeprefix("\ufeff")


def _parse(
    response: aiohttp.ClientResponse, body: str, token: str, *, expect_status: bool
) -> Status | None:
    """Map an HTTP response to a status, None, or the matching error."""
    status = response.status
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        raise MediaScribeAuthenticationError(
            f"The server rejected the API token (HTTP {status})"
        )
    if not HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        kind: type[MediaScribeResponseError] = MediaScribeResponseError
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            kind = MediaScribeBusyError
        elif status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            kind = MediaScribeServerError
        raise kind(
            # The standard reason phrase, never the server's.
            f"The server answered HTTP {status} {responses.get(status, '')}".rstrip(),
            status=status,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    if not body.strip():
        return None
    try:
        # The token is replaced in every decoded string, so that a server that
        # echoes it into a name or path cannot get it shown in a state.
        data = json.loads(
            body,
            parse_constant=_refuse_constant,
            object_hook=lambda obj: {
                key: value.replace(token, "***") if isinstance(value, str) else value
                for key, value in obj.items()
            },
        )
        # A command may be acknowledged with any small JSON; only a document
        # that looks like a status is treated as one (and then it must be valid).
        if not expect_status and not (isinstance(data, dict) and "siteName" in data):
            return None
        return Status.from_dict(data)
    except MediaScribeResponseError as err:
        err.status = status
        raise
    except (ValueError, TypeError, RecursionError) as err:
        raise MediaScribeResponseError(
            f"The server's answer is not a status document ({type(err).__name__})",
            status=status,
        ) from None


def _refuse_constant(name: str) -> None:
    """Refuse NaN and Infinity, which Python's json accepts but JSON has not."""
    raise ValueError(f"{name} is not JSON")


def _retry_after(value: str | None) -> float | None:
    """Return the pause a Retry-After header asks for, within a sane bound."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)
