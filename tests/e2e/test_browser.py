"""The demo in a real browser: the device page, the room card and a form error.

Each test ends with a screenshot of what it checked, in a temporary folder, or
in the folder MEDIASCRIBE_SCREENSHOTS names (docs, for the README's). Every
wait is for what the page shows, never for a time: two cores may be shared.
"""

from __future__ import annotations

import os
from pathlib import Path
import re
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect, sync_playwright
import pytest

from tools.demo.processes import REPO, wait_until

from .conftest import RECORDING_FILE, STATE, SWITCH, simulator, wait_for_state

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
# The first page load compiles the whole frontend; a busy machine is slow.
UI_TIMEOUT_MS = 90_000
expect.set_options(timeout=UI_TIMEOUT_MS)
# Server-side waits (seconds), as generous: a stall shows within 20 s.
STATE_TIMEOUT = 90.0
SCREENSHOTS_VARIABLE = "MEDIASCRIBE_SCREENSHOTS"
PAINTED = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
# The demo's dashboard of docs/room-card.yaml.
ROOM_CARD = "meeting-room/0"
# What goes wrong at the server, as a request to the simulator ...
TROUBLES = {
    "stalled": ("PATCH", "state", {"position_frozen": True}),
    "no-signal": ("PATCH", "state", {"has_no_signal": True}),
    "start-failed": ("PATCH", "state", {"action_change": "ignore"}),
    # Every answer held back beyond the integration's 10 s request timeout.
    "not-answering": ("POST", "faults", {"latency": 30}),
}
# ... and what the room card then tells the clerk.
ADVICE = {
    "stalled": "Recording stalled. The file is not growing. Check MediaScribe now.",
    "no-signal": "Recording without video signal. Check the camera",
    "start-failed": "The meeting is NOT being recorded: start it in MediaScribe.",
    "not-answering": "MediaScribe is not answering. Check on the MediaScribe server",
}
TARGET = {"entity_id": SWITCH}
HEALTHY = {"position_frozen": False, "has_no_signal": False, "action_change": "apply"}
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
        timeout=STATE_TIMEOUT,
    )
    # Loaded again, the page shows what Home Assistant reports (and no focus ring).
    page.reload()
    expect(toggle).to_be_checked()
    file_name = demo.session.state(RECORDING_FILE)
    expect(page.locator("hui-generic-entity-row", has_text=file_name)).to_be_visible()
    expect(page.get_by_text("Signal OK")).to_be_visible()
    # After a reload Chromium may not have painted what the checks found yet.
    page.evaluate(PAINTED)
    page.screenshot(path=screenshots / "screenshot-device.png", animations="disabled")
    assert demo.session.state(SWITCH) == "on"
    demo.session.call("POST", "/api/services/switch/turn_off", TARGET)
    wait_for_state(demo, SWITCH, "off", STATE_TIMEOUT)
    # Home Assistant runs with --skip-pip: whatever the UI made it import must
    # be pinned in requirements_develop.txt.
    assert "ModuleNotFoundError" not in demo.hass_log.read_text(encoding="utf-8")


def _shoot(page: Page, path: Path) -> None:
    """Save a screenshot of the room card."""
    card = page.locator("hui-vertical-stack-card").first
    card.screenshot(path=path, animations="disabled")


def test_room_card_recording_then_stopped(
    demo: Demo, page: Page, screenshots: Path
) -> None:
    """The room card shows how long it records; stopped, the last file's length."""
    demo.session.call("POST", "/api/services/switch/turn_on", TARGET)
    file_name = demo.session.state(RECORDING_FILE)
    try:
        page.goto(f"{demo.url}/{ROOM_CARD}")
        card = page.locator("hui-vertical-stack-card").first
        expect(card.get_by_text("Recording for")).to_be_visible()
        expect(card.get_by_text(f"File: {file_name}")).to_be_visible()
        expect(card.get_by_text("Signal OK")).to_be_visible()
        _shoot(page, screenshots / "screenshot-room-card.png")

        card.get_by_role("button", name="Stop recording").click()
        page.get_by_role("button", name="Yes, stop").click()

        expect(card.get_by_text(f"Last recording: {file_name}")).to_be_visible()
        expect(card.get_by_text(re.compile(r"Length: \d+ s"))).to_be_visible()
        expect(card.get_by_role("button", name="Start recording")).to_be_visible()
        expect(card).not_to_contain_text("Unknown")
        _shoot(page, screenshots / "screenshot-room-card-stopped.png")
    finally:
        demo.session.call("POST", "/api/services/switch/turn_off", TARGET)


@pytest.mark.parametrize("trouble", TROUBLES)
def test_room_card_says_what_to_do(
    demo: Demo, page: Page, screenshots: Path, trouble: str
) -> None:
    """Trouble at the server shows atop the room card, with what to do."""
    page.goto(f"{demo.url}/{ROOM_CARD}")
    card = page.locator("hui-vertical-stack-card").first
    if trouble != "start-failed":
        demo.session.call("POST", "/api/services/switch/turn_on", TARGET)
        expect(card.get_by_role("button", name="Stop recording")).to_be_visible()
    simulator(demo, *TROUBLES[trouble])
    try:
        if trouble == "start-failed":
            card.get_by_role("button", name="Start recording").click()

        expect(card.get_by_text(ADVICE[trouble])).to_be_visible()
        _shoot(page, screenshots / f"screenshot-room-card-{trouble}.png")
    finally:
        simulator(demo, "DELETE", "faults")
        simulator(demo, "PATCH", "state", HEALTHY)
        # Home Assistant skips an action on an unavailable entity.
        on = trouble != "start-failed"
        wait_for_state(demo, SWITCH, "on" if on else "off", STATE_TIMEOUT)
        # A recording that starts takes a failed start off the card.
        for action in ("turn_on", "turn_off"):
            demo.session.call("POST", f"/api/services/switch/{action}", TARGET)
        wait_for_state(demo, STATE, "stopped", STATE_TIMEOUT)
    expect(card.get_by_role("button", name="Start recording")).to_be_visible()
    expect(card.locator("ha-alert")).to_have_count(0)


def test_form_error_keeps_what_was_typed(
    demo: Demo, page: Page, screenshots: Path
) -> None:
    """An address with a space is refused in words; both fields keep their text."""
    # As a user adds it: the add?domain= link's dialog sometimes never shows.
    page.goto(f"{demo.url}/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    page.get_by_label("Search for a brand name").fill("MediaScribe")
    page.locator("ha-integration-list-item", has_text="MediaScribe").click()
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
