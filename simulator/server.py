"""An aiohttp server that behaves like a MediaScribe recorder's control API."""

from __future__ import annotations

import asyncio
from bisect import insort
from collections.abc import Callable, Iterable, Mapping, Sequence
import contextlib
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
import json
from operator import attrgetter
import time
from typing import TYPE_CHECKING, Literal, NamedTuple, Self, get_args
import uuid

from aiohttp import hdrs, web
from yarl import URL

from .faults import Fault, combine

if TYPE_CHECKING:
    import ssl
    from types import TracebackType

    from aiohttp.typedefs import Handler

STATUS_PATH = "/api/control/status"
CONTROL_PREFIX = "/_simulator"

PutResponse = Literal["status", "ack", "empty"]
PresetChange = Literal["apply", "ignore", "reject"]
ActionChange = Literal["apply", "ignore"]
type Clock = Callable[[], datetime]

PUT_RESPONSES: tuple[PutResponse, ...] = get_args(PutResponse)
PRESET_CHANGES: tuple[PresetChange, ...] = get_args(PresetChange)
ACTION_CHANGES: tuple[ActionChange, ...] = get_args(ActionChange)


class UnknownPresetError(KeyError):
    """No preset has the given id."""


@dataclass(frozen=True, slots=True)
class Preset:
    """A recording preset as the API lists it."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request to /api/ as answered; the token itself is never kept."""

    time: float
    """time.monotonic() when the answer was decided."""
    method: str
    path: str
    body: object
    """The parsed JSON body; None when there was none or it was not JSON."""
    status: int | None
    """The answer's status code; None when the connection was dropped."""
    authorized: bool


