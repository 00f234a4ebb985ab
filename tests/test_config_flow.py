"""Tests for the MediaScribe config flow: add, reauthenticate, reconfigure."""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.mediascribe.const import DOMAIN
from simulator import Fault, MediaScribeSimulator

from .conftest import SITE_NAME, SWITCH, TOKEN, state

if TYPE_CHECKING:
    from collections.abc import Generator, Mapping

    from homeassistant.config_entries import ConfigFlowResult
    from homeassistant.core import HomeAssistant

NEW_TOKEN = "tok-new-5be0d2a4c1"
STEPS = ("user", "reauth_confirm", "reconfigure")
URL, TOK = CONF_URL, CONF_API_TOKEN  # short, for the tables
# Reconfigure keeps the current token for these instead; see its own test.
BLANK_TOKENS = {"empty": "", "whitespace": " \t "}
BAD_TOKENS = {"inner-space": "tok en", "newline": "tok\nen", "escape": "tok\x1b[0m"}
HTML_PAGE = Fault(body=b"<html><body>Login</body></html>", content_type="text/html")
# What the user types other than the right answer, what goes wrong ("down": the
# server is stopped until the fix; an exception: the check raises it), and the
# form's errors. The client's tests cover every spelling of an address.
FORM_ERRORS: dict[str, tuple[dict[str, str], object, dict[str, str]]] = {
    "url-space": ({URL: "my server:8080"}, None, {URL: "invalid_url"}),
    "url-ftp": ({URL: "ftp://myserver"}, None, {URL: "invalid_url"}),
    "no-such-host": ({URL: "nonexistent.invalid"}, None, {URL: "host_not_found"}),
    # A wrong base path: nothing there, the server answers 404.
    "404": ({URL: "{url}/ms"}, None, {"base": "invalid_response"}),
    **{
        f"token-{name}": ({TOK: token}, None, {TOK: "invalid_token"})
        for name, token in (BAD_TOKENS | BLANK_TOKENS).items()
    },
    "bad-token": ({TOK: "tok-unknown"}, None, {TOK: "invalid_auth"}),
    "server-down": ({}, "down", {"base": "cannot_connect"}),
    "429": ({}, Fault(status=429), {"base": "server_busy"}),
    "503": ({}, Fault(status=503), {"base": "server_error"}),
    "html-page": ({}, HTML_PAGE, {"base": "invalid_response"}),
    "unexpected": ({}, RuntimeError("boom"), {"base": "unknown"}),
}


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Let flows create and reload entries without setting them up."""
    setup = "custom_components.mediascribe.async_setup_entry"
    with patch(setup, return_value=True) as mock:
        yield mock


def typed(url: str, token: str = TOKEN, *, verify_ssl: bool = True) -> dict[str, Any]:
    """Return what a user types into the user or reconfigure form."""
    return {URL: url, TOK: token, CONF_VERIFY_SSL: verify_ssl}


def suggested(result: ConfigFlowResult) -> dict[str, Any]:
    """Return the values a form shows prefilled."""
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema  # type: ignore[union-attr]
        if "suggested_value" in (key.description or {})
    }


async def start(
    hass: HomeAssistant, step: str, entry: MockConfigEntry
) -> ConfigFlowResult:
    """Open the form of a step; reauth and reconfigure work on the entry."""
    if step == "user":
        context = {"source": SOURCE_USER}
        result = await hass.config_entries.flow.async_init(DOMAIN, context=context)
    else:
        if entry.entry_id not in hass.config_entries.async_entry_ids():
            entry.add_to_hass(hass)
        reauth = step == "reauth_confirm"
        flow = entry.start_reauth_flow if reauth else entry.start_reconfigure_flow
        result = await flow(hass)
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, step)
    assert result["errors"] == {}
    return result


async def submit(
    hass: HomeAssistant, result: Mapping[str, Any], data: dict[str, Any]
) -> ConfigFlowResult:
    """Submit a form; the reauth form has only the token field."""
    if result["step_id"] == "reauth_confirm":
        data = {TOK: data[TOK]}
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
    ("address", "token"),
    [(" {url}/api/control/status/ ", f"\n{TOKEN}\t"), ("HTTP://{host}", TOKEN)],
)
async def test_user_creates_entry(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    address: str,
    token: str,
) -> None:
    """Any spelling of the address and a pasted token create a clean entry."""
    url = simulator.url
    result = await start(hass, "user", mock_config_entry)
    address = address.format(url=url, host=url.removeprefix("http://"))

    result = await submit(hass, result, typed(address, token))

    assert_done(result, "user")
    assert result["data"] == typed(url)
    assert result["result"].unique_id is None


@pytest.mark.usefixtures("mock_setup_entry", "system_resolver")
@pytest.mark.parametrize(
    ("step", "changes", "trouble", "errors"),
    [
        pytest.param(step, *case, id=f"{step}-{name}")
        for step in STEPS
        for name, case in FORM_ERRORS.items()
        # The reauth form has no address field: see test_reauth_unknown_host_on_top.
        if not (step == "reauth_confirm" and URL in case[0])
        and not (step == "reconfigure" and name.removeprefix("token-") in BLANK_TOKENS)
    ],
)
async def test_error_then_fixed(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    step: str,
    changes: dict[str, str],
    trouble: object,
    errors: dict[str, str],
) -> None:
    """Each way the check can fail has its own message, and the form then works."""
    url, port = simulator.url, simulator.port
    result = await start(hass, step, mock_config_entry)
    if trouble == "down":
        await simulator.stop()
    elif isinstance(trouble, Fault):
        simulator.add_fault(trouble)
    entered = typed(url) | {
        key: value.format(url=url) for key, value in changes.items()
    }
    check = "custom_components.mediascribe.config_flow.MediaScribeClient.get_status"
    failing = isinstance(trouble, Exception)

    with patch(check, side_effect=trouble) if failing else nullcontext():
        result = await submit(hass, result, entered)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    reauth = step == "reauth_confirm"
    assert suggested(result) == ({TOK: entered[TOK]} if reauth else entered)
    if {"invalid_url", "invalid_token"} & set(errors.values()):
        assert not simulator.requests  # refused before the server is asked

    simulator.clear_faults()
    if trouble == "down":
        await simulator.start(port=port)
    assert_done(await submit(hass, result, typed(url)), step)


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize("token", ["tok en", "tok-unknown"], ids=["typo", "refused"])
async def test_new_flow_after_error_is_not_in_progress(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    token: str,
) -> None:
    """A failed attempt left open does not block a new one for the same server."""
    first = await start(hass, "user", mock_config_entry)
    first = await submit(hass, first, typed(simulator.url, token))
    assert first["type"] is FlowResultType.FORM

    second = await start(hass, "user", mock_config_entry)
    assert_done(await submit(hass, second, typed(simulator.url)), "user")

    first = await submit(hass, first, typed(simulator.url))
    assert first["type"] is FlowResultType.ABORT
    assert first["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("step", "address"),
    [
        ("user", "{host}"),
        ("user", " HTTP://{host}/api/control/status "),
        ("user", "192.0.2.7:8080/"),
        ("reconfigure", "192.0.2.7:8080/"),
    ],
)
async def test_server_of_an_entry_aborts(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    step: str,
    address: str,
) -> None:
    """The server of an existing entry, however spelled, is refused."""
    MockConfigEntry(domain=DOMAIN, data=typed("http://192.0.2.7:8080")).add_to_hass(
        hass
    )
    mock_config_entry.add_to_hass(hass)
    result = await start(hass, step, mock_config_entry)
    host = simulator.url.removeprefix("http://")

    result = await submit(hass, result, typed(address.format(host=host)))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2
    assert mock_config_entry.data[URL] == simulator.url


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
    assert suggested(result) == {URL: simulator.url, CONF_VERIFY_SSL: True}
    entered = {URL: f"{simulator.url.removeprefix('http://')}/", CONF_VERIFY_SSL: False}
    entered |= {} if token is None else {TOK: token}

    simulator.add_fault(Fault(status=503))
    result = await submit(hass, result, entered)
    assert result["errors"] == {"base": "server_error"}
    assert TOKEN not in suggested(result).values()

    simulator.clear_faults()
    assert_done(await submit(hass, result, entered), "reconfigure")
    assert mock_config_entry.data == typed(simulator.url, verify_ssl=False)


@pytest.mark.parametrize("step", ["reauth_confirm", "reconfigure"])
async def test_new_token_reloads(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    simulator: MediaScribeSimulator,
    init_integration: MockConfigEntry,
    step: str,
) -> None:
    """A revoked token is refused; a new one (and address) reloads the same entry."""
    entry_id, coordinator = init_integration.entry_id, init_integration.runtime_data

    def registered() -> tuple[str, set[tuple[str, str, str]]]:
        (device,) = dr.async_entries_for_config_entry(device_registry, entry_id)
        entities = er.async_entries_for_config_entry(entity_registry, entry_id)
        return device.id, {(e.entity_id, e.id, e.unique_id) for e in entities}

    before = registered()
    simulator.revoke_token(TOKEN)
    async with MediaScribeSimulator(tokens=[NEW_TOKEN], site_name=SITE_NAME) as moved:
        if step == "reauth_confirm":
            server = simulator
            simulator.add_token(NEW_TOKEN)
            # The revoked token fails the setup, which asks for a new one.
            await hass.config_entries.async_reload(entry_id)
            await hass.async_block_till_done()
            assert init_integration.state is ConfigEntryState.SETUP_ERROR
            (result,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        else:
            server = moved
            result = await start(hass, step, init_integration)

        result = await submit(hass, result, typed(server.url))
        assert result["errors"] == {TOK: "invalid_auth"}
        if step == "reauth_confirm":
            placeholders = {"name": SITE_NAME, "url": server.url}
            assert result["description_placeholders"] == placeholders
        result = await submit(hass, result, typed(server.url, f" {NEW_TOKEN}\n"))
        await hass.async_block_till_done()

        assert_done(result, step)
        assert init_integration.data == typed(server.url, NEW_TOKEN)
        assert init_integration.state is ConfigEntryState.LOADED
        assert init_integration.runtime_data is not coordinator
        assert (state(hass, SWITCH), registered()) == ("off", before)
        assert device_registry.async_get(before[0]).configuration_url == server.url
        await hass.config_entries.async_unload(entry_id)


@pytest.mark.usefixtures("socket_enabled", "system_resolver")
async def test_reauth_unknown_host_on_top(hass: HomeAssistant) -> None:
    """The form has no address field, so an address error is shown above it."""
    entry = MockConfigEntry(domain=DOMAIN, data=typed("http://nonexistent.invalid"))
    result = await start(hass, "reauth_confirm", entry)

    result = await submit(hass, result, typed(""))

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "host_not_found"}


@pytest.mark.usefixtures("mock_setup_entry")
async def test_forms_ask_what_each_step_needs(
    hass: HomeAssistant,
    simulator: MediaScribeSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The token is required to add, optional to reconfigure; TLS is verified."""
    other = MockConfigEntry(domain=DOMAIN, data=typed("http://192.0.2.7:8080"))
    other.add_to_hass(hass)
    result = await start(hass, "user", mock_config_entry)
    schema = result["data_schema"]
    assert schema is not None
    assert schema({URL: "a", TOK: "b"})[CONF_VERIFY_SSL] is True
    with pytest.raises(vol.Invalid):
        schema({URL: "a"})
    simulator.add_fault(Fault(status=503, count=1))
    await submit(hass, result, typed(simulator.url))
    assert f"Checking {simulator.url} failed: The server answered HTTP 503" in (
        caplog.text
    )
    # Another server's entry does not stand in the way.
    assert_done(await submit(hass, result, typed(simulator.url)), "user")
    result = await start(hass, "reconfigure", other)
    assert result["data_schema"]({URL: "a"})[CONF_VERIFY_SSL] is True
