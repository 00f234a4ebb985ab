"""Config flow for MediaScribe: add, reauthenticate, reconfigure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import (
    InvalidTokenError,
    InvalidURLError,
    MediaScribeAuthenticationError,
    MediaScribeBusyError,
    MediaScribeCertificateError,
    MediaScribeClient,
    MediaScribeConnectionError,
    MediaScribeError,
    MediaScribeHostNotFoundError,
    MediaScribeServerError,
    Status,
    normalize_token,
    normalize_url,
)
from .const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from collections.abc import Mapping

URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
# The form error for each client error, most specific first: (field, key).
CLIENT_ERRORS: tuple[tuple[type[MediaScribeError], str, str], ...] = (
    (MediaScribeAuthenticationError, CONF_API_TOKEN, "invalid_auth"),
    (MediaScribeCertificateError, CONF_VERIFY_SSL, "invalid_certificate"),
    (MediaScribeHostNotFoundError, CONF_URL, "host_not_found"),
    (MediaScribeConnectionError, "base", "cannot_connect"),
    (MediaScribeBusyError, "base", "server_busy"),
    (MediaScribeServerError, "base", "server_error"),
    (MediaScribeError, "base", "invalid_response"),
)


def _server_schema(*, token_required: bool) -> vol.Schema:
    """Build the form for a server's URL, token and certificate check."""
    token = vol.Required if token_required else vol.Optional
    return vol.Schema(
        {
            vol.Required(CONF_URL): URL_SELECTOR,
            token(CONF_API_TOKEN): TOKEN_SELECTOR,
            vol.Required(CONF_VERIFY_SSL, default=True): bool,
        }
    )


REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_API_TOKEN): TOKEN_SELECTOR})


class MediaScribeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a MediaScribe server."""

    VERSION = 1

    async def _async_check(
        self,
        user_input: Mapping[str, Any],
        entry: ConfigEntry | None = None,
        *,
        keep_token: bool = False,
    ) -> tuple[dict[str, Any], Status | None, dict[str, str]]:
        """Clean the input, refuse a server set up already, read its status."""
        token = str(user_input.get(CONF_API_TOKEN) or "")
        data = {**(entry.data if entry else {}), **user_input}
        errors: dict[str, str] = {}
        try:
            data[CONF_URL] = normalize_url(data[CONF_URL])
        except InvalidURLError:
            errors[CONF_URL] = "invalid_url"
        if entry is not None and keep_token and not token.strip():
            data[CONF_API_TOKEN] = entry.data[CONF_API_TOKEN]
        else:
            try:
                data[CONF_API_TOKEN] = normalize_token(token)
            except InvalidTokenError:
                errors[CONF_API_TOKEN] = "invalid_token"
        if errors:
            return data, None, errors
        if entry is None or data[CONF_URL] != entry.data[CONF_URL]:
            # The API has no serial number: one entry per server address.
            self._async_abort_entries_match({CONF_URL: data[CONF_URL]})
        client = MediaScribeClient(
            async_get_clientsession(self.hass, verify_ssl=data[CONF_VERIFY_SSL]),
            data[CONF_URL],
            data[CONF_API_TOKEN],
        )
        try:
            return data, await client.get_status(), {}
        except MediaScribeError as err:
            LOGGER.debug("Checking %s failed: %s", data[CONF_URL], err)
            field, key = next(
                (field, key)
                for kind, field, key in CLIENT_ERRORS
                if isinstance(err, kind)
            )
            return data, None, {field: key}
        except Exception:  # noqa: BLE001 - the form must always offer a retry
            LOGGER.exception("Unexpected error while checking %s", data[CONF_URL])
            return data, None, {"base": "unknown"}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server and check it answers with this token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, status, errors = await self._async_check(user_input)
            if status is not None:
                return self.async_create_entry(title=status.site_name, data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _server_schema(token_required=True), user_input
            ),
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication after the server rejected the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new API token."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, status, errors = await self._async_check(user_input, entry)
            # The form shows only the token; other fields' errors go on top.
            errors = {
                (key if key == CONF_API_TOKEN else "base"): value
                for key, value in errors.items()
            }
            if status is not None:
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(REAUTH_SCHEMA, user_input),
            description_placeholders={"name": entry.title, "url": entry.data[CONF_URL]},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server's URL, token or certificate check."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, status, errors = await self._async_check(
                user_input, entry, keep_token=True
            )
            if status is not None:
                return self.async_update_reload_and_abort(entry, data=data)
        # The stored token is never sent back to the browser.
        shown = {k: v for k, v in entry.data.items() if k != CONF_API_TOKEN}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _server_schema(token_required=False), {**shown, **(user_input or {})}
            ),
            errors=errors,
        )