class _Command(NamedTuple):
    """A start or stop acknowledged but not yet carried out."""

    due: datetime
    start: bool


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MediaScribeSimulator:
    """A MediaScribe control API on a real socket, with injectable faults."""

    def __init__(
        self,
        *,
        tokens: Iterable[str],
        site_name: str = "Springfield City Council",
        presets: Sequence[str | Preset] = ("Default",),
        put_response: PutResponse = "status",
        preset_change: PresetChange = "apply",
        action_change: ActionChange = "apply",
        action_delay: float = 0.0,
        position_frozen: bool = False,
        recording_limit: float | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        """Set up the recorder's state; nothing listens until start()."""
        self.site_name = site_name
        self.has_no_signal = False
        self.put_response: PutResponse = put_response
        self.preset_change: PresetChange = preset_change
        self.action_change: ActionChange = action_change
        self.action_delay = action_delay
        self._position_frozen = position_frozen
        self._recording_limit = recording_limit
        self._clock = clock
        self._tokens: set[str] = set()
        for token in tokens:
            self.add_token(token)
        self._presets: list[Preset] = []
        # Counts every preset ever added so generated ids never repeat.
        self._presets_added = 0
        for preset in presets:
            if isinstance(preset, Preset):
                self.add_preset(preset.name, preset.id)
            else:
                self.add_preset(preset)
        if not self._presets:
            raise ValueError("a recorder always has at least one preset")
        self.active_preset_id = self._presets[0].id
        self._recording_started: datetime | None = None
        # The position is _counted seconds plus the time since _counting_since,
        # which is None while the position is frozen.
        self._counted = 0.0
        self._counting_since: datetime | None = None
        self._commands: list[_Command] = []
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._address: tuple[str, int] | None = None
        self._scheme = "http"
        self._closing = asyncio.Event()

    async def start(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """Listen on host:port (port 0 picks a free one), on https with a context."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        runner = web.AppRunner(self._build_app())
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
        except OSError:
            await runner.cleanup()
            raise
        self._closing.clear()
        self._runner = runner
        self._address = (host, int(runner.addresses[0][1]))
        self._scheme = "http" if ssl_context is None else "https"

    async def stop(self) -> None:
        """Stop listening; answers held back by latency are released at once."""
        if self._runner is None:
            return
        runner, self._runner, self._address = self._runner, None, None
        self._closing.set()
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        """Start on a free port of 127.0.0.1."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self._bound()[1]

    @property
    def url(self) -> str:
        """The base URL, without a path."""
        host, port = self._bound()
        return str(URL.build(scheme=self._scheme, host=host, port=port))

    @property
    def is_recording(self) -> bool:
        """Whether a recording is running."""
        self._settle()
        return self._recording_started is not None

    @property
    def position_frozen(self) -> bool:
        """Whether a running recording's position has stopped advancing."""
        return self._position_frozen

    @position_frozen.setter
    def position_frozen(self, frozen: bool) -> None:
        self._settle()
        if frozen != self._position_frozen and self._recording_started is not None:
            now = self._clock()
            # A recovered recorder's file grows on from where it stalled.
            self._counted = self._position(now)
            self._counting_since = None if frozen else now
        self._position_frozen = frozen

    @property
    def recording_limit(self) -> float | None:
        """Seconds after its start at which a recording ends by itself; None: never."""
        return self._recording_limit

    @recording_limit.setter
    def recording_limit(self, seconds: float | None) -> None:
        # The old limit still decides about the time before the change.
        self._settle()
        self._recording_limit = seconds

    @property
    def presets(self) -> tuple[Preset, ...]:
        """The presets in the order the API lists them."""
        return tuple(self._presets)

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The active faults; `count` is what remains of each."""
        return tuple(self._faults)

    @property
    def requests(self) -> tuple[RecordedRequest, ...]:
        """Every request to /api/ since the last clear_requests()."""
        return tuple(self._requests)

    def start_recording(self) -> None:
        """Start recording at once; a running recording carries on untouched."""
        self._settle()
        self._begin(self._clock())

    def stop_recording(self) -> None:
        """Stop recording at once, if it is, as if ended at the server."""
        self._settle()
        self._recording_started = None

    def add_preset(self, name: str, preset_id: str | None = None) -> str:
        """Append a preset; return its id, derived from its position if not given."""
        if preset_id is None:
            seed = (
                f"mediascribe-simulator:{self.site_name}:{self._presets_added}:{name}"
            )
            preset_id = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
        if any(preset.id == preset_id for preset in self._presets):
            raise ValueError(f"preset id {preset_id} is already in use")
        self._presets_added += 1
        self._presets.append(Preset(preset_id, name))
        return preset_id

    def rename_preset(self, preset_id: str, name: str) -> None:
        """Give a preset a new name."""
        self._presets[self._preset_index(preset_id)] = Preset(preset_id, name)

    def remove_preset(self, preset_id: str) -> None:
        """Remove a preset; the active one falls back to the first left, if any."""
        del self._presets[self._preset_index(preset_id)]
        if self.active_preset_id == preset_id and self._presets:
            self.active_preset_id = self._presets[0].id

    def add_token(self, token: str) -> None:
        """Accept another API token."""
        if not token:
            raise ValueError("a token must not be empty")
        self._tokens.add(token)

    def revoke_token(self, token: str) -> None:
        """Stop accepting a token; unknown tokens are ignored."""
        self._tokens.discard(token)

    def add_fault(self, fault: Fault) -> None:
        """Apply a fault to the coming API requests, on top of those active."""
        self._faults.append(fault)

    def clear_faults(self) -> None:
        """Remove every active fault."""
        self._faults.clear()

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._requests.clear()

    def status_document(self) -> dict[str, object]:
        """Return the status document the API serves, without faults."""
        self._settle()
        document: dict[str, object] = {
            "siteName": self.site_name,
            "presets": [
                {"id": preset.id, "name": preset.name} for preset in self._presets
            ],
            "activePresetId": self.active_preset_id,
            "hasNoSignal": self.has_no_signal,
        }
        if (started := self._recording_started) is not None:
            utc = started.astimezone(UTC)
            meeting = (
                f"New Meeting {utc:%Y-%m-%dT%H-%M-%S}.{utc.microsecond // 1000:03d}Z"
            )
            document["recording"] = {
                # A clock set back must not give a negative position.
                "position": max(0, int(self._position(self._clock()))),
                "path": f"E:\\recordings\\{meeting}\\{meeting}.mp4",
            }
        return document

    def _settle(self) -> None:
        """Carry out the commands that have come due and the recording limit."""
        now = self._clock()
        while self._commands and self._commands[0].due <= now:
            command = self._commands.pop(0)
            self._end_at_limit(command.due)
            if command.start:
                self._begin(command.due)
            else:
                self._recording_started = None
        self._end_at_limit(now)

    def _end_at_limit(self, moment: datetime) -> None:
        started, limit = self._recording_started, self._recording_limit
        if started is None or limit is None:
            return
        if moment >= started + timedelta(seconds=limit):
            self._recording_started = None

    def _begin(self, moment: datetime) -> None:
        if self._recording_started is None:
            self._recording_started = moment
            self._counted = 0.0
            self._counting_since = None if self._position_frozen else moment

    def _position(self, now: datetime) -> float:
        if self._counting_since is None:
            return self._counted
        return self._counted + (now - self._counting_since).total_seconds()

    def _bound(self) -> tuple[str, int]:
        if self._address is None:
            raise RuntimeError("the simulator is not running")
        return self._address

    def _preset_index(self, preset_id: str) -> int:
        for index, preset in enumerate(self._presets):
            if preset.id == preset_id:
                return index
        raise UnknownPresetError(preset_id)

    def _build_app(self) -> web.Application:
        control = web.Application(middlewares=[_control_errors])
        control.add_routes(
            [
                web.get("/state", self._get_state),
                web.patch("/state", self._patch_state),
                web.post("/presets", self._post_preset),
                web.patch("/presets/{preset_id}", self._patch_preset),
                web.delete("/presets/{preset_id}", self._delete_preset),
                web.post("/tokens", self._post_token),
                web.post("/tokens/revoke", self._post_token_revoke),
                web.post("/faults", self._post_fault),
                web.delete("/faults", self._delete_faults),
                web.get("/requests", self._get_requests),
                web.delete("/requests", self._delete_requests),
            ]
        )
        app = web.Application()
        # One catch-all route, so faults and the log cover unknown paths too.
        app.router.add_route("*", "/api/{tail:.*}", self._handle_api)
        app.add_subapp(CONTROL_PREFIX, control)
        return app

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        authorized = scheme.lower() == "bearer" and token in self._tokens
        fault = self._take_fault()
        response = (
            None
            if fault.drop
            else self._respond(request, raw, fault, authorized=authorized)
        )
        self._requests.append(
            RecordedRequest(
                time=time.monotonic(),
                method=request.method,
                path=request.path,
                body=_json_or_none(raw),
                status=None if response is None else response.status,
                authorized=authorized,
            )
        )
        if fault.latency > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(fault.latency):
                    await self._closing.wait()
        if response is None:
            request.protocol.force_close()
            # Never sent: aiohttp finds the connection closed and drops it.
            return web.Response()
        return response

    def _take_fault(self) -> Fault:
        taken = self._faults
        self._faults = [
            fault if fault.count is None else replace(fault, count=fault.count - 1)
            for fault in taken
            if fault.count != 1
        ]
        return combine(taken)

    def _respond(
        self, request: web.Request, raw: bytes, fault: Fault, *, authorized: bool
    ) -> web.Response:
        if fault.status is not None:
            # A forced status stands for a server that failed before acting.
            response = web.Response(status=fault.status)
        else:
            response = self._answer(
                request.method, request.path, raw, fault, authorized=authorized
            )
        if fault.body is not None:
            response.body = fault.body * fault.body_repeat
            response.headers[hdrs.CONTENT_TYPE] = fault.content_type
        response.headers.update(fault.headers)
        return response

    def _answer(
        self, method: str, path: str, raw: bytes, fault: Fault, *, authorized: bool
    ) -> web.Response:
        # Routing comes before authentication, as in most web frameworks.
        if path != STATUS_PATH:
            return _error(HTTPStatus.NOT_FOUND, "Not Found")
        if method not in {hdrs.METH_GET, hdrs.METH_PUT}:
            return _error(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                headers={hdrs.ALLOW: "GET, PUT"},
            )
        if not authorized:
            return _error(HTTPStatus.UNAUTHORIZED, "Unauthorized")
        if method == hdrs.METH_GET:
            return self._status_response(fault)
        return self._put(raw, fault)

    def _put(self, raw: bytes, fault: Fault) -> web.Response:
        if (refusal := self._apply(raw)) is not None:
            return _error(HTTPStatus.BAD_REQUEST, refusal)
        if self.put_response == "empty":
            return web.Response(status=HTTPStatus.NO_CONTENT)
        if self.put_response == "ack":
            return web.json_response({"success": True})
        return self._status_response(fault)

    def _status_response(self, fault: Fault) -> web.Response:
        document = {**self.status_document(), **fault.fields}
        for name in fault.remove_fields:
            document.pop(name, None)
        return web.json_response(document)

    def _apply(self, raw: bytes) -> str | None:
        """Carry out a PUT body; return why it was refused, if it was."""
        try:
            body = json.loads(raw)
        except ValueError:
            return "Request body is not valid JSON"
        if not isinstance(body, dict):
            return "Request body must be a JSON object"
        if ("action" in body) == ("activePresetId" in body):
            return "Request body needs exactly one of action and activePresetId"
        if "action" in body:
            return self._apply_action(body["action"])
        return self._apply_preset(body["activePresetId"])

    def _apply_action(self, action: object) -> str | None:
        if action not in {"start", "stop"}:
            return f"Unknown action {action!r}"
        if self.action_change == "apply":
            due = self._clock() + timedelta(seconds=self.action_delay)
            # Commands are carried out in the order they come due.
            insort(
                self._commands, _Command(due, action == "start"), key=attrgetter("due")
            )
        return None

    def _apply_preset(self, preset_id: object) -> str | None:
        if self.preset_change == "reject":
            return "Changing the preset is not supported"
        if self.preset_change == "ignore":
            return None
        if not isinstance(preset_id, str) or preset_id not in {
            p.id for p in self._presets
        }:
            return f"Unknown preset id {preset_id!r}"
        self.active_preset_id = preset_id
        return None

    def _state(self) -> web.Response:
        return web.json_response(
            {
                "status": self.status_document(),
                "put_response": self.put_response,
                "preset_change": self.preset_change,
                "action_change": self.action_change,
                "action_delay": self.action_delay,
                "position_frozen": self.position_frozen,
                "recording_limit": self.recording_limit,
                "token_count": len(self._tokens),
                "faults": [fault.to_json() for fault in self._faults],
                "request_count": len(self._requests),
            }
        )

    async def _get_state(self, _request: web.Request) -> web.Response:
        return self._state()

    async def _patch_state(self, request: web.Request) -> web.Response:
        changes = await _read_object(request)
        if unknown := changes.keys() - _STATE_FIELDS:
            raise ValueError(f"unknown state fields: {', '.join(sorted(unknown))}")
        # Check every field before changing anything.
        settings: dict[str, object] = {
            "site_name": _field(changes, "site_name", str),
            "active_preset_id": _field(changes, "active_preset_id", str),
            "has_no_signal": _field(changes, "has_no_signal", bool),
            "put_response": _choice(changes, "put_response", PUT_RESPONSES),
            "preset_change": _choice(changes, "preset_change", PRESET_CHANGES),
            "action_change": _choice(changes, "action_change", ACTION_CHANGES),
            "action_delay": _seconds(changes, "action_delay"),
            "position_frozen": _field(changes, "position_frozen", bool),
        }
        recording_limit = _seconds(changes, "recording_limit")
        recording = _field(changes, "recording", bool)
        for name, value in settings.items():
            if value is not None:
                setattr(self, name, value)
        # Only here does null mean something: no limit.
        if "recording_limit" in changes:
            self.recording_limit = recording_limit
        if recording is True:
            self.start_recording()
        elif recording is False:
            self.stop_recording()
        return self._state()

    async def _post_preset(self, request: web.Request) -> web.Response:
        data = await _read_object(request)
        name = _required(data, "name", str)
        preset_id = self.add_preset(name, _field(data, "id", str))
        return web.json_response({"id": preset_id}, status=HTTPStatus.CREATED)

    async def _patch_preset(self, request: web.Request) -> web.Response:
        name = _required(await _read_object(request), "name", str)
        self.rename_preset(request.match_info["preset_id"], name)
        return self._state()

    async def _delete_preset(self, request: web.Request) -> web.Response:
        self.remove_preset(request.match_info["preset_id"])
        return self._state()

    async def _post_token(self, request: web.Request) -> web.Response:
        self.add_token(_required(await _read_object(request), "token", str))
        return self._state()

    async def _post_token_revoke(self, request: web.Request) -> web.Response:
        self.revoke_token(_required(await _read_object(request), "token", str))
        return self._state()

    async def _post_fault(self, request: web.Request) -> web.Response:
        self.add_fault(Fault.from_json(await _read_object(request)))
        return self._state()

    async def _delete_faults(self, _request: web.Request) -> web.Response:
        self.clear_faults()
        return self._state()

    async def _get_requests(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {"requests": [asdict(entry) for entry in self._requests]}
        )

    async def _delete_requests(self, _request: web.Request) -> web.Response:
        self.clear_requests()
        return web.Response(status=HTTPStatus.NO_CONTENT)


_STATE_FIELDS = frozenset(
    {
        "site_name",
        "active_preset_id",
        "has_no_signal",
        "recording",
        "put_response",
        "preset_change",
        "action_change",
        "action_delay",
        "position_frozen",
        "recording_limit",
    }
)


@web.middleware
async def _control_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a refused control request with a JSON error instead of a 500."""
    try:
        return await handler(request)
    except UnknownPresetError as err:
        return _error(HTTPStatus.NOT_FOUND, f"unknown preset {err.args[0]}")
    except (TypeError, ValueError) as err:
        return _error(HTTPStatus.BAD_REQUEST, str(err))


def _error(
    status: HTTPStatus, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def _json_or_none(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def _read_object(request: web.Request) -> Mapping[str, object]:
    data = await request.json()
    if not isinstance(data, dict):
        raise TypeError("the body must be a JSON object")
    return data


def _field[T](data: Mapping[str, object], key: str, kind: type[T]) -> T | None:
    value = data.get(key)
    if value is None or isinstance(value, kind):
        return value
    raise TypeError(f"{key} must be a {kind.__name__}")


def _required[T](data: Mapping[str, object], key: str, kind: type[T]) -> T:
    if (value := _field(data, key, kind)) is None:
        raise ValueError(f"{key} is required")
    return value


def _choice[T: str](
    data: Mapping[str, object], key: str, choices: tuple[T, ...]
) -> T | None:
    value = _field(data, key, str)
    if value is not None and value not in choices:
        raise ValueError(f"{key} must be one of {', '.join(choices)}")
    return value


def _seconds(data: Mapping[str, object], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{key} must be a number")
    if value < 0:
        raise ValueError(f"{key} must not be negative")
    return float(value)
