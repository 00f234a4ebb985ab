"""Tests for the status models and URL handling of the MediaScribe client."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.mediascribe.api import (
    InvalidURLError,
    MediaScribeResponseError,
    Preset,
    Recording,
    Status,
    exposes_token,
    normalize_url,
)

FIXTURES = Path(__file__).parent / "fixtures"
API_MODULE = Path(__file__).parents[1] / "custom_components/mediascribe/api.py"


def load(name: str) -> dict[str, Any]:
    """Return a JSON fixture."""
    return json.loads((FIXTURES / name).read_text())


def test_article_ready_response() -> None:
    """The article's idle example parses into a status without a recording."""
    status = Status.from_dict(load("status_ready.json"))
    assert status == Status(
        site_name="Your City's MediaScribe",
        presets=(Preset("aa638eeb-854b-4e14-87a5-500be376f948", "Default"),),
        active_preset_id="aa638eeb-854b-4e14-87a5-500be376f948",
        has_no_signal=False,
        recording=None,
    )
    assert not status.is_recording
    assert status.raw == load("status_ready.json")


def test_article_recording_response() -> None:
    """The article's recording example carries position and Windows path."""
    status = Status.from_dict(load("status_recording.json"))
    assert status.is_recording
    assert status.recording == Recording(
        position=4,
        path="E:\\recordings\\New Meeting 2025-08-21T19-05-37.170Z\\"
        "New Meeting 2025-08-21T19-05-37.170Z.mp4",
    )


def test_unknown_fields_ignored_and_optional_fields() -> None:
    """Unknown fields are ignored; a missing or null active preset is None."""
    doc = load("status_ready.json") | {"firmware": "9.9", "recording": None}
    del doc["activePresetId"]
    status = Status.from_dict(doc)
    assert status.active_preset_id is None
    assert status.recording is None
    assert Status.from_dict(doc | {"activePresetId": None}).active_preset_id is None


def test_float_position_is_whole_seconds() -> None:
    """A fractional position is truncated to whole seconds."""
    doc = load("status_recording.json")
    doc["recording"]["position"] = 12.9
    assert Status.from_dict(doc).recording == Recording(12, doc["recording"]["path"])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("siteName"), "no 'siteName' field"),
        (lambda d: d.update(siteName=None), "'siteName' should be a string, not null"),
        (lambda d: d.update(hasNoSignal="false"), "'hasNoSignal' should be a boolean"),
        (lambda d: d.update(presets={}), "'presets' should be an array, not object"),
        (lambda d: d.update(presets=[1]), "'presets[0]' should be an object"),
        (lambda d: d.update(presets=[{"id": "a"}]), "no 'presets[0].name' field"),
        (
            lambda d: d.update(presets=[{"id": 5, "name": "x"}]),
            "'presets[0].id' should be a string, not number",
        ),
        (lambda d: d.update(activePresetId=7), "'activePresetId' should be a string"),
        (lambda d: d.update(recording=[]), "'recording' should be an object"),
        (lambda d: d.update(recording={"path": "x"}), "no 'recording.position' field"),
        (
            lambda d: d.update(recording={"position": True, "path": "x"}),
            "'recording.position' should be a number, not boolean",
        ),
        (
            lambda d: d.update(recording={"position": -1, "path": "x"}),
            "'recording.position' should be between 0",
        ),
        (
            lambda d: d.update(recording={"position": math.inf, "path": "x"}),
            "not number inf",
        ),
        (
            lambda d: d.update(recording={"position": math.nan, "path": "x"}),
            "not number nan",
        ),
        (
            lambda d: d.update(recording={"position": 1, "path": None}),
            "'recording.path' should be a string, not null",
        ),
    ],
)
def test_invalid_documents_name_the_field(mutate: Any, message: str) -> None:
    """Every malformed field raises a response error naming that field."""
    doc = load("status_ready.json")
    mutate(doc)
    with pytest.raises(MediaScribeResponseError, match=message.replace("[", r"\[")):
        Status.from_dict(doc)


