"""The demo, started once for all end-to-end tests as scripts/develop starts it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import pytest_socket

from tests.conftest import (  # noqa: F401 - re-exported for the e2e tests
    EVENT,
    FILE as RECORDING_FILE,
    NO_SIGNAL,
    PRESET,
    STARTED as RECORDING_STARTED,
    STATE,
    SWITCH,
)
from tools.demo.api import request
from tools.demo.demo import Demo
from tools.demo.processes import free_port, wait_until

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the in-process Home Assistant: here it runs as its own process."""


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """Run the simulator and Home Assistant on free ports, set up and onboarded."""
    # The harness blocks sockets before every test and socket_enabled is per
    # test; this fixture outlives tests, so it allows them itself.
    pytest_socket.enable_socket()
    with Demo(
        tmp_path_factory.mktemp("demo"), port=free_port(), simulator_port=free_port()
    ) as running:
        yield running
        pytest_socket.enable_socket()


def simulator(demo: Demo, method: str, path: str, body: object = None) -> Any:
    """Call the simulator's control endpoint."""
    return request(method, f"{demo.simulator_url}/_simulator/{path}", json_body=body)


def wait_for_state(demo: Demo, entity_id: str, state: str, timeout: float) -> None:
    """Poll Home Assistant until the entity has the state."""
    wait_until(
        lambda: demo.session.state(entity_id) == state,
        what=f"{entity_id} = {state}",
        timeout=timeout,
    )
