"""A local stand-in for a MediaScribe recorder's control API, for tests and demos."""

from .faults import Fault
from .server import (
    CONTROL_PREFIX,
    STATUS_PATH,
    ActionChange,
    MediaScribeSimulator,
    Preset,
    PresetChange,
    PutResponse,
    RecordedRequest,
    UnknownPresetError,
)

__all__ = [
    "CONTROL_PREFIX",
    "STATUS_PATH",
    "ActionChange",
    "Fault",
    "MediaScribeSimulator",
    "Preset",
    "PresetChange",
    "PutResponse",
    "RecordedRequest",
    "UnknownPresetError",
]
