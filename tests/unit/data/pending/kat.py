#!/usr/bin/python3
"""The known answers of tests/unit/test_scep_seal.c, computed from the
layout in scep/scep_seal.h, the names in scep/scep_pending.h and the
derivation in scep/scep_keyring.c with Python's hmac and
python3-cryptography's AES-GCM, not with the code under test.

    /usr/bin/python3 tests/unit/data/pending/kat.py
"""

import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECRET = bytes(range(32))                   # the key file's 32 bytes


def derive(label):
    return hmac.new(SECRET, label.encode(), hashlib.sha256).digest()


key_id = derive("ngx_scep key id")[:4]
seal_key = derive("ngx_scep sealed record v1")
name_key = derive("ngx_scep record name v1")

context = b"pending\nstaff\ncarol"
name = hmac.new(name_key, context, hashlib.sha256).hexdigest()

nonce = bytes(range(0xc0, 0xcc))
header = (b"SCPR" + bytes([1]) + key_id + struct.pack(">Q", 1800000000)
          + nonce)
record = header + AESGCM(seal_key).encrypt(nonce, b"a pending transaction",
                                           header + context)

print("key id", key_id.hex())
print("name  ", name)
print("record", record.hex())
