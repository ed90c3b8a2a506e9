"""tests/pki/pending_responder as tests meet it: a small SCEP CA of ours
that answers PENDING a set number of times, or FAILURE, with its own CA,
on a free loopback port.  (micromdm's scepserver cannot answer PENDING.)

    build(directory) -> path of the program, built warning-free
    Responder(program, workdir, *options, port=None).start()
        .url, .port, .dir, .ca_pem, .ca_cert, .ca_fingerprint_sha256,
        .log_path
        .operations()      its log's "op=..." lines as dicts
        .pki_operations()  (message type, answer, transaction id) of each
                           PKIOperation
        .stop()
"""

import hashlib
import os
import re
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from . import capins, procs
from .ports import HOST, free_port

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))

CFLAGS = ["gcc", "-std=c11", "-D_GNU_SOURCE", "-g", "-O1", "-Wall",
          "-Wextra", "-Werror", "-I", REPO]
LIBS = ["-lcurl", "-lssl", "-lcrypto"]


def build(directory):
    path = os.path.join(str(directory), "pending_responder")
    scep = os.path.join(REPO, "scep")
    sources = ([os.path.join(REPO, "tests", "pki", f)
                for f in ("pending_responder.c", "pending_responder_scep.c")]
               + sorted(os.path.join(scep, f) for f in os.listdir(scep)
                        if f.endswith(".c")))
    result = subprocess.run(CFLAGS + ["-o", path] + sources + LIBS,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError("pending_responder does not build:\n"
                           + result.stderr)
    return path


class Responder:
    """A pending_responder on a free port, with its own CA."""

    def __init__(self, program, workdir, *options, port=None):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}/cgi-bin/pkiclient.exe"
        self.log_path = os.path.join(self.dir, "responder.log")
        self.ca_pem = None
        self.ca_cert = None
        self.proc = procs.Proc(
            "pending_responder",
            [program, "--port", str(self.port), "--dir", self.dir,
             *map(str, options)],
            self.log_path, cwd=self.dir)

    def start(self):
        self.proc.start()
        try:
            procs.wait_until(
                lambda: os.path.exists(os.path.join(self.dir, "port")),
                30.0, "pending_responder", alive=self.proc.running)
        except procs.StartError as e:
            raise self.proc.start_error(str(e)) from None
        with open(os.path.join(self.dir, "ca.pem"), "rb") as f:
            self.ca_pem = f.read()
        self.ca_cert = x509.load_pem_x509_certificate(self.ca_pem)
        self.ca_fingerprint_sha256 = hashlib.sha256(self.ca_cert.public_bytes(
            serialization.Encoding.DER)).hexdigest()
        capins.register(self.url, self.ca_fingerprint_sha256)
        return self

    def stop(self):
        self.proc.stop()

    def path(self, name):
        return os.path.join(self.dir, name)

    def cert(self, name):
        with open(self.path(name), "rb") as f:
            return x509.load_pem_x509_certificate(f.read())

    def operations(self):
        ops = []
        with open(self.log_path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("op="):
                    ops.append(dict(re.findall(r'(\w+)=("[^"]*"|\S+)',
                                               line)))
        return ops

    def pki_operations(self):
        return [(op["type"], op["answer"], op["tid"])
                for op in self.operations()
                if op["op"] == "PKIOperation"]
