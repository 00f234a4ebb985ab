"""The demo in a real browser: log in, open the device, flip the Recording switch."""

from __future__ import annotations

from pathlib import Path
import re
from typing import TYPE_CHECKING

from playwright.sync_api import expect, sync_playwright
import pytest

from tools.demo.processes import wait_until

from .conftest import SWITCH, simulator, wait_for_state

if TYPE_CHECKING:
    from tools.demo.demo import Demo

# Debian's Chromium; Playwright's own browser downloads are not used.
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    # Decided before the demo starts, so a skip costs nothing.
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM}: install the Debian package 'chromium'"
        " (scripts/test does so when run as root)",
    ),
]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The first page load compiles the whole frontend.
UI_TIMEOUT_MS = 60_000


def _put_start_seen(demo: Demo) -> bool:
    requests = simulator(demo, "GET", "requests")["requests"]
    return any(
        r["method"] == "PUT" and r["body"] == {"action": "start"} for r in requests
    )


def test_recording_switch_on_the_device_page(demo: Demo, tmp_path: Path) -> None:
    """Clicking the toggle in the UI starts a recording on the server."""
    [device_id] = demo.device_ids()
    assert demo.session.state(SWITCH) == "off"
    simulator(demo, "DELETE", "requests")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 720},
        )
        try:
            page = browser.pages[0]
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(f"{demo.url}/config/devices/device/{device_id}")
            page.locator("input[name=username]").fill(demo.credentials.username)
            page.locator("input[name=password]").fill(demo.credentials.password)
            page.get_by_role("button", name="Log in").click()

            toggle = page.get_by_role("switch", name=re.compile("Recording"))
            expect(toggle).not_to_be_checked(timeout=UI_TIMEOUT_MS)
            toggle.click()

            wait_until(lambda: _put_start_seen(demo), what="PUT start", timeout=10)
            expect(toggle).to_be_checked()
            page.screenshot(path=tmp_path / "device.png")
        finally:
            browser.close()

    assert demo.session.state(SWITCH) == "on"
    demo.session.call("POST", "/api/services/switch/turn_off", {"entity_id": SWITCH})
    wait_for_state(demo, SWITCH, "off", 5)
    # Home Assistant runs with --skip-pip: whatever the UI made it import must
    # be pinned in requirements_develop.txt.
    assert "ModuleNotFoundError" not in demo.hass_log.read_text(encoding="utf-8")
