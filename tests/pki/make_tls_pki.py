#!/usr/bin/python3
"""Certificates for the TLS tests (python3-cryptography).

    make_tls_pki.py DIR

writes into DIR, all PEM, keys unencrypted (0600):
    root.pem root.key             the test root CA
    server.pem server.key         127.0.0.1 and localhost (IP and DNS SANs)
    wronghost.pem wronghost.key   signed by the root for another host name
    other-root.pem other-root.key an unrelated root (for "not trusted")
    client.pem client.key         a client certificate signed by the root

Importable: make_tls_pki(dir) returns a dict of these paths by name
("root", "root_key", "server", "server_key", ...).
"""

import datetime
import ipaddress
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

WRONG_HOST = 'wrong-host.invalid'


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def name(common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'ngx_scep tests'),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def build(subject, key, issuer, issuer_key, ca=False, sans=None, eku=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                              critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                   key.public_key()), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False,
            key_agreement=True, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans),
                                        critical=False)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def write(directory, stem, cert, key):
    cert_path = os.path.join(directory, stem + '.pem')
    key_path = os.path.join(directory, stem + '.key')
    with open(cert_path, 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def make_tls_pki(directory):
    os.makedirs(directory, exist_ok=True)
    paths = {}

    def keep(stem, cert, key):
        cert_path, key_path = write(directory, stem, cert, key)
        label = stem.replace('-', '_')
        paths[label] = cert_path
        paths[label + '_key'] = key_path

    root_key = new_key()
    root_name = name('ngx_scep test root')
    root = build(root_name, root_key, root_name, root_key, ca=True)
    keep('root', root, root_key)

    other_key = new_key()
    other_name = name('ngx_scep unrelated root')
    keep('other-root', build(other_name, other_key, other_name, other_key,
                             ca=True), other_key)

    server_eku = [ExtendedKeyUsageOID.SERVER_AUTH]
    key = new_key()
    keep('server', build(name('127.0.0.1'), key, root_name, root_key,
                         sans=[x509.IPAddress(ipaddress.ip_address(
                             '127.0.0.1')), x509.DNSName('localhost')],
                         eku=server_eku), key)

    key = new_key()
    keep('wronghost', build(name(WRONG_HOST), key, root_name, root_key,
                            sans=[x509.DNSName(WRONG_HOST)],
                            eku=server_eku), key)

    key = new_key()
    keep('client', build(name('ngx_scep portal'), key, root_name, root_key,
                         eku=[ExtendedKeyUsageOID.CLIENT_AUTH]), key)

    return paths


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: make_tls_pki.py DIR')
    for label, path in sorted(make_tls_pki(sys.argv[1]).items()):
        print('%-16s %s' % (label, path))
