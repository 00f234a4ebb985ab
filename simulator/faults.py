"""Faults the simulator injects into its API answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import NoneType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

# Informational codes are left out: aiohttp cannot answer with them.
_STATUSES = range(200, 600)

# Accepted JSON types per field; bool is an int in Python, so it is refused
# wherever it is not listed explicitly.
_JSON_FIELDS: Mapping[str, tuple[type, ...]] = {
    "latency": (int, float),
    "status": (int, NoneType),
    "body": (str, NoneType),
    "body_repeat": (int,),
    "content_type": (str,),
    "headers": (dict,),
    "fields": (dict,),
    "remove_fields": (list,),
    "drop": (bool,),
    "count": (int, NoneType),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Fault:
    """One misbehaviour applied to the next `count` API requests (None: until cleared).

    `status` answers at once without handling the request; `body` replaces the
    answer's body (repeated `body_repeat` times); `fields` are merged into the
    status document and `remove_fields` deleted from it; `drop` closes the
    connection without an answer; `latency` delays whatever answer is given.
    """

    latency: float = 0.0
    status: int | None = None
    body: bytes | None = None
    body_repeat: int = 1
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, object] = field(default_factory=dict)
    remove_fields: tuple[str, ...] = ()
    drop: bool = False
    count: int | None = None

    def __post_init__(self) -> None:
        """Refuse values the server could not act on."""
        if self.latency < 0:
            raise ValueError("latency must not be negative")
        if self.status is not None and self.status not in _STATUSES:
            raise ValueError("status must be between 200 and 599")
        if self.body_repeat < 1:
            raise ValueError("body_repeat must be at least 1")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1 or null")

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Self:
        """Build a fault from the control endpoint's JSON object."""
        for key, value in data.items():
            kinds = _JSON_FIELDS.get(key)
            if kinds is None:
                raise ValueError(f"unknown fault field {key!r}")
            if not isinstance(value, kinds) or (
                isinstance(value, bool) and bool not in kinds
            ):
                raise TypeError(f"fault field {key!r} has the wrong type")
        # Every value's outer type was checked above.
        checked: dict[str, Any] = dict(data)
        if not all(
            isinstance(item, str) for item in checked.get("headers", {}).values()
        ):
            raise TypeError("header values must be strings")
        if not all(isinstance(item, str) for item in checked.get("remove_fields", [])):
            raise TypeError("remove_fields must be a list of strings")
        if checked.get("body") is not None:
            checked["body"] = checked["body"].encode()
        if "remove_fields" in checked:
            checked["remove_fields"] = tuple(checked["remove_fields"])
        return cls(**checked)

    def to_json(self) -> dict[str, object]:
        """Describe the fault for the control endpoint."""
        return {
            "latency": self.latency,
            "status": self.status,
            "body": None if self.body is None else self.body.decode(errors="replace"),
            "body_repeat": self.body_repeat,
            "content_type": self.content_type,
            "headers": dict(self.headers),
            "fields": dict(self.fields),
            "remove_fields": list(self.remove_fields),
            "drop": self.drop,
            "count": self.count,
        }


def combine(faults: Iterable[Fault]) -> Fault:
    """Merge active faults in the order added: latencies add up, later values win."""
    merged = Fault()
    for fault in faults:
        body_source = merged if fault.body is None else fault
        merged = Fault(
            latency=merged.latency + fault.latency,
            status=merged.status if fault.status is None else fault.status,
            body=body_source.body,
            body_repeat=body_source.body_repeat,
            content_type=body_source.content_type,
            headers={**merged.headers, **fault.headers},
            fields={**merged.fields, **fault.fields},
            remove_fields=merged.remove_fields + fault.remove_fields,
            drop=merged.drop or fault.drop,
        )
    return merged
