"""The simulator (unless a server is given) and Home Assistant, set up.

scripts/develop, the end-to-end tests and the benchmark all start Home
Assistant through `Demo`, so the tests exercise the same start-up, onboarding
and config flow a developer sees.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import shutil
import sys
import time
from typing import TYPE_CHECKING, Self
import urllib.parse

from tools.demo import DemoError
from tools.demo.api import (
    DOMAIN,
    Credentials,
    Server,
    Session,
    add_entry,
    config_flow,
    onboard,
    request,
)
from tools.demo.processes import (
    HOST,
    REPO,
    check_port_free,
    spawn,
    stop_process,
    wait_until,
)

if TYPE_CHECKING:
    import subprocess
    from types import TracebackType

LAUNCHER = Path(__file__).resolve().with_name("launcher.py")

SIMULATOR_TOKEN = "mediascribe-demo-token"  # noqa: S105 - a local demo's token
SITE_NAME = "Springfield City Council"
PRESETS = ("Council Chamber", "Committee Room", "Work Session")
PACKAGE = Path(__file__).resolve().with_name("package.yaml")
CALENDAR = "calendar.council_meetings"
CALENDAR_NAME = "Council meetings"
MEETING = "Council meeting"
# Time to make an automation from the calendar blueprint before it starts.
MEETING_LEAD = timedelta(minutes=5)
MEETING_LENGTH = timedelta(minutes=15)

# Home Assistant's exit status when it asks to be restarted (Settings > Restart).
RESTART_EXIT_CODE = 100
HASS_START_TIMEOUT = 180.0
SIMULATOR_START_TIMEOUT = 30.0

# Only what the demo uses (history and logbook for the device page, Assist
# for the voice control blueprint): default_config would pull in dozens of
# integrations. Rewritten on every start so the port always matches;
# automations made in the UI go to automations.yaml, which is kept.
CONFIGURATION_YAML = """\
# Written by scripts/develop on every start; changes here are overwritten.
homeassistant:
  name: MediaScribe demo
  packages: {packages}
frontend:
config:
http:
  server_host: {host}
  server_port: {port}
api:
websocket_api:
onboarding:
lovelace:
history:
logbook:
assist_pipeline:
conversation:
automation: !include automations.yaml
logger:
  default: warning
  logs:
    custom_components.mediascribe: info
