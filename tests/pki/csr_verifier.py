"""CSR verifier for micromdm's scepserver (-csrverifierexec).

scepserver runs its verifier with no arguments and the DER CSR on stdin;
exit status 0 lets the certificate be issued, anything else refuses it.
The harness therefore writes, per scepserver instance, a small /bin/sh
wrapper that runs this script with the instance's options:

    csr_verifier.py --records DIR [--otp-store DIR | --exec PROG [ARG...]]

Records (for the tests' assertions)
    Every CSR is kept as DIR/NNNNNN.der (NNNNNN: sequence number from 1)
    and described by one JSON line in DIR/index.jsonl:
      seq, time, der_file,
      subject         RFC 4514 string (most specific RDN first),
      subject_attrs   [[name, value], ...] in the CSR's order (X.509 order,
                      least specific first); name is cryptography's name of
                      the attribute ("commonName", "emailAddress", ...) or
                      the dotted OID for attributes it does not know,
      subject_rdns    the same pairs grouped per RDN (a multi-valued RDN
                      such as CN=x+O=y is one list of two pairs),
      challenge_sha256  lower-case hex SHA-256 of the challengePassword
                      (UTF-8), or null; the password itself is never stored,
      san             [[type, value], ...], type one of rfc822, dns, uri,
                      ip, dirname, upn (the user principal name otherName,
                      its text), other (another otherName: its OID),
      key_usage       {"digital_signature": bool, ...} or null when the CSR
                      asks for no key usage; key_usage_critical,
      extensions      dotted OIDs of every requested extension,
      signature_hash  "sha1", "sha256", ... ; signature_valid,
      public_key_type "RSA", "EC", ...; public_key_bits,
      otp_store       whether a one-time password store was in force,
      decision        "accepted" or "refused",
      reason          "accepted", "no challenge", "unknown or used
                      challenge", "expired challenge" or "unreadable CSR";
                      with --exec, the program's last line on stderr,
      exit_status     with --exec: the program's exit status.
    A lock file (DIR/.lock) orders concurrent verifiers.

Another verifier (--exec PROG ARG...)
    The CSR (DER) is also handed to PROG on its stdin, the way scepserver
    would; its exit status decides (0 accepts).  Its stderr goes to this
    script's stderr.  So build/scep-verify runs behind scepserver while
    the tests keep their records.

One-time password store (shared with tests/pki/ndes_challenge.py)
    Without --otp-store every readable CSR is accepted.  With it, a CSR is
    accepted only if its challengePassword is an outstanding one-time
    password, which is consumed:
      - the store is a directory;
      - each outstanding password is a file named by the lower-case hex
        SHA-256 of the UTF-8 password, holding a JSON object
        {"expires": <unix time, seconds, float>};
      - writers create it atomically (write a name starting with "." in
        the same directory, then rename), so a reader never sees half a
        file; names starting with "." are not passwords;
      - consuming is os.unlink of that file: when two requests race for one
        password, the one whose unlink succeeds wins, the other is refused;
      - an expired file is unlinked and the request refused.
"""

import argparse
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import AttributeOID, ExtensionOID

ACCEPTED = "accepted"
NO_CHALLENGE = "no challenge"
UNKNOWN = "unknown or used challenge"
EXPIRED = "expired challenge"
UNREADABLE = "unreadable CSR"

KEY_USAGE_BITS = ("digital_signature", "content_commitment",
                  "key_encipherment", "data_encipherment", "key_agreement",
                  "key_cert_sign", "crl_sign")


def attr_name(attribute):
    """cryptography's name of a subject attribute, else its dotted OID."""
    name = attribute.oid._name
    return attribute.oid.dotted_string if name == "Unknown OID" else name


UPN_OID = "1.3.6.1.4.1.311.20.2.3"


def upn_value(other):
    """The UTF8String of a UPN otherName (DER: 0c, length, text)."""
    der = other.value
    if len(der) < 2 or der[0] != 0x0c:
        return None
    if der[1] < 0x80:
        start, length = 2, der[1]
    else:
        n = der[1] & 0x7f
        start, length = 2 + n, int.from_bytes(der[2:2 + n], "big")
    text = der[start:start + length]
    return text.decode("utf-8") if len(text) == length else None


def describe_san(name):
    if isinstance(name, x509.OtherName):
        if name.type_id.dotted_string == UPN_OID and upn_value(name):
            return ["upn", upn_value(name)]
        return ["other", name.type_id.dotted_string]
    kinds = ((x509.RFC822Name, "rfc822"), (x509.DNSName, "dns"),
             (x509.UniformResourceIdentifier, "uri"),
             (x509.IPAddress, "ip"), (x509.DirectoryName, "dirname"))
    for cls, kind in kinds:
        if isinstance(name, cls):
            value = name.value
            if kind == "dirname":
                value = value.rfc4514_string()
            return [kind, str(value)]
    return ["other", repr(name)]


def describe_key_usage(ku):
    bits = {bit: getattr(ku, bit) for bit in KEY_USAGE_BITS}
    if ku.key_agreement:
        bits["encipher_only"] = ku.encipher_only
        bits["decipher_only"] = ku.decipher_only
    return bits


