"""The CA certificate's SHA-256 of every SCEP server the harness started,
by URL: a profile with an http:// server_url must pin its CA (nginx -t
refuses it otherwise), and portal.profile_block() pins it from here.

    register(url, fingerprint)    a server started (scepserver, responder)
    lookup(url)                   its fingerprint, or a placeholder for a
                                  URL nothing answers at
"""

# For server URLs where no server runs: a pin nothing will ever match.
PLACEHOLDER = "00" * 32

_PINS = {}


def register(url, fingerprint):
    _PINS[url] = fingerprint


def lookup(url):
    return _PINS.get(url, PLACEHOLDER)
