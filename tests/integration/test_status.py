"""The status page (scep_status), read by what operators use.

Debian's Prometheus scrapes it from a portal that logins, refusals and
one certificate (enroll mode against micromdm's scepserver) went
through, and reports the target up with those values; promtool finds
nothing to say about a page with every family on it.  Counters of two
workers add up and keep their values across a reload that adds a
profile; the thread pool's jobs in flight and queued while the directory
is stalled; directory servers up and down, and the directory's errors;
the CA certificate of a profile and of one whose CA is away; a pending
request and scep_admin's certificates; the proxy gate.  Misuses of the
directives are refused by nginx -t at their line.
"""

import concurrent.futures
import json
import os
import re
import socket
import subprocess
import time

import pytest

from harness import directory, http, portal, procs
from harness import prometheus as prom_mod

GETCONFIG = "/global-protect/getconfig.esp"
STATUS = "/scep-status"
ADMIN = "/scep-admin"

STATUS_LOCATION = f"""
    location = {STATUS} {{
        scep_status;
        allow 127.0.0.1;
        deny all;
    }}
"""

ADMIN_LOCATION = f"""
    location = {ADMIN} {{
        scep_admin;
    }}
"""

TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

SAMPLE = re.compile(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"')


# -- reading the page ----------------------------------------------------

def scrape(server, path=STATUS):
    """The page as {(name, frozenset of (label, value)): float}."""
    response = http.get(server.url(path))
    assert response.status == 200, response
    assert response.headers.get("Content-Type") == TEXT_TYPE
    samples = {}
    for line in response.body.decode().splitlines():
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, line
        name, labels, value = match.groups()
        key = (name, frozenset(LABEL.findall(labels or "")))
        assert key not in samples, line
        samples[key] = float(value)
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def status_json(server):
    response = http.get(server.url(STATUS + "?format=json"))
    assert response.status == 200, response
    assert response.headers.get("Content-Type") == \
        "application/json; charset=utf-8"
    return json.loads(response.body)


def login(server, user, password=None, timeout=60):
    return http.post_form(server.url(GETCONFIG),
                          portal.login(user, password=password),
                          timeout=timeout)


def unique(tag):
    return f"{tag}-{os.getpid()}-{time.monotonic_ns()}"


def enroll_profile(scepserver, ou, name="staff", **overrides):
    settings = {"mode": "enroll",
                "subject": f'"O=Example,OU={ou},CN=$USERNAME"',
                "ca_fingerprint": scepserver.ca_fingerprint_sha256}
    settings.update(overrides)
    return portal.profile_block(name, scepserver.url, **settings)


def ca_obtained(server, profile, workers=1, timeout=30):
    pattern = re.compile(rf'scep_profile "{profile}": CA certificate '
                         r'"[^"]+" \(SHA-256 [0-9a-f]{64}\) obtained from ')
    procs.wait_until(
        lambda: len(pattern.findall(server.error_log())) >= workers,
        timeout, f"the CA certificate of {profile}", interval=0.05,
        alive=server.proc.running)


@pytest.fixture
def refusing_url():
    """An ldap:// URL whose port refuses connections (bound, never
    listening) for as long as the test runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield f"ldap://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


# -- 1. Prometheus scrapes it --------------------------------------------

def test_prometheus_scrapes_logins_refusals_and_a_certificate(
        nginx, slapd, scepserver, tmp_path):
    profile = enroll_profile(scepserver, unique("status"))
    server = nginx(http=portal.directory_block(slapd) + profile
                   + "scep_store @PREFIX@/store;\n"
                   + portal.portal_server(
                       "        scep_default_profile staff;\n"
                       "        scep_allow_group vpn-users;",
                       extra=STATUS_LOCATION))
    server.start()
    ca_obtained(server, "staff")

    prom = prom_mod.Prometheus(tmp_path / "prometheus",
                               targets=[f"127.0.0.1:{server.port}"],
                               metrics_path=STATUS).start(timeout=60)
    try:
        targets = prom.wait_target_up()
        assert len(targets) == 1
        assert targets[0]["scrapeUrl"] == server.url(STATUS)
        assert targets[0]["lastError"] == ""

        # before any login: the families are there, at zero
        prom.wait_value('scep_logins_total{result="issued"}', 0)
        prom.wait_value('scep_ca_certificate_fetched{profile="staff"}', 1)

        # one certificate, two wrong passwords, three users not allowed
        assert login(server, "alice").status == 200
        for _ in range(2):
            assert login(server, "bob", password="wrong").status == 512
        for _ in range(3):
            assert login(server, "mallory").status == 403

        prom.wait_value("sum(scep_logins_total)", 6)
        assert prom.query("scep_logins_total > 0") == {
            (("result", "issued"),): 1.0,
            (("result", "bad_credentials"),): 2.0,
            (("result", "refused"),): 3.0}
        prom.wait_value('scep_certificates_total{profile="staff",'
                        'mode="enroll",result="issued"}', 1)
        # refused by the portal, not the CA: no certificate was asked for
        assert prom.value('sum(scep_certificates_total{result!="issued"})') \
            == 0
        assert prom.value('scep_pki_duration_seconds_count'
                          '{profile="staff"}') == 1
        assert prom.value('scep_directory_duration_seconds_count'
                          '{directory="corp"}') == 6
        assert prom.value(f'scep_directory_server_up{{directory="corp",'
                          f'url="{slapd.url}"}}') == 1
        assert prom.value('sum(scep_directory_errors_total)') == 0
        assert prom.value('scep_thread_pool_jobs_in_flight'
                          '{pool="default"}') == 0
        expiry = prom.value('scep_ca_certificate_expiry_seconds'
                            '{profile="staff"}')
        not_after = scepserver.ca_cert.not_valid_after.timestamp()
        assert abs(expiry - (not_after - time.time())) < 60, expiry
        assert prom.query('up{job="scep"}') == {(): 1.0}
    finally:
        prom.stop()


# -- 2. promtool ----------------------------------------------------------

def test_promtool_finds_nothing_to_say(nginx, slapd, scepserver, responder,
                                       refusing_url):
    """A page with every family: an enroll profile with a key pool, a CA
    that leaves a request pending, a proxy gate, a server down."""
    ca = responder("--pending", "5")
    conf = (portal.directory_block(slapd, url=[refusing_url, slapd.url])
            + enroll_profile(scepserver, unique("promtool"), key_pool=2)
            + portal.profile_block("held", ca.url, mode="enroll",
                                   subject='"O=Example,CN=$USERNAME"',
                                   poll_wait="0")
            + portal.profile_block("gated", scepserver.url, mode="proxy",
                                   proxy_url="http://127.0.0.1:@PORT@/px")
            + "scep_store @PREFIX@/store;\n"
            + portal.portal_server(
                "        scep_default_profile staff;\n"
                "        scep_group_profile engineering held;",
                extra=STATUS_LOCATION + """
    location /px {
        scep_proxy gated;
        proxy_pass @SCEP_URL@;
    }
"""))
    server = nginx(http=conf, tokens={"SCEP_URL": scepserver.url})
    server.start()
    ca_obtained(server, "staff")

    assert login(server, "alice").status == 200
    assert login(server, "carol").status == 200       # pending
    assert login(server, "bob", password="wrong").status == 512
    assert http.get(server.url("/px?operation=GetCACaps")).status == 403

    page = http.get(server.url(STATUS)).body
    result = subprocess.run(["/usr/bin/promtool", "check", "metrics"],
                            input=page, capture_output=True, timeout=60)
    assert result.returncode == 0, result
    assert result.stdout == b"" and result.stderr == b"", result

    samples = scrape(server)
    assert value(samples, "scep_pending_requests") == 1
    assert value(samples, "scep_certificates_total", profile="held",
                 mode="enroll", result="pending") == 1
    assert value(samples, "scep_proxy_requests_total", profile="gated",
                 result="refused") == 1
    assert value(samples, "scep_directory_server_up", directory="corp",
                 url=refusing_url) == 0
    assert value(samples, "scep_directory_server_up", directory="corp",
                 url=slapd.url) == 1
    # families every sample of which the page must hold
    names = {name for name, _ in samples}
    for family in ("scep_logins_total", "scep_certificates_total",
                   "scep_proxy_requests_total", "scep_pki_errors_total",
                   "scep_pki_duration_seconds_bucket",
                   "scep_directory_errors_total",
                   "scep_directory_duration_seconds_bucket",
                   "scep_directory_server_up",
                   "scep_directory_server_last_change_timestamp_seconds",
                   "scep_ca_certificate_fetched",
                   "scep_ca_certificate_expiry_seconds",
                   "scep_ca_certificate_not_after_timestamp_seconds",
                   "scep_ca_certificate_last_fetch", "scep_key_pool_keys",
                   "scep_thread_pool_jobs_in_flight",
                   "scep_thread_pool_jobs_queued", "scep_pending_requests"):
        assert family in names, family


# -- 3. two workers, and a reload -------------------------------------------

PID_LOG = """
log_format scep_pids '$pid $scep_result';
access_log logs/pids.log scep_pids if=$scep_result;
"""


def results_by_pid(server):
    try:
        with open(os.path.join(server.prefix, "logs", "pids.log")) as f:
            lines = [line.split() for line in f]
    except FileNotFoundError:
        return {}
    by_pid = {}
    for pid, result in lines:
        by_pid.setdefault(pid, []).append(result)
    return by_pid


def test_two_workers_add_up_and_a_reload_keeps_every_counter(
        nginx, slapd, scepserver):
    def conf(extra_profile=""):
        return (PID_LOG + portal.directory_block(slapd)
                + portal.profile_block("staff", scepserver.url)
                + extra_profile
                + portal.portal_server("        scep_default_profile staff;",
                                       listen="@PORT@ reuseport",
                                       extra=STATUS_LOCATION))

    server = nginx(http=conf(), workers=2)
    server.start()
    workers = set(server.worker_pids())

    # logins until both workers have counted some
    sent = 0
    while len(results_by_pid(server)) < 2 and sent < 200:
        assert login(server, "bob", password="wrong").status == 512
        sent += 1
    by_pid = results_by_pid(server)
    assert {int(pid) for pid in by_pid} == workers, by_pid
    assert login(server, "alice").status == 200

    # each worker answered a share; the page shows them all, whoever
    # answers it
    for _ in range(4):
        samples = scrape(server)
        assert value(samples, "scep_logins_total",
                     result="bad_credentials") == sent
        assert value(samples, "scep_logins_total", result="settings") == 1
        assert value(samples, "scep_directory_duration_seconds_count",
                     directory="corp") == sent + 1

    # a reload that adds a profile: the same zone, every counter kept
    server.configure(http=conf(portal.profile_block("extra",
                                                    scepserver.url)))
    server.reload()
    assert not workers & set(server.worker_pids())

    samples = scrape(server)
    assert value(samples, "scep_logins_total",
                 result="bad_credentials") == sent
    assert value(samples, "scep_logins_total", result="settings") == 1
    assert value(samples, "scep_directory_duration_seconds_count",
                 directory="corp") == sent + 1
    assert value(samples, "scep_certificates_total", profile="extra",
                 mode="admin", result="issued") == 0
    assert value(samples, "scep_pki_duration_seconds_count",
                 profile="extra") == 0

    # and the new workers count on from there
    assert login(server, "carol").status == 200
    assert login(server, "dave", password="wrong").status == 512
    samples = scrape(server)
    assert value(samples, "scep_logins_total", result="settings") == 2
    assert value(samples, "scep_logins_total",
                 result="bad_credentials") == sent + 1
    # a reload's old workers are gone: their jobs do not linger
    assert value(samples, "scep_thread_pool_jobs_in_flight",
                 pool="default") == 0
    assert "scep_status" not in server.error_log().replace(
        "location = /scep-status", "")


# -- 4. jobs on the thread pool ---------------------------------------------

def test_jobs_in_flight_and_queued_while_the_directory_stalls(nginx, slapd):
    server = nginx(
        main="thread_pool one_thread threads=1 max_queue=16;",
        http=(portal.directory_block(slapd, timeout="20s")
              + portal.profile_block("staff")
              + portal.portal_server("        scep_default_profile staff;\n"
                                     "        scep_thread_pool one_thread;",
                                     extra=STATUS_LOCATION)))
    server.start()

    def gauges():
        samples = scrape(server)
        return (value(samples, "scep_thread_pool_jobs_in_flight",
                      pool="one_thread"),
                value(samples, "scep_thread_pool_jobs_queued",
                      pool="one_thread"))

    assert gauges() == (0, 0)

    slapd.pause()
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        try:
            logins = [pool.submit(login, server, user)
                      for user in ("alice", "bob", "carol")]
            # the one thread waits on slapd; the other two wait for it
            procs.wait_until(lambda: gauges() == (3, 2), 15,
                             "three jobs in flight, two queued")
        finally:
            slapd.resume()
        assert [f.result().status for f in logins] == [200, 200, 200]

    procs.wait_until(lambda: gauges() == (0, 0), 15, "no job left")


# -- 5. directory servers and errors -----------------------------------------

def test_directory_servers_up_and_down_and_errors(nginx, slapd,
                                                  refusing_url):
    dead = portal.directory_block(slapd, name="dead", url=refusing_url)
    server = nginx(http=(
        portal.directory_block(slapd, url=[refusing_url, slapd.url])
        + dead + portal.profile_block("staff")
        + portal.portal_server("        scep_default_profile staff;",
                               extra=STATUS_LOCATION + """
    location /dead/ {
        scep_portal dead;
        scep_default_profile staff;
    }
""")))
    server.start()

    page = status_json(server)
    assert page["directories"]["corp"]["servers"] == {}

    before = int(time.time())
    assert login(server, "alice").status == 200
    response = http.post_form(server.url("/dead/getconfig.esp"),
                              portal.login("alice"), timeout=30)
    assert response.status == 502, response

    page = status_json(server)
    corp = page["directories"]["corp"]
    assert set(corp["servers"]) == {refusing_url, slapd.url}
    assert corp["servers"][refusing_url]["up"] is False
    assert corp["servers"][slapd.url]["up"] is True
    for state in corp["servers"].values():
        assert before <= state["last_change"] <= page["time"]
    assert corp["errors"]["unavailable"] == 0
    assert corp["duration_seconds"]["count"] == 1
    assert page["directories"]["dead"]["errors"]["unavailable"] == 1
    assert page["directories"]["dead"]["servers"] == {
        refusing_url: {"up": False,
                       "last_change":
                       page["directories"]["dead"]["servers"][refusing_url]
                       ["last_change"]}}
    assert page["logins"]["settings"] == 1
    assert page["logins"]["failed"] == 1
    assert "bad_credentials" not in corp["errors"]

    # the text page says the same
    samples = scrape(server)
    assert value(samples, "scep_directory_errors_total", directory="dead",
                 code="unavailable") == 1
    assert value(samples, "scep_directory_server_up", directory="dead",
                 url=refusing_url) == 0


# -- 6. the CA certificates, scep_admin, formats -------------------------------

def test_ca_certificates_admin_certificates_and_formats(nginx, slapd,
                                                        scepserver):
    server = nginx(http=(
        portal.directory_block(slapd)
        + enroll_profile(scepserver, unique("admin"))
        + portal.profile_block("away", "http://127.0.0.1:9/scep",
                               mode="enroll",
                               subject='"O=Example,CN=$USERNAME"',
                               ca_fingerprint="00" * 32)
        + "scep_store @PREFIX@/store;\n"
        + portal.portal_server("        scep_default_profile staff;",
                               extra=STATUS_LOCATION + ADMIN_LOCATION)))
    server.start()
    ca_obtained(server, "staff")
    procs.wait_until(lambda: "cannot obtain the CA certificate "
                     "(http_connect)" in server.error_log(), 30,
                     "the away profile's first attempt")

    response = http.request("POST", server.url(ADMIN),
                            body={"name": "gw-1", "profile": "staff",
                                  "username": "gateway-1"}, timeout=60)
    assert response.status == 201, response
    response = http.request("POST", server.url(ADMIN),
                            body={"name": "gw-2", "profile": "away",
                                  "username": "gateway-2"}, timeout=60)
    assert response.status == 503, response

    samples = scrape(server)
    assert value(samples, "scep_certificates_total", profile="staff",
                 mode="admin", result="issued") == 1
    assert value(samples, "scep_certificates_total", profile="away",
                 mode="admin", result="failed") == 1
    assert value(samples, "scep_pki_errors_total", profile="away",
                 code="http_connect") == 1
    assert value(samples, "scep_pki_duration_seconds_count",
                 profile="staff") == 1
    assert value(samples, "scep_ca_certificate_fetched",
                 profile="staff") == 1
    assert value(samples, "scep_ca_certificate_fetched", profile="away") == 0
    assert value(samples, "scep_ca_certificate_last_fetch", profile="away",
                 code="http_connect") == 1
    assert value(samples, "scep_ca_certificate_last_fetch", profile="staff",
                 code="ok") == 1
    assert value(samples, "scep_ca_certificate_expiry_seconds",
                 profile="away") is None
    assert value(samples, "scep_ca_certificate_not_after_timestamp_seconds",
                 profile="staff") == \
        scepserver.ca_cert.not_valid_after.timestamp()

    # JSON: asked by the query or by Accept; Prometheus's own Accept and
    # a plain GET get the text
    page = status_json(server)
    staff = page["profiles"]["staff"]
    assert staff["mode"] == "enroll"
    assert staff["certificates"]["admin"] == {
        "issued": 1, "refused": 0, "pending": 0, "failed": 0}
    assert staff["ca_certificate"]["fetched"] is True
    assert staff["ca_certificate"]["not_after"] == \
        scepserver.ca_cert.not_valid_after.timestamp()
    assert page["profiles"]["away"]["ca_certificate"] == {
        "fetched": False, "last_fetch": "http_connect"}
    assert page["thread_pools"] == {"default": {"in_flight": 0,
                                                "queued": 0}}
    assert page["pending_requests"] == 0
    by_accept = http.get(server.url(STATUS),
                         headers={"Accept": "application/json"})
    assert by_accept.headers.get("Content-Type").startswith(
        "application/json")
    assert json.loads(by_accept.body)["logins"] == page["logins"]
    prometheus_accept = (
        "application/openmetrics-text;version=1.0.0,application/"
        "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
        "q=0.5,*/*;q=0.1")
    for path, headers in ((STATUS, {"Accept": prometheus_accept}),
                          (STATUS + "?format=prometheus",
                           {"Accept": "application/json"})):
        response = http.get(server.url(path), headers=headers)
        assert response.headers.get("Content-Type") == TEXT_TYPE

    # what it refuses
    response = http.get(server.url(STATUS + "?format=xml"))
    assert (response.status, response.body) == \
        (400, b"format must be prometheus or json\n")
    response = http.request("POST", server.url(STATUS), body="x")
    assert response.status == 405
    assert response.headers.get("Allow") == "GET, HEAD"
    response = http.request("HEAD", server.url(STATUS))
    assert response.status == 200 and response.body == b""


# -- 7. nginx -t ------------------------------------------------------------

LOCATION = """
server {
    listen 127.0.0.1:@PORT@;
    location /s {
%s
    }
}
"""

BAD = [
    ("argument", LOCATION % "        scep_status on;  #<",
     r'invalid number of arguments in "scep_status" directive'),
    ("server-level",
     "server {\n    listen 127.0.0.1:@PORT@;\n    scep_status;  #<\n}\n",
     r'"scep_status" directive is not allowed here'),
    ("duplicate",
     LOCATION % "        scep_status;\n        scep_status ;  #<",
     r'"scep_status" directive is duplicate'),
    ("with-admin",
     "scep_store store;\n" + portal.profile_block("p")
     + LOCATION % "        scep_admin;\n        scep_status;  #<",
     r"scep_status needs a location of its own, without scep_portal, "
     r"scep_admin or scep_proxy"),
    ("zone-size", "scep_status_zone 1k;  #<\n" + LOCATION % "scep_status;",
     r'scep_status_zone: invalid size "1k", give at least \d+'),
    ("zone-twice",
     "scep_status_zone 1m;\nscep_status_zone 2m;  #<\n"
     + LOCATION % "scep_status;",
     r'"scep_status_zone" directive is duplicate'),
]


@pytest.mark.parametrize("http_text,pattern", [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_misuse_is_refused(nginx, http_text, pattern):
    server = nginx(http=http_text.replace("  #<", ""))
    ok, output = server.test()
    assert not ok, f"nginx -t accepted:\n{http_text}"

    emerg = [line for line in output.splitlines() if "[emerg]" in line]
    assert emerg, output
    assert re.search(pattern, emerg[0]), emerg[0]

    with open(server.conf_path) as conf:
        written = conf.read().splitlines()
    marked = [line[:-len("  #<")] for line in http_text.splitlines()
              if line.endswith("  #<")]
    want = written.index(server.expand(marked[0])) + 1
    assert emerg[0].endswith(f"nginx.conf:{want}"), emerg[0]


def test_a_full_zone_counts_the_names_that_fit(nginx):
    names = [f"p{i}" for i in range(10)]
    server = nginx(http="scep_status_zone 32k;\n"
                   + "".join(portal.profile_block(n) for n in names)
                   + LOCATION % "        scep_status;")
    server.start()

    samples = scrape(server, "/s")
    shown = {dict(labels)["profile"] for name, labels in samples
             if name == "scep_certificates_total"}
    full = set(re.findall(r'\[error\] .*scep_status_zone of 32768 bytes is '
                          r'full: "(p\d+)" is not counted', server.error_log()))
    assert shown and full and not shown & full, (shown, full)
    assert shown | full == set(names)


def test_a_status_page_alone_passes(nginx):
    server = nginx(http=LOCATION % "        scep_status;")
    server.start()
    samples = scrape(server, "/s")
    assert value(samples, "scep_logins_total", result="settings") == 0
    assert {name for name, _ in samples} == {"scep_logins_total"}
