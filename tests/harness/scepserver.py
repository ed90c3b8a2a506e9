"""A real SCEP CA: micromdm's scepserver (Debian package scep) on 127.0.0.1.

Each instance has its own CA (created by "scepserver ca -init" in its own
depot) and its own CSR verifier, tests/pki/csr_verifier.py, which records
every CSR and, when an OTP store is set, admits only CSRs that carry an
outstanding one-time password (see that file for the store's format).

scepserver runs the verifier with no arguments, so each instance gets a
generated /bin/sh wrapper that passes the options; set_otp_store() rewrites
the wrapper, which takes effect from the next CSR without a restart.
"""

import hashlib
import json
import os
import shlex
import time
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from . import capins, procs
from .ports import HOST, free_port

SCEPSERVER = "/usr/bin/scepserver"
VERIFIER = os.path.join(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))), "pki", "csr_verifier.py")
PYTHON = "/usr/bin/python3"


class ScepServer(procs.Service):
    """One scepserver with a fresh CA; see the module docstring."""

    name = "scepserver"
    what = "GetCACaps"

    def __init__(self, workdir, port=None, otp_store=None,
                 organization="ngx_scep test CA", unit="SCEP CA"):
        super().__init__()
        self.dir = str(workdir)
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}/scep"
        self.depot = os.path.join(self.dir, "depot")
        self.records_dir = os.path.join(self.dir, "records")
        self.verifier_path = os.path.join(self.dir, "csr-verifier.sh")
        self.log_path = os.path.join(self.dir, "scepserver.log")
        self.ca_cert_path = os.path.join(self.dir, "ca.pem")
        self.ca_key_path = os.path.join(self.depot, "ca.key")
        os.makedirs(self.records_dir, exist_ok=True)
        self._init_ca(organization, unit)
        self.set_otp_store(otp_store)

    def _init_ca(self, organization, unit):
        if not os.path.exists(os.path.join(self.depot, "ca.pem")):
            init = procs.Proc(
                "scepserver ca -init",
                [SCEPSERVER, "ca", "-init", "-depot", self.depot,
                 "-keySize", "2048", "-organization", organization,
                 "-organizational_unit", unit],
                self.log_path, cwd=self.dir).start()
            if init.wait(timeout=60) != 0:
                raise init.start_error("CA creation failed")
        # The depot's copy is readable by its owner only: keep a public one.
        with open(os.path.join(self.depot, "ca.pem"), "rb") as f:
            pem = f.read()
        with open(self.ca_cert_path, "wb") as f:
            f.write(pem)
        self.ca_cert = x509.load_pem_x509_certificate(pem)
        self.ca_der = self.ca_cert.public_bytes(serialization.Encoding.DER)
        self.ca_fingerprint_sha256 = hashlib.sha256(self.ca_der).hexdigest()
        capins.register(self.url, self.ca_fingerprint_sha256)

    def set_otp_store(self, path):
        """None: accept every CSR; a directory: require a one-time password."""
        self.otp_store = None if path is None else str(path)
        self.verify = None
        args = ["--records", self.records_dir]
        if self.otp_store is not None:
            os.makedirs(self.otp_store, exist_ok=True)
            args += ["--otp-store", self.otp_store]
        self._write_verifier(args)

    def set_verify(self, command):
        """A program that decides instead (its argv, such as build/scep-verify
        with its options), fed each CSR as scepserver would feed it; None:
        accept every CSR again."""
        if command is None:
            self.set_otp_store(None)
            return
        self.otp_store = None
        self.verify = [str(a) for a in command]
        self._write_verifier(["--records", self.records_dir, "--exec",
                              *self.verify])

    def _write_verifier(self, args):
        script = ("#!/bin/sh\n"
                  "# CSR verifier of one scepserver instance (harness-made)\n"
                  f"exec {PYTHON} {shlex.quote(VERIFIER)} "
                  f"{' '.join(shlex.quote(a) for a in args)} "
                  f"2>>{shlex.quote(os.path.join(self.dir, 'verifier.log'))}"
                  "\n")
        # Written aside and renamed, so a running scepserver never executes
        # half a script.
        tmp = self.verifier_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(script)
        os.chmod(tmp, 0o755)
        os.replace(tmp, self.verifier_path)

    # -- life cycle ------------------------------------------------------

    def _argv(self):
        return [SCEPSERVER, "-depot", self.depot, "-port", str(self.port),
                "-allowrenew", "0", "-csrverifierexec", self.verifier_path,
                "-debug"]

    def _answers(self):
        try:
            with urllib.request.urlopen(
                    self.url + "?operation=GetCACaps", timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    # -- what happened ---------------------------------------------------

    def records(self, since=0):
        """The verifier's records (read fresh), those with seq > since.

        Each record is a dict (see tests/pki/csr_verifier.py) plus
        "der_path", the absolute path of the CSR as received.
        """
        found = []
        try:
            with open(os.path.join(self.records_dir, "index.jsonl"),
                      encoding="utf-8") as f:
                for line in f:
                    record = json.loads(line)
                    if record["seq"] > since:
                        record["der_path"] = os.path.join(
                            self.records_dir, record["der_file"])
                        found.append(record)
        except FileNotFoundError:
            pass
        return found

    def sign_failures(self, since=0):
        """How often this CA failed to sign a CSR (its log from offset
        since on): micromdm's file depot is not safe for concurrent
        requests, and one of two requests at once may find its serial
        file being written ("open .../serial: file exists"); the agent
        then gets the CA's FAILURE (403)."""
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            f.seek(since)
            return f.read().count('msg="failed to sign CSR"')

    def log_size(self):
        """The log's length now: a since for sign_failures()."""
        return os.path.getsize(self.log_path)

    def checkpoint(self):
        """The seq of the last record: records(since=checkpoint()) later
        gives only what a test caused."""
        records = self.records()
        return records[-1]["seq"] if records else 0

    def issued(self):
        """The certificates the CA issued, from its depot's index.txt:
        (serial, subject) pairs, oldest first, revoked ones included (a
        new certificate for the same subject revokes the old one)."""
        found = []
        try:
            with open(os.path.join(self.depot, "index.txt"),
                      encoding="utf-8") as f:
                for line in f:
                    fields = line.rstrip("\n").split("\t")
                    if len(fields) >= 6:
                        found.append((fields[3], fields[5]))
        except FileNotFoundError:
            pass
        return found

    def add_otp(self, password, lifetime=300.0):
        """Puts a one-time password into the OTP store (as the NDES-style
        challenge service would); returns its file path."""
        name = hashlib.sha256(password.encode()).hexdigest()
        path = os.path.join(self.otp_store, name)
        tmp = os.path.join(self.otp_store, "." + name + ".tmp")
        with open(tmp, "w") as f:
            json.dump({"expires": time.time() + lifetime}, f)
        os.replace(tmp, path)
        return path
