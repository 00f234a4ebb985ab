"""Tests for the MediaScribe config flow: add, reauthenticate, reconfigure."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mediascribe.const import DOMAIN
from simulator import Fault, MediaScribeSimulator

from .conftest import SITE_NAME, SWITCH, TOKEN, state

if TYPE_CHECKING:
    from collections.abc import Generator, Mapping

    from homeassistant.config_entries import ConfigFlowResult
    from homeassistant.core import HomeAssistant

NEW_TOKEN = "tok-new-5be0d2a4c1"
BAD_URLS = {
    "space-in-host": "my server:8080",
    "space-before-port": "myserver :8080",
    "backslash": "http://my\\server",
    "bad-punycode": "xn--zz--",
    "empty-punycode": "http://xn--.com",
    "tab": "my\tserver",
    "empty": "",
    "other-scheme": "ftp://myserver",
}
# Reconfigure keeps the current token for these instead; see its own test.
BLANK_TOKENS = {"empty": "", "whitespace": " \t "}
BAD_TOKENS = {
    "inner-space": "tok en",
    "tab": "tok\ten",
    "newline": "tok\nen",
    "nul": "tok\x00en",
    "escape": "tok\x1b[0m",
}
HTML_PAGE = Fault(
    body=b"<html><body>Router login</body></html>", content_type="text/html"
)
BUSY = Fault(status=429, headers={"Retry-After": "5"})
# What the user types (address, token), what the server does, the form's errors.
CLIENT_ERRORS = {
    "closed-port": ("{closed}", TOKEN, None, {"base": "cannot_connect"}),
    "no-such-host": ("nonexistent.invalid", TOKEN, None, {CONF_URL: "host_not_found"}),
    "bad-token": ("{url}", "tok-unknown", None, {CONF_API_TOKEN: "invalid_auth"}),
    "429": ("{url}", TOKEN, BUSY, {"base": "server_busy"}),
    "500": ("{url}", TOKEN, Fault(status=500), {"base": "server_error"}),
    "503": ("{url}", TOKEN, Fault(status=503), {"base": "server_error"}),
    # A wrong base path: nothing there, the server answers 404.
    "404": ("{url}/ms", TOKEN, None, {"base": "invalid_response"}),
    "html-page": ("{url}", TOKEN, HTML_PAGE, {"base": "invalid_response"}),
    "other-json": (
        "{url}",
        TOKEN,
        Fault(body=b'{"ok": 1}'),
        {"base": "invalid_response"},
    ),
}


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Let flows create and reload entries without setting them up."""
    with patch(
        "custom_components.mediascribe.async_setup_entry", return_value=True
    ) as mock:
        yield mock