"""


class Demo:
    """The simulator (unless a server is given) and Home Assistant, set up."""

    def __init__(
        self,
        state_dir: Path,
        *,
        port: int = 8123,
        simulator_port: int = 8099,
        server: Server | None = None,
    ) -> None:
        """Describe the demo; `state_dir` keeps Home Assistant's config."""
        self.state_dir = state_dir
        self.config_dir = state_dir / "config"
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.simulated = server is None
        self.simulator_url = f"http://{HOST}:{simulator_port}"
        self.server = server or Server(self.simulator_url, SIMULATOR_TOKEN)
        self.credentials = Credentials.load_or_create(state_dir / "demo.json")
        self.hass_log = state_dir / "hass.out"
        self.simulator_log = state_dir / "simulator.out"
        self.simulator: subprocess.Popen[bytes] | None = None
        self.hass: subprocess.Popen[bytes] | None = None
        # Added to Home Assistant's environment (the bench's memory tracing).
        self.hass_env: dict[str, str] = {}
        self._session: Session | None = None
        self.new_user = False
        self.new_entry = False
        self.entry_title = ""
        self.meeting = datetime.now(UTC)

    @property
    def session(self) -> Session:
        """Return the admin session opened at start."""
        if self._session is None:
            raise DemoError("the demo is not started")
        return self._session

    def start(self) -> None:
        """Start everything, onboard Home Assistant and add the server."""
        if self.simulated:
            self.start_simulator()
        self.start_hass()
        self.set_up()

    def set_up(self) -> None:
        """Log in (onboarding first if needed) and add the server if it is new."""
        self._session, self.new_user = onboard(self.url, self.credentials)
        session = self._session
        # The API answers before the integrations and their entries are set up.
        wait_until(
            lambda: session.call("GET", "/api/config")["state"] == "RUNNING",
            what="Home Assistant's start-up",
            timeout=HASS_START_TIMEOUT,
            process=self.hass,
            log=self.hass_log,
        )
        self.entry_title, self.new_entry = add_entry(session, self.server)
        # Aborts once the calendar exists; a failure shows as no calendar below.
        config_flow(session, "local_calendar", {"calendar_name": CALENDAR_NAME})
        # Every start plans a meeting, to try the calendar blueprint with.
        self.meeting = datetime.now(UTC).replace(second=0, microsecond=0) + MEETING_LEAD
        session.call(
            "POST",
            "/api/services/calendar/create_event",
            {
                "entity_id": CALENDAR,
                "summary": MEETING,
                "start_date_time": self.meeting.isoformat(),
                "end_date_time": (self.meeting + MEETING_LENGTH).isoformat(),
            },
        )

    def restart_hass(self) -> None:
        """Stop Home Assistant and start it again, as a second start does."""
        self._log_out()
        if self.hass is not None:
            stop_process(self.hass)
        self.start_hass()
        self.set_up()

    def device_ids(self) -> list[str]:
        """Return the ids of the MediaScribe devices in Home Assistant."""
        device_ids: list[str] = json.loads(
            self.session.template(
                f"{{{{ integration_entities('{DOMAIN}') | map('device_id')"
                " | select | unique | list | tojson }}"
            )
        )
        return device_ids

    def start_simulator(self) -> None:
        """Start the bundled simulator with the demo's presets."""
        port = int(urllib.parse.urlsplit(self.simulator_url).port or 0)
        check_port_free(port, "the simulator")
        args = [sys.executable, "-m", "simulator", "--host", HOST, "--port", str(port)]
        args += ["--site-name", SITE_NAME]
        for preset in PRESETS:
            args += ["--preset", preset]
        # The token goes through the environment, out of sight in `ps`.
        self.simulator = spawn(
            args, self.simulator_log, env={"MEDIASCRIBE_SIM_TOKEN": self.server.token}
        )
        wait_until(
            lambda: bool(request("GET", f"{self.simulator_url}/_simulator/state")),
            what="the simulator",
            timeout=SIMULATOR_START_TIMEOUT,
            process=self.simulator,
            log=self.simulator_log,
        )

    def write_config(self) -> None:
        """Write configuration.yaml; link the integration, copy its blueprints."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        # The entities of a real server (--url) are named after its own site.
        packages = f"{{demo: !include {PACKAGE}}}" if self.simulated else "{}"
        (self.config_dir / "configuration.yaml").write_text(
            CONFIGURATION_YAML.format(host=HOST, port=self.port, packages=packages),
            encoding="utf-8",
        )
        card = REPO / "docs" / "room-card.yaml"
        (self.config_dir / "meeting-room.yaml").write_text(
            f"views:\n  - cards:\n      - !include {card}\n", encoding="utf-8"
        )
        ui_automations = self.config_dir / "automations.yaml"
        if not ui_automations.exists():
            ui_automations.write_text("[]\n", encoding="utf-8")
        link = self.config_dir / "custom_components" / DOMAIN
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(REPO / "custom_components" / DOMAIN, target_is_directory=True)
        # Copied, not linked: the Blueprints page lists no linked folder.
        blueprints = self.config_dir / "blueprints" / "automation" / DOMAIN
        if blueprints.is_symlink():  # as earlier versions of the demo left it
            blueprints.unlink()
        shutil.rmtree(blueprints, ignore_errors=True)
        shutil.copytree(REPO / "blueprints" / "automation" / DOMAIN, blueprints)

    def start_hass(self) -> None:
        """Start Home Assistant and wait until its API answers."""
        check_port_free(self.port, "Home Assistant")
        self.write_config()
        # -P: the launcher's folder stays off sys.path, so only the config
        # directory's custom_components can be imported as such. --skip-pip:
        # what Home Assistant needs is pinned in requirements_develop.txt;
        # installing more at run time would change .venv behind scripts/setup.
        args = [sys.executable, "-P", str(LAUNCHER), "--config", str(self.config_dir)]
        self.hass = spawn(
            [*args, "--skip-pip", "--log-no-color"], self.hass_log, env=self.hass_env
        )
        # The frontend's manifest is served before onboarding, unlike the API.
        wait_until(
            lambda: bool(request("GET", f"{self.url}/manifest.json")),
            what="Home Assistant",
            timeout=HASS_START_TIMEOUT,
            process=self.hass,
            log=self.hass_log,
        )

    def wait(self) -> None:
        """Block until a process ends by itself; restart Home Assistant on request.

        Raises DemoError naming what stopped.
        """
        while True:
            if self.simulator is not None and self.simulator.poll() is not None:
                raise DemoError(
                    f"the simulator exited with status {self.simulator.returncode};"
                    f" see {self.simulator_log}"
                )
            if self.hass is not None and (code := self.hass.poll()) is not None:
                if code != RESTART_EXIT_CODE:
                    raise DemoError(
                        f"Home Assistant exited with status {code}; see {self.hass_log}"
                    )
                self.start_hass()
            time.sleep(0.5)

    def _log_out(self) -> None:
        """Revoke the demo's own tokens, so restarts don't pile them up."""
        if self._session is not None and self.hass is not None:
            if self.hass.poll() is None:
                with contextlib.suppress(OSError, DemoError):
                    self._session.revoke()
            self._session = None

    def stop(self) -> None:
        """Log out, then stop Home Assistant before the simulator it polls."""
        self._log_out()
        if self.hass is not None:
            stop_process(self.hass)
        if self.simulator is not None:
            stop_process(self.simulator)

    def __enter__(self) -> Self:
        """Start; stop again if starting fails half-way."""
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop everything."""
        self.stop()
