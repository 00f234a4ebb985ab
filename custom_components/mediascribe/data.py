"""The coordinator's data: one frozen snapshot per status, with what derives from it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import hashlib
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Any

from homeassistant.const import MAX_LENGTH_STATE_STATE

from .const import STALL_AFTER, START_TOLERANCE

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .api import Preset, Recording, Status

# Event types of the Recording event entity.
STARTED = "started"
STOPPED = "stopped"
STALLED = "stalled"
RESUMED = "resumed"
SIGNAL_LOST = "signal_lost"
SIGNAL_RESTORED = "signal_restored"
EVENT_TYPES = [STARTED, STOPPED, STALLED, RESUMED, SIGNAL_LOST, SIGNAL_RESTORED]
# Shortest id prefix that tells presets of the same name apart.
MIN_ID_PREFIX = 8
MAX_ID_PREFIX = 32


@dataclass(frozen=True, slots=True)
class RecordingEvent:
    """Something that happened to the recording between two snapshots."""

    type: str
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MediaScribeData:
    """A status and what Home Assistant derives from it and its predecessor."""

    status: Status
    # Option label -> preset id, in the server's order.
    options: dict[str, str]
    active_option: str | None
    recording_started: datetime | None
    # When the recording's position was last seen to change.
    advanced_at: datetime | None
    stalled: bool
    events: tuple[RecordingEvent, ...] = field(default=())

    @property
    def problem(self) -> str | None:
        """Return why the recording is in trouble, if it is."""
        if self.status.recording is None:
            return None
        if self.stalled:
            return "stalled"
        return "no_signal" if self.status.has_no_signal else None


def build_data(
    status: Status,
    previous: MediaScribeData | None,
    now: datetime,
    *,
    stop_requested: bool = False,
) -> MediaScribeData:
    """Derive the next snapshot; `previous` is None after a (re)start."""
    options = preset_options(status.presets)
    recording = status.recording
    before = previous.status.recording if previous else None
    same = (
        recording is not None and before is not None and before.path == recording.path
    )
    started: datetime | None = None
    advanced_at: datetime | None = None
    stalled = False
    if recording is not None:
        estimate = (now - timedelta(seconds=recording.position)).replace(microsecond=0)
        started = estimate
        advanced_at = now
        if same and previous is not None and before is not None:
            kept = previous.recording_started
            if kept is not None and abs(estimate - kept) <= START_TOLERANCE:
                started = kept
            if before.position == recording.position:
                advanced_at = previous.advanced_at or now
                stalled = now - advanced_at >= STALL_AFTER
    data = MediaScribeData(
        status=status,
        options=options,
        active_option=next(
            (k for k, v in options.items() if v == status.active_preset_id), None
        ),
        recording_started=started,
        advanced_at=advanced_at,
        stalled=stalled,
    )
    if previous is None:
        return data
    return replace(
        data, events=tuple(_events(previous, data, stop_requested=stop_requested))
    )


def _events(
    previous: MediaScribeData, data: MediaScribeData, *, stop_requested: bool
) -> Iterable[RecordingEvent]:
    """Yield what changed for the recording from one snapshot to the next."""
    before, now = previous.status.recording, data.status.recording
    if before is not None and (now is None or now.path != before.path):
        yield RecordingEvent(
            STOPPED,
            {
                **recording_attributes(before),
                "duration": before.position,
                "source": "home_assistant" if stop_requested else "server",
            },
        )
    if now is None:
        return
    attributes = recording_attributes(now)
    if before is None or now.path != before.path:
        yield RecordingEvent(STARTED, {**attributes, "preset": data.active_option})
        return
    if data.stalled != previous.stalled:
        yield RecordingEvent(STALLED if data.stalled else RESUMED, attributes)
    if data.status.has_no_signal != previous.status.has_no_signal:
        kind = SIGNAL_LOST if data.status.has_no_signal else SIGNAL_RESTORED
        yield RecordingEvent(kind, attributes)


def recording_attributes(recording: Recording) -> dict[str, Any]:
    """Return the path and file name that every recording event carries."""
    return {"path": recording.path, "file_name": file_name(recording.path)}


def file_name(path: str) -> str:
    """Return the last part of a Windows or POSIX path."""
    return PureWindowsPath(path).name or path


def fit(text: str, suffix: str = "") -> str:
    """Return text with an optional suffix, shortened to fit a state."""
    tail = f" ({suffix})" if suffix else ""
    room = MAX_LENGTH_STATE_STATE - len(tail)
    if len(text) > room:
        text = text[: room - 1] + "…"
    return text + tail


def preset_options(presets: tuple[Preset, ...]) -> dict[str, str]:
    """Map a unique label that fits a state to each preset id, in the server's order.

    A label depends on the set of presets, never on their order: a name shared
    by several presets gets the shortest id prefix (at least 8 characters) that
    tells them apart, and labels that still collide get a digest of the id.
    """
    by_id: dict[str, str] = {}
    for preset in presets:
        name = preset.name.strip() or preset.id
        by_id[preset.id] = min(name, by_id.get(preset.id, name))
    bases = {id_: fit(name) for id_, name in by_id.items()}
    groups: dict[str, list[str]] = {}
    for id_, base in bases.items():
        groups.setdefault(base, []).append(id_)
    labels: dict[str, str] = {}
    for base, ids in groups.items():
        if len(ids) == 1:
            labels[ids[0]] = base
            continue
        length = MIN_ID_PREFIX
        while length <= MAX_ID_PREFIX and len({i[:length] for i in ids}) < len(ids):
            length += 1
        for id_ in ids:
            suffix = id_[:length] if length <= MAX_ID_PREFIX else _digest(id_)
            labels[id_] = fit(by_id[id_], suffix)
    # A name may read like another preset's label with its id prefix.
    taken = Counter(labels.values())
    for id_, label in labels.items():
        if taken[label] > 1:
            labels[id_] = fit(by_id[id_], _digest(id_))
    return {labels[id_]: id_ for id_ in by_id}


def _digest(preset_id: str) -> str:
    return "#" + hashlib.sha256(preset_id.encode()).hexdigest()[:10]