@pytest.fixture
def closed_url(socket_enabled: None) -> str:
    """Return an address on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def typed(url: str, token: str = TOKEN, *, verify_ssl: bool = True) -> dict[str, Any]:
    """Return what a user types into the user or reconfigure form."""
    return {CONF_URL: url, CONF_API_TOKEN: token, CONF_VERIFY_SSL: verify_ssl}


def suggested(result: ConfigFlowResult) -> dict[str, Any]:
    """Return the values a form shows prefilled."""
    schema = result["data_schema"]
    assert schema is not None
    return {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description and "suggested_value" in key.description
    }


async def start(
    hass: HomeAssistant, step: str, entry: MockConfigEntry | None = None
) -> ConfigFlowResult:
    """Open the form of a step; reauth and reconfigure work on the entry."""
    if step == "user":
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
    else:
        assert entry is not None
        if entry.entry_id not in hass.config_entries.async_entry_ids():
            entry.add_to_hass(hass)
        if step == "reauth_confirm":
            result = await entry.start_reauth_flow(hass)
        else:
            result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == step
    assert result["errors"] == {}
    return result


async def submit(
    hass: HomeAssistant, result: Mapping[str, Any], data: dict[str, Any]
) -> ConfigFlowResult:
    """Submit a form; the reauth form has only the token field."""
    if result["step_id"] == "reauth_confirm":
        data = {CONF_API_TOKEN: data[CONF_API_TOKEN]}
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


def assert_done(result: ConfigFlowResult, step: str) -> None:
    """Check that a flow ended the way its step succeeds."""
    if step == "user":
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["title"] == SITE_NAME
    else:
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == f"{step.split('_')[0]}_successful"


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    "address",
    ["{url}", " {url}/ ", "{url}/api/control/status/", "{host}", "HTTP://{host}"],
)
@pytest.mark.parametrize("token", [TOKEN, f"  {TOKEN}\t", f"\n{TOKEN}\n"])
async def test_user_creates_entry(
    hass: HomeAssistant, simulator: MediaScribeSimulator, address: str, token: str
) -> None:
    """Any spelling of the address and a pasted token create a clean entry."""
    url = simulator.url
    host = url.removeprefix("http://")
    result = await start(hass, "user")

    result = await submit(
        hass, result, typed(address.format(url=url, host=host), token)
    )

    assert_done(result, "user")
    assert result["data"] == typed(url)
    assert result["result"].unique_id is None


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize("step", ["user", "reconfigure"])
@pytest.mark.parametrize("address", BAD_URLS.values(), ids=BAD_URLS)
async def test_invalid_address_then_fixed(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    step: str,
    address: str,
) -> None:
    """A malformed address is a form error, and the same form then works."""
    result = await start(hass, step, mock_config_entry)

    result = await submit(hass, result, typed(address))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert suggested(result) == typed(address)

    assert_done(await submit(hass, result, typed(simulator.url)), step)


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    ("step", "token"),
    [
        pytest.param(step, token, id=f"{step}-{name}")
        for step in ("user", "reauth_confirm", "reconfigure")
        for name, token in (BAD_TOKENS | BLANK_TOKENS).items()
        if step != "reconfigure" or name not in BLANK_TOKENS
    ],
)
async def test_invalid_token_then_fixed(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    step: str,
    token: str,
) -> None:
    """A token that cannot be one is a form error, and the same form then works."""
    result = await start(hass, step, mock_config_entry)

    result = await submit(hass, result, typed(simulator.url, token))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_TOKEN: "invalid_token"}
    assert suggested(result)[CONF_API_TOKEN] == token
    assert not simulator.requests

    assert_done(await submit(hass, result, typed(simulator.url)), step)


@pytest.mark.usefixtures("mock_setup_entry", "system_resolver")
@pytest.mark.parametrize("step", ["user", "reconfigure"])
@pytest.mark.parametrize(
    ("address", "token", "fault", "errors"), CLIENT_ERRORS.values(), ids=CLIENT_ERRORS
)
async def test_client_error_then_fixed(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    closed_url: str,
    step: str,
    address: str,
    token: str,
    fault: Fault | None,
    errors: dict[str, str],
) -> None:
    """Each way the check can fail has its own message, and the form then works."""
    result = await start(hass, step, mock_config_entry)
    if fault is not None:
        simulator.add_fault(fault)
    entered = typed(address.format(url=simulator.url, closed=closed_url), token)

    result = await submit(hass, result, entered)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert suggested(result) == entered

    simulator.clear_faults()
    assert_done(await submit(hass, result, typed(simulator.url)), step)


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize("step", ["user", "reauth_confirm", "reconfigure"])
async def test_unexpected_error_then_fixed(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    step: str,
) -> None:
    """An error nobody foresaw still leaves a form to try again on."""
    result = await start(hass, step, mock_config_entry)
    with patch(
        "custom_components.mediascribe.config_flow.MediaScribeClient.get_status",
        side_effect=RuntimeError("boom"),
    ):
        result = await submit(hass, result, typed(simulator.url))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}

    assert_done(await submit(hass, result, typed(simulator.url)), step)


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize("token", ["tok en", "tok-unknown"], ids=["typo", "refused"])
async def test_new_flow_after_error_is_not_in_progress(
    hass: HomeAssistant, simulator: MediaScribeSimulator, token: str
) -> None:
    """A failed attempt left open does not block a new one for the same server."""
    first = await start(hass, "user")
    first = await submit(hass, first, typed(simulator.url, token))
    assert first["type"] is FlowResultType.FORM

    second = await start(hass, "user")
    assert_done(await submit(hass, second, typed(simulator.url)), "user")

    first = await submit(hass, first, typed(simulator.url))
    assert first["type"] is FlowResultType.ABORT
    assert first["reason"] == "already_configured"


@pytest.mark.parametrize(
    "address", ["{url}/", " {url}/api/control/status ", "{host}", "HTTP://{host}/"]
)
async def test_user_same_server_aborts(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    address: str,
) -> None:
    """The server of an existing entry, spelled another way, is refused."""
    mock_config_entry.add_to_hass(hass)
    host = simulator.url.removeprefix("http://")
    result = await start(hass, "user")

    result = await submit(
        hass, result, typed(address.format(url=simulator.url, host=host))
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert hass.config_entries.async_entries(DOMAIN) == [mock_config_entry]


async def test_reconfigure_onto_other_entry_aborts(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Pointing an entry at the server of another entry is refused."""
    other = MockConfigEntry(domain=DOMAIN, data=typed("http://192.0.2.7:8080"))
    other.add_to_hass(hass)
    result = await start(hass, "reconfigure", mock_config_entry)

    result = await submit(hass, result, typed("192.0.2.7:8080/"))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data[CONF_URL] == simulator.url


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    "token", [*BLANK_TOKENS.values(), None], ids=[*BLANK_TOKENS, "omitted"]
)
async def test_reconfigure_keeps_token_left_empty(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    token: str | None,
) -> None:
    """Without a new token the current one stays; the form never shows it."""
    result = await start(hass, "reconfigure", mock_config_entry)
    assert suggested(result) == {CONF_URL: simulator.url, CONF_VERIFY_SSL: True}
    entered = typed(f"{simulator.url.removeprefix('http://')}/", verify_ssl=False)
    if token is None:
        del entered[CONF_API_TOKEN]
    else:
        entered[CONF_API_TOKEN] = token

    simulator.add_fault(Fault(status=503))
    result = await submit(hass, result, entered)
    assert result["errors"] == {"base": "server_error"}
    assert TOKEN not in suggested(result).values()

    simulator.clear_faults()
    assert_done(await submit(hass, result, entered), "reconfigure")
    assert mock_config_entry.data == typed(simulator.url, verify_ssl=False)