def key_type(key):
    for cls, name in ((rsa.RSAPublicKey, "RSA"),
                      (ec.EllipticCurvePublicKey, "EC"),
                      (dsa.DSAPublicKey, "DSA")):
        if isinstance(key, cls):
            return name
    return type(key).__name__


def challenge_of(csr):
    """The challengePassword as text, or None when the CSR has none."""
    try:
        attribute = csr.attributes.get_attribute_for_oid(
            AttributeOID.CHALLENGE_PASSWORD)
    except x509.AttributeNotFound:
        return None
    return attribute.value.decode("utf-8", "replace")


def describe(csr):
    """The JSON-ready description of a CSR (see the module docstring)."""
    challenge = challenge_of(csr)
    record = {
        "subject": csr.subject.rfc4514_string(),
        "subject_attrs": [[attr_name(a), a.value] for a in csr.subject],
        "subject_rdns": [[[attr_name(a), a.value] for a in rdn]
                         for rdn in csr.subject.rdns],
        "challenge_sha256": (None if challenge is None else
                             hashlib.sha256(challenge.encode()).hexdigest()),
        "san": [],
        "key_usage": None,
        "key_usage_critical": None,
        "extensions": [e.oid.dotted_string for e in csr.extensions],
        "signature_hash": (csr.signature_hash_algorithm.name
                           if csr.signature_hash_algorithm else None),
        "signature_valid": csr.is_signature_valid,
        "public_key_type": key_type(csr.public_key()),
        "public_key_bits": getattr(csr.public_key(), "key_size", None),
    }
    for ext in csr.extensions:
        if ext.oid == ExtensionOID.SUBJECT_ALTERNATIVE_NAME:
            record["san"] = [describe_san(n) for n in ext.value]
        elif ext.oid == ExtensionOID.KEY_USAGE:
            record["key_usage"] = describe_key_usage(ext.value)
            record["key_usage_critical"] = ext.critical
    return record, challenge


def consume_otp(store, challenge, now=None):
    """Applies the store's rules; returns the reason (ACCEPTED if good)."""
    if challenge is None or challenge == "":
        return NO_CHALLENGE
    path = os.path.join(store,
                        hashlib.sha256(challenge.encode()).hexdigest())
    try:
        with open(path, encoding="utf-8") as f:
            expires = float(json.load(f)["expires"])
    except FileNotFoundError:
        return UNKNOWN
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"csr_verifier: unreadable OTP file {path}: {e}",
              file=sys.stderr)
        return UNKNOWN
    if expires <= (time.time() if now is None else now):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        return EXPIRED
    try:
        os.unlink(path)
    except FileNotFoundError:
        return UNKNOWN          # another request consumed it first
    return ACCEPTED


def save(records_dir, der, record):
    """Stores the DER and appends the record; returns the record's seq."""
    os.makedirs(records_dir, exist_ok=True)
    with open(os.path.join(records_dir, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        index = os.path.join(records_dir, "index.jsonl")
        try:
            with open(index, "rb") as f:
                seq = sum(1 for _ in f) + 1
        except FileNotFoundError:
            seq = 1
        der_file = f"{seq:06d}.der"
        with open(os.path.join(records_dir, der_file), "wb") as f:
            f.write(der)
        record = {"seq": seq, "time": time.time(), "der_file": der_file,
                  **record}
        with open(index, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return seq


def run_exec(command, der):
    """Runs the other verifier; returns (reason, exit status)."""
    result = subprocess.run(command, input=der, capture_output=True,
                            timeout=60)
    err = result.stderr.decode("utf-8", "replace")
    sys.stderr.write(err)
    lines = [line for line in err.splitlines() if line.strip()]
    if result.returncode == 0:
        return ACCEPTED, 0
    return (lines[-1] if lines else f"exit {result.returncode}",
            result.returncode)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", required=True)
    parser.add_argument("--otp-store")
    parser.add_argument("--exec", nargs=argparse.REMAINDER, dest="command")
    args = parser.parse_args(argv)

    der = sys.stdin.buffer.read()
    status = None
    try:
        csr = x509.load_der_x509_csr(der)
        record, challenge = describe(csr)
    except Exception as e:      # any parse failure is a refusal, not a crash
        print(f"csr_verifier: unreadable CSR: {e!r}", file=sys.stderr)
        record, challenge = {"subject": None}, None
        reason = UNREADABLE
        if args.command:
            reason, status = run_exec(args.command, der)
    else:
        if args.command:
            reason, status = run_exec(args.command, der)
        else:
            reason = (consume_otp(args.otp_store, challenge)
                      if args.otp_store else ACCEPTED)

    if status is not None:
        record["exit_status"] = status
    record["otp_store"] = bool(args.otp_store)
    record["decision"] = "accepted" if reason == ACCEPTED else "refused"
    record["reason"] = reason
    save(args.records, der, record)
    return 0 if reason == ACCEPTED else 1


if __name__ == "__main__":
    sys.exit(main())
