"""Home Assistant with this integration, connected to a MediaScribe server.

scripts/develop and the end-to-end tests both start the demo through `Demo`,
so the tests exercise the same start-up, onboarding and config flow a
developer sees.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from http import HTTPStatus
import json
import os
from pathlib import Path
import secrets
import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any, Self
import urllib.error
import urllib.parse
import urllib.request

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from types import TracebackType

REPO = Path(__file__).resolve().parent.parent
LAUNCHER = Path(__file__).resolve().with_name("hass_launcher.py")
HOST = "127.0.0.1"
DOMAIN = "mediascribe"

SIMULATOR_TOKEN = "mediascribe-demo-token"  # noqa: S105 - a local demo's token
SITE_NAME = "Springfield City Council"
PRESETS = ("Council Chamber", "Committee Room", "Work Session")

# Home Assistant's exit status when it asks to be restarted (Settings > Restart).
RESTART_EXIT_CODE = 100
HASS_START_TIMEOUT = 180.0
SIMULATOR_START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0

# Only what the demo uses (history and logbook for the device page);
# default_config would pull in dozens of integrations and their packages.
# Rewritten on every start so the port always matches.
CONFIGURATION_YAML = """\
# Written by scripts/develop on every start; changes here are overwritten.
homeassistant:
  name: MediaScribe demo
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
logger:
  default: warning
  logs:
    custom_components.mediascribe: info
"""

# Every request here goes to a loopback address: never through a proxy that
# the environment names.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class DemoError(Exception):
    """The demo could not be started or did not behave as expected."""


class HTTPStatusError(DemoError):
    """A request answered with an HTTP error status."""

    def __init__(self, method: str, url: str, status: int, body: bytes) -> None:
        """Keep the status and body for callers that expect the error."""
        super().__init__(f"{method} {url}: {status} {body[:300]!r}")
        self.status = status
        self.body = body


def request(
    method: str,
    url: str,
    *,
    token: str | None = None,
    json_body: object = None,
    form: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> Any:
    """Send one request; return the decoded JSON, the text, or None if empty."""
    if not url.startswith("http://"):
        raise ValueError(f"only plain http URLs are requested here, not {url}")
    headers = {}
    data = None
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - http only, checked above
    try:
        with _OPENER.open(req, timeout=timeout) as response:
            raw = response.read()
            is_json = response.headers.get_content_type() == "application/json"
    except urllib.error.HTTPError as err:
        raise HTTPStatusError(method, url, err.code, err.read()) from None
    if not raw:
        return None
    return json.loads(raw) if is_json else raw.decode()


def answers(url: str) -> bool:
    """Return whether an HTTP server answers at `url`, whatever the status."""
    with contextlib.suppress(HTTPStatusError):
        request("GET", url)
    return True


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def check_port_free(port: int, what: str) -> None:
    """Fail early, with a useful message, when a port is already taken."""
    with socket.socket() as sock:
        # As servers do, so connections of a previous run in TIME_WAIT don't
        # count; a listening socket still does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise DemoError(
                f"port {port} on {HOST} is in use, so {what} cannot listen there;"
                " is another demo running? Choose another port."
            ) from None


def spawn(
    args: Sequence[str], log: Path, *, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a process with its output appended to `log`.

    Each child gets its own process group: a Ctrl-C in the terminal then
    reaches only the caller, which stops Home Assistant before the server it
    polls, instead of everything dying at once.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - fixed programs, our arguments
            args,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=None if env is None else {**os.environ, **env},
            process_group=0,
        )


def stop_process(
    process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT
) -> int:
    """Ask a process to stop (SIGTERM), kill it if it takes too long."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Poll `ready` until it is true; fail if `process` exits or time runs out."""
    see = f"; see {log}" if log is not None else ""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise DemoError(f"{what} exited with status {process.returncode}{see}")
        try:
            if ready():
                return
        except (OSError, DemoError):
            pass
        if time.monotonic() > deadline:
            raise DemoError(f"{what} was not ready within {timeout:.0f} s{see}")
        time.sleep(0.2)


@dataclass(frozen=True)
class Server:
    """The MediaScribe server Home Assistant is pointed at."""

    url: str
    token: str


@dataclass(frozen=True)
class Credentials:
    """The demo's Home Assistant user."""

    name: str
    username: str
    password: str

    @classmethod
    def load_or_create(cls, path: Path) -> Self:
        """Read the stored user, or make one up and store it (owner-only)."""
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(data["name"], data["username"], data["password"])
        credentials = cls("Demo", "demo", secrets.token_urlsafe(12))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(asdict(credentials)) + "\n", encoding="utf-8")
        return credentials


@dataclass
class Session:
    """Tokens of a logged-in Home Assistant user."""

    url: str
    access_token: str
    refresh_token: str

    @property
    def client_id(self) -> str:
        """Return the client id the tokens were issued to (the UI's own)."""
        return client_id(self.url)

    def call(self, method: str, path: str, body: object = None) -> Any:
        """Call Home Assistant's REST API as this user."""
        return request(
            method, f"{self.url}{path}", token=self.access_token, json_body=body
        )

    def template(self, template: str) -> str:
        """Render a template in Home Assistant."""
        rendered: str = self.call("POST", "/api/template", {"template": template})
        return rendered

    def state(self, entity_id: str) -> str:
        """Return an entity's state."""
        state: str = self.call("GET", f"/api/states/{entity_id}")["state"]
        return state

    def revoke(self) -> None:
        """Log out: revoke the refresh token and the access token with it."""
        request(
            "POST",
            f"{self.url}/auth/revoke",
            form={"token": self.refresh_token},
        )