async def test_reconfigure_new_token_reloads(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A new token replaces the revoked one and the entry restarts with it."""
    coordinator = init_integration.runtime_data
    simulator.revoke_token(TOKEN)
    simulator.add_token(NEW_TOKEN)
    result = await start(hass, "reconfigure", init_integration)

    result = await submit(hass, result, typed(simulator.url, f" {NEW_TOKEN} "))
    await hass.async_block_till_done()

    assert_done(result, "reconfigure")
    assert init_integration.data == typed(simulator.url, NEW_TOKEN)
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is not coordinator
    assert state(hass, SWITCH) == "off"


async def test_reconfigure_new_address_keeps_device_and_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A server that moved keeps its device, entity ids and unique ids."""

    def registered() -> dict[str, tuple[str, str, str | None]]:
        return {
            entity.entity_id: (entity.id, entity.unique_id, entity.device_id)
            for entity in er.async_entries_for_config_entry(
                entity_registry, init_integration.entry_id
            )
        }

    before = registered()
    (device,) = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    assert SWITCH in before
    async with MediaScribeSimulator(tokens=[TOKEN], site_name=SITE_NAME) as moved:
        result = await start(hass, "reconfigure", init_integration)
        result = await submit(hass, result, typed(moved.url))
        await hass.async_block_till_done()

        assert_done(result, "reconfigure")
        assert init_integration.data[CONF_URL] == moved.url
        assert moved.requests
        assert state(hass, SWITCH) == "off"
        assert registered() == before
        (moved_device,) = dr.async_entries_for_config_entry(
            device_registry, init_integration.entry_id
        )
        assert moved_device.id == device.id
        assert moved_device.configuration_url == moved.url
        await hass.config_entries.async_unload(init_integration.entry_id)


async def test_reauth_wrong_then_right_token(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A revoked token asks for a new one; the entry then runs with it."""
    simulator.revoke_token(TOKEN)
    simulator.add_token(NEW_TOKEN)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_confirm"

    result = await submit(hass, flow, typed(simulator.url))
    assert result["errors"] == {CONF_API_TOKEN: "invalid_auth"}
    placeholders = {"name": SITE_NAME, "url": simulator.url}
    assert result["description_placeholders"] == placeholders

    result = await submit(hass, result, typed(simulator.url, f"{NEW_TOKEN}\n"))
    await hass.async_block_till_done()

    assert_done(result, "reauth_confirm")
    assert init_integration.data == typed(simulator.url, NEW_TOKEN)
    assert init_integration.state is ConfigEntryState.LOADED
    assert state(hass, SWITCH) == "off"


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (BUSY, "server_busy"),
        (Fault(status=503), "server_error"),
        (HTML_PAGE, "invalid_response"),
    ],
    ids=["429", "503", "html-page"],
)
async def test_reauth_server_error_on_top(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    fault: Fault,
    error: str,
) -> None:
    """The reauth form shows a server's failure above its only field."""
    result = await start(hass, "reauth_confirm", mock_config_entry)
    simulator.add_fault(fault)

    result = await submit(hass, result, typed(simulator.url))
    assert result["errors"] == {"base": error}
    assert suggested(result) == {CONF_API_TOKEN: TOKEN}

    simulator.clear_faults()
    assert_done(await submit(hass, result, typed(simulator.url)), "reauth_confirm")


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth_server_down_on_top(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A server that is down is reported above the token field until it is back."""
    result = await start(hass, "reauth_confirm", mock_config_entry)
    url, port = simulator.url, simulator.port
    await simulator.stop()

    result = await submit(hass, result, typed(url))
    assert result["errors"] == {"base": "cannot_connect"}

    await simulator.start(port=port)
    assert_done(await submit(hass, result, typed(url)), "reauth_confirm")


@pytest.mark.usefixtures("socket_enabled", "system_resolver")
async def test_reauth_unknown_host_on_top(hass: HomeAssistant) -> None:
    """The form has no address field, so an address error is shown above it."""
    entry = MockConfigEntry(domain=DOMAIN, data=typed("http://nonexistent.invalid"))
    result = await start(hass, "reauth_confirm", entry)

    result = await submit(hass, result, typed(""))

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "host_not_found"}
