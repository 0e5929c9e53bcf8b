"""Self-signed CA certificates, made on the spot (a registry's token issuer, a proxy's CA)."""

from __future__ import annotations

import datetime
from typing import Any


def ca_certificate(name: str, key: Any) -> Any:
    """A self-signed CA certificate for `key`, valid from yesterday to tomorrow."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def make_certificate(name: str) -> bytes:
    """A self-signed CA certificate with a fresh key, PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return bytes(ca_certificate(name, key).public_bytes(serialization.Encoding.PEM))
