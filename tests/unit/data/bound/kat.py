#!/usr/bin/python3
"""The known answers of tests/unit/test_scep_bound.c, computed from the
layout in scep/scep_bound.h and the derivation in scep/scep_keyring.c
with Python's hashlib and hmac, not with the code under test.

    /usr/bin/python3 tests/unit/data/bound/kat.py
"""

import base64
import hashlib
import hmac
import struct

SECRET = bytes(range(32))                   # the key file's 32 bytes


def derive(label):
    return hmac.new(SECRET, label.encode(), hashlib.sha256).digest()


def ava(oid, value):
    value = value.encode()
    return (struct.pack(">H", len(oid)) + oid
            + struct.pack(">H", len(value)) + value)


def subject_digest(rdns):
    """Each RDN in order, its attributes sorted, OID and UTF-8 value."""
    text = b"ngx_scep subject v1\0"
    for rdn in rdns:
        items = sorted(ava(oid, value) for oid, value in rdn)
        text += struct.pack(">H", len(items)) + b"".join(items)
    return hashlib.sha256(text).digest()


def san_digest(names):
    """The names as a set: type, 32-bit length, value; sorted."""
    items = sorted(bytes([t]) + struct.pack(">I", len(v)) + v.encode()
                   for t, v in names)
    return hashlib.sha256(b"ngx_scep san v1\0" + struct.pack(">H", len(items))
                          + b"".join(items)).digest()


O, OU, CN = b"\x55\x04\x0a", b"\x55\x04\x0b", b"\x55\x04\x03"
GEN_DNS = 2

key_id = derive("ngx_scep key id")[:4]
challenge_key = derive("ngx_scep bound challenge v1")
subject = subject_digest([[(O, "Example")], [(OU, "VPN")], [(CN, "bob")]])
san = san_digest([(GEN_DNS, "vpn.example.org")])

body = (bytes([1]) + key_id + struct.pack(">Q", 1800000000)
        + bytes(range(0xa0, 0xb0)) + subject + san + bytes([3])
        + struct.pack(">H", 2048) + bytes([5]) + b"staff")
tag = hmac.new(challenge_key, body, hashlib.sha256).digest()[:16]

print("key id  ", key_id.hex())
print("subject ", subject.hex())
print("san dns ", san.hex())
print("san none", san_digest([]).hex())
print("challenge", base64.b64encode(body + tag).decode().rstrip("="))
