"""The coordinator's data: one frozen snapshot per status, with what derives from it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import hashlib
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Any

from homeassistant.const import MAX_LENGTH_STATE_STATE

from .const import STALL_AFTER

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .api import Preset, Recording, Status

# Event types of the Recording event entity, and the Recording state sensor's
# states (used as literals below).
EVENT_TYPES = ["started", "stopped", "stalled", "resumed", "signal_lost"]
EVENT_TYPES += ["signal_restored", "start_failed", "stop_failed", "preset_failed"]
RECORDING_STATES = ["recording", "stopped", "stalled", "no_signal"]
# How much of a preset id a label shows to tell presets of one name apart.
MAX_ID_SUFFIX = 64


@dataclass(frozen=True, slots=True)
class RecordingEvent:
    """Something that happened to the recording between two snapshots."""

    type: str
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CommandFailure:
    """A start, stop or preset change the server did not carry out, and why."""

    command: str
    # A translation key of the integration's exceptions, such as cannot_connect.
    reason: str


@dataclass(frozen=True, slots=True)
class MediaScribeData:
    """A status and what Home Assistant derives from it and its predecessor.

    Snapshots that differ only in the recording's position (or in when it
    last advanced) compare equal, so the coordinator writes no entity for them.
    """

    status: Status
    # Option label -> preset id, in the server's order.
    options: dict[str, str]
    active_option: str | None
    recording_started: datetime | None
    # When the recording's position was last seen to change.
    advanced_at: datetime | None = field(compare=False)
    stalled: bool
    # The recording before this one (its final position), while none runs.
    last_recording: Recording | None = None
    # The last command the server did not carry out, until one succeeds.
    failure: CommandFailure | None = None
    # Every event comes with a change of a compared field, or through a
    # command, which always publishes.
    events: tuple[RecordingEvent, ...] = field(default=(), compare=False)

    @property
    def recording_state(self) -> str:
        """Return what the recording is doing, the worst trouble first."""
        if self.status.recording is None:
            return "stopped"
        if self.stalled:
            return "stalled"
        return "no_signal" if self.status.has_no_signal else "recording"


def build_data(
    status: Status,
    previous: MediaScribeData | None,
    now: datetime,
    *,
    command: str | None = None,
    failure: CommandFailure | None = None,
) -> MediaScribeData:
    """Derive the next snapshot; `previous` is None after a (re)start.

    `command` names a command this status confirms, `failure` one it did not.
    """
    recording = status.recording
    before = previous.status.recording if previous else None
    started: datetime | None = None
    advanced_at: datetime | None = None
    stalled = False
    if recording is not None:
        if previous is not None and before is not None and before == recording:
            # The same recording: its start never moves, even while it stalls.
            started = previous.recording_started
            advanced_at = (
                now
                if before.position != recording.position
                else previous.advanced_at or now
            )
            stalled = now - advanced_at >= STALL_AFTER
        else:
            started = (now - timedelta(seconds=recording.position)).replace(
                microsecond=0
            )
            advanced_at = now
    options = (
        previous.options
        if previous is not None and previous.status.presets == status.presets
        else preset_options(status.presets)
    )
    # A failure stays until a command succeeds or the recording starts or stops.
    kept = None
    if previous and not command and (before is None) == (recording is None):
        kept = previous.failure
    data = MediaScribeData(
        status=status,
        options=options,
        active_option=next(
            (k for k, v in options.items() if v == status.active_preset_id), None
        ),
        recording_started=started,
        advanced_at=advanced_at,
        stalled=stalled,
        last_recording=None
        if recording is not None
        else before or (previous.last_recording if previous else None),
        failure=failure or kept,
    )
    if previous is None:
        return data
    # A stop that failed, then took effect late, was still Home Assistant's.
    late_stop = previous.failure is not None and previous.failure.command == "stop"
    events = _events(previous, data, stopped_by_us=command == "stop" or late_stop)
    return replace(data, events=(*events, *with_failure(data, failure).events))


def with_failure(
    data: MediaScribeData, failure: CommandFailure | None
) -> MediaScribeData:
    """Return the snapshot with a command's failure recorded (None: cleared)."""
    events = (
        (RecordingEvent(f"{failure.command}_failed", {"reason": failure.reason}),)
        if failure
        else ()
    )
    return replace(data, failure=failure, events=events)


def _events(
    previous: MediaScribeData, data: MediaScribeData, *, stopped_by_us: bool
) -> Iterator[RecordingEvent]:
    """Yield what changed for the recording from one snapshot to the next."""
    before, now = previous.status.recording, data.status.recording
    if before is not None and before != now:
        yield RecordingEvent(
            "stopped",
            {
                **recording_attributes(before),
                "duration": before.position,
                "source": "home_assistant" if stopped_by_us else "server",
            },
        )
    if now is None:
        return
    attributes = recording_attributes(now)
    if before != now:
        yield RecordingEvent("started", {**attributes, "preset": data.active_option})
        return
    if data.stalled != previous.stalled:
        yield RecordingEvent("stalled" if data.stalled else "resumed", attributes)
    if data.status.has_no_signal != previous.status.has_no_signal:
        kind = "signal_lost" if data.status.has_no_signal else "signal_restored"
        yield RecordingEvent(kind, attributes)


def recording_attributes(recording: Recording) -> dict[str, Any]:
    """Return the path and file name that every recording event carries."""
    return {"path": recording.path, "file_name": file_name(recording.path)}


def file_name(path: str) -> str:
    """Return the last part of a Windows or POSIX path, shortened to fit a state."""
    return fit(PureWindowsPath(path).name or path)


def fit(text: str, suffix: str = "") -> str:
    """Return text with an optional suffix, shortened to fit a state."""
    tail = f" ({suffix})" if suffix else ""
    room = MAX_LENGTH_STATE_STATE - len(tail)
    if len(text) > room:
        text = text[: room - 1] + "…"
    return text + tail


def preset_options(presets: tuple[Preset, ...]) -> dict[str, str]:
    """Map a unique label that fits a state to each preset id, in the server's order.

    A label is the preset's name; a name shared by several presets gets the
    preset's id added, and a label that still collides (ids cut short, or a
    name that reads like another preset's label) a digest of the id. Labels
    depend on the set of presets, never on their order.
    """
    names: dict[str, str] = {}
    for preset in presets:
        name = preset.name.strip() or preset.id
        # A repeated id keeps one name, the same whatever the order.
        names[preset.id] = min(name, names.get(preset.id, name))
    shared = Counter(fit(name) for name in names.values())
    labels = {
        id_: fit(name) if shared[fit(name)] == 1 else fit(name, id_[:MAX_ID_SUFFIX])
        for id_, name in names.items()
    }
    taken = Counter(labels.values())
    return {
        label if taken[label] == 1 else fit(names[id_], _digest(id_)): id_
        for id_, label in labels.items()
    }


def _digest(preset_id: str) -> str:
    return "#" + hashlib.sha256(preset_id.encode()).hexdigest()[:10]
