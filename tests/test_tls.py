"""Client, form and setup against a simulator with a self-signed certificate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import ipaddress
import ssl
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mediascribe.api import (
    MediaScribeCertificateError,
    MediaScribeClient,
)
from custom_components.mediascribe.const import DOMAIN
from simulator import MediaScribeSimulator

from .conftest import SITE_NAME, TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator
    from pathlib import Path

    from homeassistant.core import HomeAssistant


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """Return a server context with a fresh self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MediaScribe test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    pem = directory / "server.pem"
    pem.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pem)
    return context


@pytest.fixture
async def tls_simulator(
    socket_enabled: None, tmp_path: Path
) -> AsyncGenerator[MediaScribeSimulator]:
    """Run the simulator on https with a self-signed certificate."""
    sim = MediaScribeSimulator(tokens=[TOKEN], site_name=SITE_NAME)
    await sim.start(ssl_context=self_signed_context(tmp_path))
    yield sim
    await sim.stop()


async def test_client_reports_untrusted_certificate(
    hass: HomeAssistant, tls_simulator: MediaScribeSimulator
) -> None:
    """Verification on: a certificate error; off: the status is read."""
    assert tls_simulator.url.startswith("https://")
    strict = MediaScribeClient(async_get_clientsession(hass), tls_simulator.url, TOKEN)
    with pytest.raises(MediaScribeCertificateError, match="could not be verified"):
        await strict.get_status()

    relaxed = MediaScribeClient(
        async_get_clientsession(hass, verify_ssl=False), tls_simulator.url, TOKEN
    )
    assert (await relaxed.get_status()).site_name == SITE_NAME


async def test_config_flow_explains_certificate_option(
    hass: HomeAssistant, tls_simulator: MediaScribeSimulator
) -> None:
    """The form points at the verify option; turning it off then succeeds."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    data = {CONF_URL: tls_simulator.url, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: True}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_VERIFY_SSL: "invalid_certificate"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], data | {CONF_VERIFY_SSL: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_VERIFY_SSL] is False
    assert result["result"].state is ConfigEntryState.LOADED


async def test_setup_with_untrusted_certificate_retries(
    hass: HomeAssistant, tls_simulator: MediaScribeSimulator
) -> None:
    """An entry that verifies a self-signed certificate says why it cannot load."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            CONF_URL: tls_simulator.url,
            CONF_API_TOKEN: TOKEN,
            CONF_VERIFY_SSL: True,
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert "certificate" in entry.reason
