"""A real GlobalProtect client, openconnect --protocol=gp, logs in to the
portal and accepts its configuration.  It then fails at the gateway step,
which is not the portal's (the test gateway does not exist)."""

import subprocess

from harness import directory, portal

TLS_LISTEN = ("@PORT@ ssl;\n    ssl_certificate @TLS_CERT@;\n"
              "    ssl_certificate_key @TLS_KEY@")


def run_openconnect(server, user, password):
    return subprocess.run(
        ["openconnect", "--protocol=gp", "--servercert", server.tls.pin,
         "--user", user, "--passwd-on-stdin", "--authenticate",
         "--non-inter", "-v",
         f"https://127.0.0.1:{server.port}/global-protect/"],
        input=password + "\n", capture_output=True, text=True, timeout=60)


def start_portal(nginx, slapd):
    conf = (portal.directory_block(slapd) + portal.profile_block()
            + portal.portal_server("        scep_default_profile staff;",
                                   listen=TLS_LISTEN))
    server = nginx(http=conf)
    server.start()
    return server


def test_openconnect_accepts_the_portal_configuration(nginx, slapd):
    server = start_portal(nginx, slapd)
    result = run_openconnect(server, "alice",
                             directory.USERS["alice"]["password"])
    output = result.stdout + result.stderr

    assert "POST https://127.0.0.1:%d/global-protect/prelogin.esp" \
        % server.port in output
    assert "POST https://127.0.0.1:%d/global-protect/getconfig.esp" \
        % server.port in output
    # the portal step succeeded: openconnect read our gateway list
    assert "1 gateway servers available:" in output, output
    assert "Gateway 1 (gw1.example.org)" in output
    # and went on to the gateway, which is where it stops
    assert "https://gw1.example.org/ssl-vpn/login.esp" in output

    log = server.error_log()
    assert 'result=settings status=200 login="alice"' in log


def test_openconnect_is_told_the_password_is_wrong(nginx, slapd):
    server = start_portal(nginx, slapd)
    result = run_openconnect(server, "alice", "not-her-password")
    output = result.stdout + result.stderr

    assert result.returncode != 0
    assert "gateway servers available" not in output
    assert 'result=bad_credentials status=512 login="alice"' in \
        server.error_log()
