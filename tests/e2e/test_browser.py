"""The demo in a real browser: the device page, the room card and a form error.

Each test ends with a screenshot of what it checked, in a temporary folder, or
in the folder MEDIASCRIBE_SCREENSHOTS names (docs, for the README's).
"""

from __future__ import annotations

import os
from pathlib import Path
import re
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect, sync_playwright
import pytest
import yaml

from tools.demo.processes import REPO, wait_until

from .conftest import RECORDING_FILE, SWITCH, simulator, wait_for_state

if TYPE_CHECKING:
    from collections.abc import Iterator

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
# Playwright adds headless, no-sandbox and quiet-start switches itself.
CHROMIUM_ARGS = ["--disable-gpu"]
# The first page load compiles the whole frontend.
UI_TIMEOUT_MS = 60_000
SCREENSHOTS_VARIABLE = "MEDIASCRIBE_SCREENSHOTS"
# Through the frontend's own websocket connection, as the dashboard editor does.
SAVE_DASHBOARD = """async card => {
  const {hass} = document.querySelector("home-assistant"), url_path = "room-card";
  await hass.callWS({type: "lovelace/dashboards/create", url_path, title: "Room"});
  const config = {views: [{title: "Council Chamber", cards: [card]}]};
  await hass.callWS({type: "lovelace/config/save", url_path, config});
}"""
TYPED_URL = "council chamber.local"
TYPED_TOKEN = "my-token"


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder the screenshots go to."""
    folder = os.environ.get(SCREENSHOTS_VARIABLE)
    return REPO / folder if folder else tmp_path_factory.mktemp("screenshots")


# Per test: Playwright's event loop must be gone before the harness checks its own.
@pytest.fixture
def page(demo: Demo, tmp_path: Path) -> Iterator[Page]:
    """Return a page of Chromium logged in to the demo."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = browser.pages[0]
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(demo.url)
            page.locator("input[name=username]").fill(demo.credentials.username)
            page.locator("input[name=password]").fill(demo.credentials.password)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_function(
                "document.querySelector('home-assistant')?.hass?.connected"
            )
            yield page
        finally:
            browser.close()


def test_device_page(demo: Demo, page: Page, screenshots: Path) -> None:
    """The toggle starts a recording; the file name and signal read plainly."""
    [device_id] = demo.device_ids()
    assert demo.session.state(SWITCH) == "off"
    page.goto(f"{demo.url}/config/devices/device/{device_id}")

    toggle = page.get_by_role("switch", name=re.compile("Recording"))
    expect(toggle).not_to_be_checked()
    toggle.click()

    wait_until(
        lambda: "recording" in simulator(demo, "GET", "state")["status"],
        what="a recording on the server",
        timeout=10,
    )
    # Loaded again, the page shows what Home Assistant reports (and no focus ring).
    page.reload()
    expect(toggle).to_be_checked()
    file_name = demo.session.state(RECORDING_FILE)
    expect(page.locator("hui-generic-entity-row", has_text=file_name)).to_be_visible()
    expect(page.get_by_text("Signal OK")).to_be_visible()
    page.screenshot(path=screenshots / "screenshot-device.png", animations="disabled")
    assert demo.session.state(SWITCH) == "on"
    demo.session.call("POST", "/api/services/switch/turn_off", {"entity_id": SWITCH})
    wait_for_state(demo, SWITCH, "off", 5)
    # Home Assistant runs with --skip-pip: whatever the UI made it import must
    # be pinned in requirements_develop.txt.
    assert "ModuleNotFoundError" not in demo.hass_log.read_text(encoding="utf-8")


def test_room_card_while_recording(demo: Demo, page: Page, screenshots: Path) -> None:
    """docs/room-card.yaml on a dashboard offers to stop the recording it shows."""
    card = yaml.safe_load((REPO / "docs" / "room-card.yaml").read_text("utf-8"))
    page.evaluate(SAVE_DASHBOARD, card)
    demo.session.call("POST", "/api/services/switch/turn_on", {"entity_id": SWITCH})
    try:
        page.goto(f"{demo.url}/room-card/0")

        expect(page.get_by_text("Stop recording")).to_be_visible()
        expect(page.get_by_text("Recording", exact=True)).to_be_visible()
        file_name = demo.session.state(RECORDING_FILE)
        expect(
            page.locator("hui-generic-entity-row", has_text=file_name)
        ).to_be_visible()
        page.locator("hui-vertical-stack-card").screenshot(
            path=screenshots / "screenshot-room-card.png", animations="disabled"
        )
    finally:
        demo.session.call(
            "POST", "/api/services/switch/turn_off", {"entity_id": SWITCH}
        )


def test_form_error_keeps_what_was_typed(
    demo: Demo, page: Page, screenshots: Path
) -> None:
    """An address with a space is refused in words; both fields keep their text."""
    page.goto(f"{demo.url}/config/integrations/dashboard/add?domain=mediascribe")
    page.get_by_role("button", name="OK").click()
    url = page.get_by_label("Server URL")
    token = page.get_by_label("API token")
    url.fill(TYPED_URL)
    token.fill(TYPED_TOKEN)
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_text("This is not a server address.")).to_be_visible()
    expect(url).to_have_value(TYPED_URL)
    expect(token).to_have_value(TYPED_TOKEN)
    page.locator("ha-dialog .mdc-dialog__surface").screenshot(
        path=screenshots / "screenshot-form-error.png", animations="disabled"
    )
