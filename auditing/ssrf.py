"""Outbound HTTP for webhooks that cannot be pointed at the inside of the network.

A webhook URL is checked twice: when it is saved (early feedback) and at every delivery (DNS may
have changed since). At delivery the host is resolved once, *every* address is checked, and the
connection goes to the checked address — the name travels only in the Host header and TLS SNI — so
a second, different DNS answer (rebinding) cannot redirect it. Redirects are never followed.
"""
from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services: refused whatever WEBHOOK_ALLOW_PRIVATE_NETWORKS says.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192",
))
# Hosts spelled like a number but not as a canonical dotted quad ("2130706433", "0x7f.1", "0177.0.0.1",
# "127.1"): resolvers read them as addresses in surprising ways, so they are refused outright.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]*|[0-9]*))*\.?$", re.IGNORECASE)
_CANONICAL_V4 = re.compile(r"^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$")
_BLOCKED_NAMES = frozenset({"localhost", "localhost.localdomain", "metadata", "metadata.google.internal"})

SNIPPET_BYTES = 1000


class UnsafeURL(Exception):
    """The URL may not be called (bad scheme, credentials, or an address inside the network)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (lower case, IPv6 without brackets)
    port: int
    path: str  # path + query
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def pinned_url(self) -> str:
        address = self.addresses[0]
        netloc = f"[{address}]" if ":" in address else address
        return urlunsplit((self.scheme, f"{netloc}:{self.port}", self.path, "", ""))


@dataclass(frozen=True)
class HttpOutcome:
    status_code: int | None
    duration_ms: float
    snippet: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", False))


def address_problem(ip: IPAddress, *, private_ok: bool | None = None) -> str | None:
    """Why `ip` may not be called, or None."""
    private_ok = allow_private() if private_ok is None else private_ok
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            problem = address_problem(embedded, private_ok=private_ok)
            if problem:
                return problem
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_loopback:
        return None if private_ok else "a loopback address"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")):
        return None if private_ok else "a private address"
    if ip.is_reserved or not ip.is_global:
        return "a reserved address"
    return None


def parse(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path+query of an acceptable URL (not yet resolved)."""
    if not isinstance(url, str) or len(url) > 2000 or any(c.isspace() or ord(c) < 32 for c in url):
        raise UnsafeURL("The URL is malformed.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("The URL is malformed.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL("Only http and https URLs are allowed.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeURL("Credentials in the URL are not allowed.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURL("The URL has no host.")
    if "%" in host:
        raise UnsafeURL("Scoped IPv6 addresses are not allowed.")
    if _NUMERIC_HOST.match(host) and not _CANONICAL_V4.match(host):
        raise UnsafeURL("Write the address as four decimal numbers (a.b.c.d).")
    if host in _BLOCKED_NAMES or host.endswith(".localhost"):
        if not allow_private():
            raise UnsafeURL(f"The host {host} is not allowed.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        return (str(literal),)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise UnsafeURL(f"The host {host} could not be resolved.") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeURL(f"The host {host} could not be resolved.")
    return tuple(addresses)


def check(url: str) -> Target:
    """Parse, resolve and check every address `url`'s host resolves to. Raises UnsafeURL."""
    scheme, host, port, path = parse(url)
    addresses = resolve(host, port)
    for address in addresses:
        problem = address_problem(ipaddress.ip_address(address))
        if problem:
            raise UnsafeURL(f"The URL's host resolves to {problem}, which webhooks may not call.")
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> HttpOutcome:
    """POST `body` to the checked, pinned address of `url`; never raises for network trouble."""
    import httpx

    started = time.monotonic()

    def elapsed() -> float:
        return round((time.monotonic() - started) * 1000, 1)

    try:
        target = check(url)
    except UnsafeURL as exc:
        return HttpOutcome(None, elapsed(), "", f"Blocked: {exc}")
    extensions: dict[str, Any] = {"sni_hostname": target.host} if target.scheme == "https" else {}
    timeout = httpx.Timeout(connect=float(getattr(settings, "WEBHOOK_CONNECT_TIMEOUT", 3)),
                            read=float(getattr(settings, "WEBHOOK_READ_TIMEOUT", 10)),
                            write=10.0, pool=3.0)
    try:
        # trust_env=False: an HTTP(S)_PROXY from the environment would resolve the name itself.
        with httpx.Client(follow_redirects=False, timeout=timeout, trust_env=False) as client:
            request = client.build_request("POST", target.pinned_url(), content=body,
                                           headers={**headers, "Host": target.host_header}, extensions=extensions)
            response = client.send(request, stream=True)
            try:
                snippet = b""
                for chunk in response.iter_raw():
                    snippet += chunk
                    if len(snippet) >= SNIPPET_BYTES:
                        break
            finally:
                response.close()
    except httpx.TimeoutException:
        return HttpOutcome(None, elapsed(), "", "Timed out.")
    except httpx.HTTPError as exc:
        return HttpOutcome(None, elapsed(), "", f"Connection failed: {type(exc).__name__}.")
    text = snippet[:SNIPPET_BYTES].decode("utf-8", errors="replace")
    error = ""
    if 300 <= response.status_code < 400:
        error = f"Redirect ({response.status_code}) not followed."
    elif not 200 <= response.status_code < 300:
        error = f"The receiver answered {response.status_code}."
    return HttpOutcome(response.status_code, elapsed(), text, error)