def client_id(url: str) -> str:
    """Return the OAuth client id Home Assistant's own frontend uses at `url`."""
    return f"{url}/"


def exchange_code(url: str, code: str) -> Session:
    """Trade an authorization code for tokens."""
    tokens = request(
        "POST",
        f"{url}/auth/token",
        form={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id(url),
        },
    )
    return Session(url, tokens["access_token"], tokens["refresh_token"])


def log_in(url: str, credentials: Credentials) -> Session:
    """Log in through Home Assistant's login flow, as the login page does."""
    flow = request(
        "POST",
        f"{url}/auth/login_flow",
        json_body={
            "client_id": client_id(url),
            "handler": ["homeassistant", None],
            "redirect_uri": client_id(url),
        },
    )
    result = request(
        "POST",
        f"{url}/auth/login_flow/{flow['flow_id']}",
        json_body={
            "client_id": client_id(url),
            "username": credentials.username,
            "password": credentials.password,
        },
    )
    if result.get("type") != "create_entry":
        raise DemoError(
            f"logging in as {credentials.username!r} failed ({result.get('errors')});"
            " the password may have been changed in Home Assistant. Delete the"
            " demo's directory to start afresh."
        )
    return exchange_code(url, result["result"])


def onboard(url: str, credentials: Credentials) -> tuple[Session, bool]:
    """Finish onboarding as the frontend would; return a session, and if it was new.

    A step already done is skipped, so this also completes an onboarding that
    was interrupted; once the user exists it logs in instead.
    """
    try:
        steps = request("GET", f"{url}/api/onboarding")
    except HTTPStatusError as err:
        # Once onboarding is complete Home Assistant no longer serves it.
        if err.status != HTTPStatus.NOT_FOUND:
            raise
        return log_in(url, credentials), False
    done = {step["step"] for step in steps if step["done"]}
    created = "user" not in done
    if created:
        answer = request(
            "POST",
            f"{url}/api/onboarding/users",
            json_body={
                "client_id": client_id(url),
                "name": credentials.name,
                "username": credentials.username,
                "password": credentials.password,
                "language": "en",
            },
        )
        session = exchange_code(url, answer["auth_code"])
    else:
        session = log_in(url, credentials)
    if "core_config" not in done:
        session.call("POST", "/api/onboarding/core_config")
    if "analytics" not in done:
        session.call("POST", "/api/onboarding/analytics")
    if "integration" not in done:
        session.call(
            "POST",
            "/api/onboarding/integration",
            {"client_id": session.client_id, "redirect_uri": session.client_id},
        )
    return session, created


def add_entry(session: Session, server: Server) -> tuple[str, bool]:
    """Add the server through the config flow; return its title, and if it is new.

    The flow aborts with `already_configured` when an entry for this server
    exists, which is how a second start knows to add nothing.
    """
    form = session.call("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
    result = session.call(
        "POST",
        f"/api/config/config_entries/flow/{form['flow_id']}",
        {"url": server.url, "api_token": server.token, "verify_ssl": True},
    )
    if result["type"] == "create_entry":
        title: str = result["result"]["title"]
        return title, True
    if result["type"] == "abort" and result["reason"] == "already_configured":
        entries = session.call(
            "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
        )
        return ", ".join(entry["title"] for entry in entries), False
    raise DemoError(
        f"adding {server.url} failed: {result.get('errors') or result.get('reason')}"
    )


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
        self._session: Session | None = None
        self.new_user = False
        self.new_entry = False
        self.entry_title = ""

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
        self.entry_title, self.new_entry = add_entry(self._session, self.server)

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
        """Write configuration.yaml and link the integration into the config."""
        custom = self.config_dir / "custom_components"
        custom.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "configuration.yaml").write_text(
            CONFIGURATION_YAML.format(host=HOST, port=self.port), encoding="utf-8"
        )
        link = custom / DOMAIN
        target = REPO / "custom_components" / DOMAIN
        if link.is_symlink() and link.resolve() == target.resolve():
            return
        if link.is_symlink():
            link.unlink()
        link.symlink_to(target, target_is_directory=True)

    def start_hass(self) -> None:
        """Start Home Assistant and wait until its API answers."""
        check_port_free(self.port, "Home Assistant")
        self.write_config()
        # -P: the launcher's folder stays off sys.path, so only the config
        # directory's custom_components can be imported as such. --skip-pip:
        # what Home Assistant needs is pinned in requirements_develop.txt;
        # installing more at run time would change .venv behind scripts/setup.
        self.hass = spawn(
            [
                sys.executable,
                "-P",
                str(LAUNCHER),
                "--config",
                str(self.config_dir),
                "--skip-pip",
                "--log-no-color",
            ],
            self.hass_log,
        )
        wait_until(
            lambda: answers(f"{self.url}/auth/providers"),
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