def test_non_object_document() -> None:
    """A JSON value that is not an object is not a status."""
    with pytest.raises(MediaScribeResponseError, match="status document"):
        Status.from_dict(["siteName"])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
STATUS_KEYS = ["siteName", "presets", "activePresetId", "hasNoSignal", "recording"]


@given(
    st.one_of(
        JSON,
        st.fixed_dictionaries({}, optional=dict.fromkeys(STATUS_KEYS, JSON)),
        st.builds(
            lambda base, extra: base | extra,
            st.just(load("status_recording.json")),
            st.dictionaries(st.sampled_from([*STATUS_KEYS, "x"]), JSON, max_size=2),
        ),
    )
)
def test_from_dict_accepts_or_raises_response_error(data: object) -> None:
    """Arbitrary JSON gives a valid status or a response error, nothing else."""
    try:
        status = Status.from_dict(data)
    except MediaScribeResponseError:
        return
    assert isinstance(status.site_name, str)
    assert isinstance(status.has_no_signal, bool)
    assert all(
        isinstance(p.id, str) and isinstance(p.name, str) for p in status.presets
    )
    assert status.active_preset_id is None or isinstance(status.active_preset_id, str)
    if status.recording is not None:
        assert isinstance(status.recording.position, int)
        assert status.recording.position >= 0
        assert isinstance(status.recording.path, str)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mediascribe.local", "http://mediascribe.local"),
        ("192.168.1.20:8080", "http://192.168.1.20:8080"),
        ("  http://host:80/  ", "http://host"),
        ("https://host", "https://host"),
        ("https://host:8443/base//", "https://host:8443/base"),
        ("HTTP://Host.Example/ms", "http://host.example/ms"),
        ("http://host:8099/api/control/status", "http://host:8099"),
        ("http://host/base/api/control/status/", "http://host/base"),
        ("[::1]:8099", "http://[::1]:8099"),
    ],
)
def test_normalize_url(text: str, expected: str) -> None:
    """Accepted spellings of a server address normalize to its base URL."""
    assert normalize_url(text) == expected
    assert normalize_url(expected) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ftp://host", "Unsupported scheme 'ftp'"),
        ("http://", "no host"),
        ("http://user:pw@host", "user name or password"),
        ("http://user@host", "user name or password"),
        ("http://host:99999", "not a valid URL"),
        ("http://host/?token=x", "'?' or '#'"),
        ("http://host/#x", "'?' or '#'"),
    ],
)
def test_normalize_url_rejects(text: str, message: str) -> None:
    """Unusable addresses raise an error that says what is wrong."""
    with pytest.raises(InvalidURLError, match=message):
        normalize_url(text)


def test_client_module_imports_no_home_assistant() -> None:
    """The client stays free of Home Assistant so it can become a library."""
    tree = ast.parse(API_MODULE.read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }
    assert "aiohttp" in imported
    assert not {name for name in imported if name.split(".")[0] == "homeassistant"}


@pytest.mark.parametrize(
    ("url", "exposed"),
    [
        ("http://8.8.8.8", True),
        ("http://[2001:4860::8888]", True),
        ("recorder.example.org", True),
        ("https://recorder.example.org", False),
        ("https://8.8.8.8", False),
        ("http://127.0.0.1:8099", False),
        ("http://[::1]", False),
        ("http://192.168.1.20", False),
        ("http://10.0.0.5", False),
        ("http://169.254.10.1", False),
        ("http://localhost", False),
        ("http://mediascribe", False),
        ("http://mediascribe.local", False),
        ("http://recorder.home.arpa", False),
        ("http://recorder.lan", False),
    ],
)
def test_exposes_token(url: str, exposed: bool) -> None:
    """Only plain http to a public address or name counts as exposing the token."""
    assert exposes_token(url) is exposed
