"""The portal when the directory fails: precise, prompt errors, an event
loop that keeps serving other traffic, and recovery without a reload."""

import concurrent.futures
import re
import time
import xml.etree.ElementTree as ET

from harness import http, portal

GETCONFIG = "/global-protect/getconfig.esp"

# the directory block's timeouts (portal.directory_block)
CONNECT_TIMEOUT = 2.0
TIMEOUT = 3.0


def start_portal(nginx, slapd, location="        scep_default_profile staff;",
                 main="", directory_overrides=None):
    conf = (portal.directory_block(slapd, **(directory_overrides or {}))
            + portal.profile_block() + portal.portal_server(location))
    server = nginx(http=conf, main=main)
    server.start()
    return server


def login(server, user="alice", timeout=20):
    return http.post_form(server.url(GETCONFIG), portal.login(user),
                          timeout=timeout)


def error_message(response):
    return ET.fromstring(response.body).findtext("error")


def test_directory_down_is_a_prompt_502(nginx, slapd):
    server = start_portal(nginx, slapd)
    assert login(server).status == 200
    slapd.stop()

    started = time.monotonic()
    response = login(server)
    elapsed = time.monotonic() - started

    assert response.status == 502
    assert error_message(response) == \
        "The directory is unavailable, try again later"
    assert elapsed < CONNECT_TIMEOUT + 1
    log = server.error_log()
    assert re.search(r"\[error\].*scep portal: directory: .*"
                     + re.escape(slapd.url), log), log
    assert "cannot be reached: connection refused" in log


def test_directory_stalled_is_a_504_within_the_timeout(nginx, slapd):
    server = start_portal(nginx, slapd)
    assert login(server).status == 200
    slapd.pause()

    started = time.monotonic()
    response = login(server)
    elapsed = time.monotonic() - started

    assert response.status == 504
    assert error_message(response) == \
        "The directory did not answer in time, try again later"
    assert elapsed < CONNECT_TIMEOUT + 2 * TIMEOUT + 1, elapsed
    assert re.search(r"\[error\].*scep portal: directory: .*"
                     + re.escape(slapd.url), server.error_log())


def test_logins_work_again_after_a_directory_restart(nginx, slapd):
    server = start_portal(nginx, slapd)
    assert login(server).status == 200
    slapd.stop()
    assert login(server).status == 502
    slapd.start()
    # the pooled connections died with the server; no reload is needed
    assert login(server).status == 200
    assert login(server, "bob").status == 200


def test_stalled_directory_never_blocks_the_event_loop(nginx, slapd):
    server = start_portal(nginx, slapd)
    assert login(server).status == 200
    static = server.url("/static")

    slapd.pause()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=20)
    try:
        logins = [pool.submit(login, server) for _ in range(20)]

        answered = 0
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = http.get(static, timeout=1)
            assert response.status == 200
            assert response.body == b"static\n"
            assert time.monotonic() - started < 0.5
            answered += 1
        pending = sum(not f.done() for f in logins)
        assert answered >= 10
        assert pending == 20, "logins ended before the directory answered"

        slapd.resume()
        statuses = [f.result(timeout=30).status for f in logins]
    finally:
        slapd.resume()
        pool.shutdown(wait=True)

    # each login either got through once the directory woke up, or ended
    # with the timeout error
    assert set(statuses) <= {200, 504}, statuses
    assert "exited on signal" not in server.error_log()


def test_full_thread_pool_queue_is_a_503(nginx, slapd):
    server = start_portal(
        nginx, slapd, main="thread_pool tiny threads=1 max_queue=1;",
        location="""
        scep_default_profile staff;
        scep_thread_pool tiny;
""")
    assert login(server).status == 200
    slapd.pause()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
    try:
        # one login holds the only thread, one waits in the queue: any
        # further one finds the queue full
        logins = []
        for _ in range(4):
            logins.append(pool.submit(login, server))
            time.sleep(0.1)
        done, pending = concurrent.futures.wait(
            logins, timeout=TIMEOUT - 0.5,
            return_when=concurrent.futures.FIRST_COMPLETED)
        assert done, "no login was answered while the pool was busy"
        busy = done.pop().result()
        assert busy.status == 503
        assert error_message(busy) == \
            "the portal is busy, try again in a few seconds"
        assert busy.headers.get("Retry-After") == "5"
        assert not logins[0].done()
        assert 'thread pool "tiny" is full' in server.error_log()
    finally:
        slapd.resume()
        pool.shutdown(wait=True)
