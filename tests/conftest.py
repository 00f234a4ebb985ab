"""Shared fixtures for the MediaScribe tests."""

from __future__ import annotations

# Imported before Home Assistant starts, so the harness's own testing_config
# custom_components package cannot shadow ours.
import custom_components.mediascribe  # noqa: F401
