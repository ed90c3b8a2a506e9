"""The test PKI as the portal meets it: the NDES-style challenge service
(tests/pki/ndes_challenge.py) and micromdm's scepserver behind a second
nginx as HTTPS front (tests/pki/tls_front.py), with the certificates of
tests/pki/make_tls_pki.py.

Fixtures (import them into a test module to use them):

    tls_pki        (session) the TLS files by name: root, server, wronghost,
                   other_root, client, each with its "_key"
    challenge_pki  make(scepserver=None, front=True, client_ca=None,
                   server_cert="server", **service_options) -> ChallengePki:
                   a started challenge service, its OTP store shared with
                   scepserver's verifier when one is given, and (front=True)
                   the HTTPS front for both; everything ends after the test

Helpers:

    dynamic_challenge(pki, tls_pki, **overrides)
                   the scep_profile settings of a dynamic challenge fetched
                   through the front (for harness.portal.profile_block)
    scep_settings(policy_xml)
                   the <scep> element of a portal answer as a ScepSettings
    agent_enroll(settings, workdir, trusted_root=None)
                   enrolls as a pushed agent does, with micromdm's
                   scepclient and exactly the received settings
"""

import collections
import itertools
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from cryptography import x509

_PKI_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))), "pki")
if _PKI_DIR not in sys.path:
    sys.path.insert(0, _PKI_DIR)

from make_tls_pki import make_tls_pki                       # noqa: E402
from ndes_challenge import ADMIN_PATH, ChallengeService     # noqa: E402
from tls_front import TlsFront                              # noqa: E402

# The account the portal uses on the challenge page, and one that logs in
# but meets NDES's "no permission to enroll" page.
ACCOUNT = "ndes-admin"
ACCOUNT_PASSWORD = "Ndes-Account:pass 7"
DENIED_ACCOUNT = "no-enroll"

# The front maps NDES's SCEP path to scepserver's /scep.
SCEP_PATH = "/certsrv/mscep/mscep.dll"

SCEPCLIENT = "/usr/bin/scepclient"


class ChallengePki:
    """A started challenge service and, optionally, its HTTPS front."""

    def __init__(self, service, front=None, scepserver=None):
        self.service = service
        self.front = front
        self.scepserver = scepserver

    def admin_url(self, mode=""):
        """The admin page (or one of its test modes) as the portal sees
        it: through the front when there is one."""
        if self.front is not None:
            return self.front.url(ADMIN_PATH + mode)
        return self.service.url(mode)

    @property
    def scep_url(self):
        """scepserver through the front (NDES's path)."""
        return self.front.url(SCEP_PATH)

    def outstanding(self):
        """The OTP store's file names: SHA-256 of each unused password."""
        return self.service.outstanding()

    def stop(self):
        if self.front is not None:
            self.front.stop()
        self.service.stop()


@pytest.fixture(scope="session")
def tls_pki(tmp_path_factory):
    return make_tls_pki(str(tmp_path_factory.mktemp("tls-pki")))


@pytest.fixture
def challenge_pki(tmp_path, tls_pki):
    started = []

    def make(scepserver=None, front=True, client_ca=None,
             server_cert="server", **service_options):
        n = len(started) + 1
        workdir = tmp_path / f"challenge-pki-{n}"
        service_options.setdefault("denied_user", DENIED_ACCOUNT)
        otp_dir = scepserver.otp_store if scepserver is not None else None
        service = ChallengeService(str(workdir / "ndes"), ACCOUNT,
                                   ACCOUNT_PASSWORD, otp_dir=otp_dir,
                                   **service_options)
        pki = ChallengePki(service, scepserver=scepserver)
        started.append(pki)
        service.start()
        if front:
            pki.front = TlsFront(
                str(workdir / "front"), tls_pki[server_cert],
                tls_pki[server_cert + "_key"],
                client_ca=tls_pki[client_ca] if client_ca else None,
                challenge_port=service.port,
                scep_port=scepserver.port if scepserver else None)
            pki.front.start()
        return pki

    yield make
    for pki in reversed(started):
        pki.stop()


