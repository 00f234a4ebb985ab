"""Home Assistant's websocket API as the bench uses it: actions and states.

Every state is stamped with the time it arrived here, so "the entity shows
the server's state" is timed as a websocket client sees it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import itertools
import time
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


class SocketError(Exception):
    """The websocket API refused a request or went away."""


@dataclass(frozen=True, slots=True)
class State:
    """One state of an entity as this client learned it."""

    state: str | None  # None: the entity was removed
    attributes: Mapping[str, Any]
    received: float
    """time.monotonic() when it arrived."""


def _stamped(state: Mapping[str, Any] | None) -> State:
    """Stamp a state object of the API (None: removed) with the time now."""
    state = state or {}
    return State(state.get("state"), state.get("attributes", {}), time.monotonic())


type Predicate = Callable[[State], bool]


class HassSocket:
    """One authenticated websocket connection, subscribed to state changes."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        """Describe the connection; nothing happens until connect()."""
        self._session = session
        self._url = f"{url}/api/websocket"
        self._token = token
        self._ids = itertools.count(1)
        self._results: dict[int, asyncio.Future[Any]] = {}
        self._waiters: list[tuple[str, Predicate, asyncio.Future[State]]] = []
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self.states: dict[str, State] = {}

    async def connect(self) -> None:
        """Authenticate, subscribe to changes and load the current states."""
        self._ws = await self._session.ws_connect(self._url, max_msg_size=0)
        await self._ws.receive_json()  # auth_required
        await self._ws.send_json({"type": "auth", "access_token": self._token})
        answer = await self._ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise SocketError(f"websocket authentication failed: {answer}")
        self._reader = asyncio.create_task(self._read(self._ws))
        await self.send({"type": "subscribe_events", "event_type": "state_changed"})
        for state in await self.send({"type": "get_states"}):
            # A change that arrived meanwhile is newer than this list.
            self.states.setdefault(state["entity_id"], _stamped(state))

    async def close(self) -> None:
        """Close the connection."""
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()

    async def send(self, message: dict[str, Any]) -> Any:
        """Send a command; return its result."""
        if self._ws is None:
            raise SocketError("not connected")
        message_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._results[message_id] = future
        await self._ws.send_json({**message, "id": message_id})
        return await future

    def expect(self, entity_id: str, predicate: Predicate) -> asyncio.Future[State]:
        """Return a future for the entity's first state that matches, from now."""
        future: asyncio.Future[State] = asyncio.get_running_loop().create_future()
        if (state := self.states.get(entity_id)) is not None and predicate(state):
            future.set_result(state)
        else:
            self._waiters.append((entity_id, predicate, future))
        return future

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            self._dispatch(message.json())
        error = SocketError("the websocket connection closed")
        for future in [*self._results.values(), *(w[2] for w in self._waiters)]:
            if not future.done():
                future.set_exception(error)

    def _dispatch(self, message: Mapping[str, Any]) -> None:
        if message["type"] == "result":
            future = self._results.pop(message["id"])
            if future.done():  # its caller gave up
                return
            if message["success"]:
                future.set_result(message["result"])
            else:
                future.set_exception(SocketError(str(message["error"])))
        elif message["type"] == "event":  # only state_changed is subscribed to
            data = message["event"]["data"]
            state = self.states[data["entity_id"]] = _stamped(data["new_state"])
            self._waiters = [w for w in self._waiters if not w[2].done()]
            for entity_id, predicate, future in self._waiters:
                if entity_id == data["entity_id"] and predicate(state):
                    future.set_result(state)
