"""Home Assistant's REST API as the demo uses it: onboarding, login, config flow."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from http import HTTPStatus
import json
import secrets
from typing import TYPE_CHECKING, Any, Self
import urllib.error
import urllib.parse
import urllib.request

from tools.demo import DemoError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

DOMAIN = "mediascribe"

# Every request here goes to a loopback address: never through a proxy that
# the environment names.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


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
            {"client_id": client_id(url), "redirect_uri": client_id(url)},
        )
    return session, created


def add_entry(session: Session, server: Server) -> tuple[str, bool]:
    """Add the server through the config flow; return its title, and if it is new.

    The flow aborts with `already_configured` when an entry for this server
    exists, which is how a second start knows to add nothing.
    """
    data = {"url": server.url, "api_token": server.token, "verify_ssl": True}
    result = config_flow(session, DOMAIN, data)
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


def config_flow(session: Session, handler: str, data: object) -> Any:
    """Start a config flow and answer its first form with `data`."""
    form = session.call("POST", "/api/config/config_entries/flow", {"handler": handler})
    return session.call(
        "POST", f"/api/config/config_entries/flow/{form['flow_id']}", data
    )