def dynamic_challenge(pki, tls_pki, mode="", **overrides):
    """Profile settings: a dynamic challenge from pki's admin page."""
    settings = {
        "challenge": "dynamic",
        "challenge_url": pki.admin_url(mode),
        "challenge_username": f'"{ACCOUNT}"',
        "challenge_password": f'"{ACCOUNT_PASSWORD}"',
        "tls_trusted_certificate": tls_pki["root"],
    }
    settings.update(overrides)
    return settings


# -- the agent's side -------------------------------------------------------

ScepSettings = collections.namedtuple(
    "ScepSettings", "profile mode server_url ca_ident subject rdns key_bits "
    "digest fingerprint_algorithm fingerprint challenge_type challenge")
ScepSettings.__doc__ = """The <scep> element: rdns is [(type, value)] in
document order; fingerprint and challenge are None when absent."""


def scep_settings(body):
    """Parses a portal answer (bytes) into ScepSettings."""
    scep = ET.fromstring(body).find("scep")
    assert scep is not None, body
    fingerprint = scep.find("ca-fingerprint")
    challenge = scep.find("challenge")
    return ScepSettings(
        profile=scep.findtext("profile"),
        mode=scep.findtext("mode"),
        server_url=scep.findtext("server-url"),
        ca_ident=scep.findtext("ca-ident"),
        subject=scep.findtext("subject"),
        rdns=[(r.get("type"), r.text)
              for r in scep.findall("subject-rdns/subject-rdn")],
        key_bits=int(scep.findtext("key-bits")),
        digest=scep.findtext("digest"),
        fingerprint_algorithm=(None if fingerprint is None
                               else fingerprint.get("algorithm")),
        fingerprint=None if fingerprint is None else fingerprint.text,
        challenge_type=None if challenge is None else challenge.get("type"),
        challenge=None if challenge is None else challenge.text)


# scepclient builds its subject as Go does, in this order, one value each.
_SCEPCLIENT_RDNS = (("C", "-country"), ("ST", "-province"),
                    ("L", "-locality"), ("O", "-organization"),
                    ("OU", "-ou"), ("CN", "-cn"))

Enrollment = collections.namedtuple("Enrollment", "ok output cert")
_runs = itertools.count(1)


def agent_enroll(settings, workdir, trusted_root=None, challenge=None,
                 timeout=60.0):
    """Enrolls with micromdm's scepclient using the pushed settings.

    The subject is rebuilt from settings.rdns (never from the text form),
    the key has settings.key_bits, the CA is pinned by the received
    SHA-256 fingerprint, and the challenge is the received one unless
    challenge is given.  trusted_root: the PEM that https to the server is
    checked against.  Returns Enrollment(ok, output, cert).
    """
    types = [t for t, _ in settings.rdns]
    order = [t for t, _ in _SCEPCLIENT_RDNS]
    assert all(types.count(t) == 1 and t in order for t in types) \
        and types == sorted(types, key=order.index), \
        f"scepclient cannot build the subject {settings.rdns}"
    values = dict(settings.rdns)

    run_dir = os.path.join(str(workdir), f"agent-{next(_runs)}")
    os.makedirs(run_dir)
    cert_path = os.path.join(run_dir, "cert.pem")
    argv = [SCEPCLIENT, "-server-url", settings.server_url,
            "-private-key", os.path.join(run_dir, "key.pem"),
            "-certificate", cert_path, "-keySize", str(settings.key_bits)]
    # an empty value leaves scepclient's default attribute out
    for rdn_type, flag in _SCEPCLIENT_RDNS:
        argv += [flag, values.get(rdn_type, "")]
    if settings.ca_ident is not None:
        argv += ["-cacert-message", settings.ca_ident]
    if settings.fingerprint is not None:
        assert settings.fingerprint_algorithm == "sha256", settings
        argv += ["-ca-fingerprint", settings.fingerprint.replace(":", "")]
    secret = settings.challenge if challenge is None else challenge
    if secret is not None:
        argv += ["-challenge", secret]

    env = dict(os.environ)
    if trusted_root is not None:
        env["SSL_CERT_FILE"] = trusted_root
    result = subprocess.run(argv, cwd=run_dir, env=env, capture_output=True,
                            text=True, timeout=timeout)
    cert = None
    if result.returncode == 0 and os.path.exists(cert_path):
        with open(cert_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
    return Enrollment(result.returncode == 0, result.stdout + result.stderr,
                      cert)
