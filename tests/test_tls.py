"""The form and setup against a simulator with a self-signed certificate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import ipaddress
import ssl
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mediascribe.const import DOMAIN
from simulator import MediaScribeSimulator

from .conftest import SITE_NAME, TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator
    from pathlib import Path

    from homeassistant.core import HomeAssistant


@pytest.fixture
async def tls_simulator(
    socket_enabled: None, tmp_path: Path
) -> AsyncGenerator[MediaScribeSimulator]:
    """Run the simulator on https, with a fresh self-signed certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MediaScribe test")])
    loopback = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([loopback]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "server.pem"
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
    sim = MediaScribeSimulator(tokens=[TOKEN], site_name=SITE_NAME)
    await sim.start(ssl_context=context)
    yield sim
    await sim.stop()


async def test_untrusted_certificate(
    hass: HomeAssistant, tls_simulator: MediaScribeSimulator
) -> None:
    """Setup says why it cannot load; the form points at the option that fixes it."""
    data = {CONF_URL: tls_simulator.url, CONF_API_TOKEN: TOKEN, CONF_VERIFY_SSL: True}
    entry = MockConfigEntry(domain=DOMAIN, data=data)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "certificate" in str(entry.reason)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], data)
    assert result["errors"] == {CONF_VERIFY_SSL: "invalid_certificate"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], data | {CONF_VERIFY_SSL: False}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_VERIFY_SSL] is False
    assert entry.state is ConfigEntryState.LOADED
