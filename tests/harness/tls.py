"""Self-signed TLS certificates for the https listeners of test servers.

openconnect (the real GlobalProtect client) speaks only https; it is told
to trust a test server with --servercert PIN, where PIN is the
"pin-sha256:<base64 SHA-256 of the public key>" that this module computes.
"""

import base64
import collections
import datetime
import hashlib
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ServerCert = collections.namedtuple(
    "ServerCert", "cert_path key_path pin sha256_fingerprint")


def self_signed(directory, name="server", common_name="localhost",
                hosts=("localhost", "127.0.0.1"), days=30):
    """Writes NAME.crt and NAME.key (0600) into directory.

    Returns ServerCert(cert_path, key_path, pin, sha256_fingerprint): pin
    in openconnect's --servercert form, fingerprint as lower-case hex of
    the DER certificate.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                            common_name)])
    sans = []
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           critical=True)
            .sign(key, hashes.SHA256()))

    os.makedirs(directory, exist_ok=True)
    cert_path = os.path.join(directory, name + ".crt")
    key_path = os.path.join(directory, name + ".key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))

    spki = key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    pin = "pin-sha256:" + base64.b64encode(hashlib.sha256(spki).digest()
                                           ).decode()
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    return ServerCert(cert_path, key_path, pin, fingerprint)
