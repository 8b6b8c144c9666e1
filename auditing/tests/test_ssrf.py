"""The webhook URL guard: every spelling of an inside address is refused, names are resolved and
every address checked; WEBHOOK_ALLOW_PRIVATE_NETWORKS opens private/loopback but never metadata."""
from __future__ import annotations

import socket
from unittest import mock

import pytest

from auditing import ssrf

BLOCKED = [
    "http://127.0.0.1/", "http://127.0.0.1:8000/hook", "http://localhost/", "http://LOCALHOST./",
    "http://app.localhost/", "http://2130706433/", "http://0x7f000001/", "http://0x7f.0.0.1/",
    "http://0177.0.0.1/", "http://017700000001/", "http://127.1/", "http://127.0.1/", "http://0/",
    "http://0.0.0.0/", "http://[::]/", "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:10.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/",
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[fe80::1]/",
    "http://[fc00::1]/", "http://224.0.0.1/", "http://[ff02::1]/", "http://240.0.0.1/",
    "http://255.255.255.255/", "http://192.0.2.1/", "http://198.18.0.1/", "http://metadata.google.internal/",
    "http://[fe80::1%25eth0]/",
    "ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)",
    "http://user:pass@example.com/", "http://example.com@127.0.0.1/", "http:///nohost", "http://exa mple.com/",
    "http://example.com:99999/", "",
]


@pytest.mark.parametrize("url", BLOCKED)
def test_inside_addresses_and_odd_urls_are_blocked(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(ssrf.UnsafeURL):
        ssrf.check(url)


def _resolving_to(*addresses):
    def fake(host, port, *args, **kwargs):
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]
    return mock.patch("auditing.ssrf.socket.getaddrinfo", side_effect=fake)


@pytest.mark.parametrize("addresses", [("10.1.2.3",), ("127.0.0.1",), ("169.254.169.254",), ("::1",),
                                       ("93.184.216.34", "192.168.0.10"), ("::ffff:127.0.0.1",)])
def test_names_resolving_inside_are_blocked(addresses, settings):
    """Every resolved address is checked: one inside address among public ones is enough."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with _resolving_to(*addresses), pytest.raises(ssrf.UnsafeURL, match="resolves to"):
        ssrf.check("https://hooks.example.com/x")


def test_public_names_pass_and_are_pinned(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with _resolving_to("93.184.216.34", "93.184.216.35"):
        target = ssrf.check("https://Hooks.Example.com:8443/in?x=1")
    assert target.addresses == ("93.184.216.34", "93.184.216.35")
    assert target.pinned_url() == "https://93.184.216.34:8443/in?x=1"
    assert target.host_header == "hooks.example.com:8443"


def test_ipv6_targets_are_bracketed(settings):
    with _resolving_to("2606:2800:220:1:248:1893:25c8:1946"):
        target = ssrf.check("http://v6.example.com/")
    assert target.pinned_url() == "http://[2606:2800:220:1:248:1893:25c8:1946]:80/"
    assert target.host_header == "v6.example.com"


def test_unresolvable_names_are_refused():
    with mock.patch("auditing.ssrf.socket.getaddrinfo", side_effect=socket.gaierror("nope")), \
            pytest.raises(ssrf.UnsafeURL, match="could not be resolved"):
        ssrf.check("http://nowhere.invalid/")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/", "http://10.0.0.5/", "http://[::1]/",
                                 "http://localhost:9000/"])
def test_the_setting_opens_private_networks(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    assert ssrf.check(url).addresses


@pytest.mark.parametrize("url", ["http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://0.0.0.0/",
                                 "http://[::]/", "http://[fe80::1]/", "http://224.0.0.1/", "http://2130706433/",
                                 "http://[::ffff:169.254.169.254]/", "http://100.100.100.200/"])
def test_metadata_link_local_and_odd_spellings_stay_blocked_with_the_setting(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    with pytest.raises(ssrf.UnsafeURL):
        ssrf.check(url)


def test_post_to_a_blocked_url_makes_no_connection(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with mock.patch("httpx.Client.send") as send:
        outcome = ssrf.post("http://127.0.0.1:1/", body=b"{}", headers={})
    send.assert_not_called()
    assert outcome.status_code is None and outcome.error.startswith("Blocked:")
