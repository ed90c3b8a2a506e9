"""A small HTTP(S) client for tests, on http.client.

Every request uses its own connection and closes it, so a test never
depends on keep-alive state (and nginx reloads are not held up by idle
connections).
"""

import collections
import http.client
import ssl
import urllib.parse

Response = collections.namedtuple("Response", "status headers body")
Response.__doc__ = """status (int), headers (http.client.HTTPMessage:
case-insensitive .get(), .get_all()), body (bytes).  Unpacks as a tuple."""

GP_USER_AGENT = "PAN GlobalProtect"


def unverified_context():
    """TLS without certificate checks: test servers use self-signed certs."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def request(method, url, body=None, headers=None, timeout=10.0,
            verify=False, context=None):
    """Sends one request; returns Response(status, headers, body).

    url: a full http:// or https:// URL.  body: bytes, str (sent as UTF-8)
    or a dict (sent form-encoded, as GlobalProtect clients do).  https is
    unverified unless verify is true or a context is given.  Raises
    OSError (socket.timeout included) when there is no answer in time.
    """
    parts = urllib.parse.urlsplit(url)
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = urllib.parse.urlencode(body)
        headers.setdefault("Content-Type",
                           "application/x-www-form-urlencoded")
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers.setdefault("Connection", "close")

    if parts.scheme == "https":
        if context is None and not verify:
            context = unverified_context()
        conn = http.client.HTTPSConnection(parts.hostname, parts.port,
                                           timeout=timeout, context=context)
    elif parts.scheme == "http":
        conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                          timeout=timeout)
    else:
        raise ValueError(f"not an http(s) URL: {url!r}")

    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return Response(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def get(url, **kwargs):
    return request("GET", url, **kwargs)


def post_form(url, fields, **kwargs):
    """A form POST, the way GlobalProtect clients send prelogin/getconfig."""
    headers = {"User-Agent": GP_USER_AGENT, **kwargs.pop("headers", {})}
    return request("POST", url, body=dict(fields), headers=headers,
                   **kwargs)
