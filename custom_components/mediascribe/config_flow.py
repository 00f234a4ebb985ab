"""Config flow for MediaScribe: add, reauthenticate, reconfigure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import (
    InvalidURLError,
    MediaScribeAuthenticationError,
    MediaScribeCertificateError,
    MediaScribeClient,
    MediaScribeConnectionError,
    MediaScribeResponseError,
    Status,
    normalize_url,
)
from .const import DOMAIN, LOGGER
from .entity import async_migrate_unique_ids

if TYPE_CHECKING:
    from collections.abc import Mapping

TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _server_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Build the form for a server's URL, token and certificate check."""
    return vol.Schema(
        {
            vol.Required(CONF_URL, default=defaults.get(CONF_URL, "")): TextSelector(
                TextSelectorConfig(type=TextSelectorType.URL)
            ),
            vol.Required(CONF_API_TOKEN): TOKEN_SELECTOR,
            vol.Required(
                CONF_VERIFY_SSL, default=defaults.get(CONF_VERIFY_SSL, True)
            ): bool,
        }
    )


class MediaScribeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a MediaScribe server."""

    VERSION = 1

    async def _async_try_connect(
        self, url: str, token: str, *, verify_ssl: bool
    ) -> tuple[Status | None, dict[str, str]]:
        """Read the status live; return it or the form errors that explain why not."""
        client = MediaScribeClient(
            async_get_clientsession(self.hass, verify_ssl=verify_ssl), url, token
        )
        try:
            return await client.get_status(), {}
        except MediaScribeAuthenticationError:
            return None, {CONF_API_TOKEN: "invalid_auth"}
        except MediaScribeCertificateError as err:
            LOGGER.debug("Certificate of %s not trusted: %s", url, err)
            return None, {CONF_VERIFY_SSL: "invalid_certificate"}
        except MediaScribeConnectionError as err:
            LOGGER.debug("Cannot connect to %s: %s", url, err)
            return None, {"base": "cannot_connect"}
        except MediaScribeResponseError as err:
            LOGGER.debug("Unexpected answer from %s: %s", url, err)
            return None, {"base": "invalid_response"}
        except Exception:  # noqa: BLE001 - the form must always offer a retry
            LOGGER.exception("Unexpected error while checking %s", url)
            return None, {"base": "unknown"}

    async def _async_check_server(
        self, user_input: dict[str, Any], current_unique_id: str | None = None
    ) -> tuple[str, Status | None, dict[str, str]]:
        """Normalize the URL, refuse a server set up already, read its status."""
        try:
            url = normalize_url(user_input[CONF_URL])
        except InvalidURLError:
            return "", None, {CONF_URL: "invalid_url"}
        if url != current_unique_id:
            await self.async_set_unique_id(url)
            self._abort_if_unique_id_configured()
        status, errors = await self._async_try_connect(
            url, user_input[CONF_API_TOKEN], verify_ssl=user_input[CONF_VERIFY_SSL]
        )
        return url, status, errors

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server and check it answers with this token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url, status, errors = await self._async_check_server(user_input)
            if status is not None:
                return self.async_create_entry(
                    title=status.site_name, data={**user_input, CONF_URL: url}
                )
        return self.async_show_form(
            step_id="user",
            data_schema=_server_schema(user_input or {}),
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
            status, errors = await self._async_try_connect(
                entry.data[CONF_URL],
                user_input[CONF_API_TOKEN],
                verify_ssl=entry.data[CONF_VERIFY_SSL],
            )
            if status is not None:
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_API_TOKEN: user_input[CONF_API_TOKEN]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_API_TOKEN): TOKEN_SELECTOR}),
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
            url, status, errors = await self._async_check_server(
                user_input, entry.unique_id
            )
            if status is not None:
                if url != entry.unique_id:
                    async_migrate_unique_ids(self.hass, entry, url)
                return self.async_update_reload_and_abort(
                    entry, unique_id=url, data={**user_input, CONF_URL: url}
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_server_schema(user_input or entry.data),
            errors=errors,
        )
