"""Webhooks reach public addresses only (SSRF): a URL pointing at this host, the office network, link-local
or cloud metadata addresses, multicast or other reserved space is refused when it is saved, and again at
every send after the name is resolved — and the request goes to the very address that was checked, with
the Host header and TLS SNI of the name.  Operators let in-house receivers through with
ANBANG_WEBHOOK_ALLOWED_NETWORKS.  Real receivers on loopback, real DNS (localhost), real TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend.monitoring.actions.alerts import raise_alert
from notifications import sender
from notifications.actions import set_contact_point
from notifications.channels.webhook.targets import is_allowed
from notifications.models import ContactPoint, Delivery
from tests.support.providers import WebhookReceiver

pytestmark = pytest.mark.django_db
HOOK = "/api/v1/notifications/contact-points/webhook"

REFUSED = [
    "127.0.0.1", "127.8.9.10", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.1",
    "169.254.169.254", "100.64.0.1", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1",
    "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "ff0e::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1",
]  # fmt: skip
ALLOWED = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


def send_all() -> None:
    while sender.handle_batch():
        pass


def test_every_kind_of_non_public_address_is_refused_and_public_ones_pass(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    assert [a for a in REFUSED if is_allowed(ipaddress.ip_address(a))] == []
    assert [a for a in ALLOWED if not is_allowed(ipaddress.ip_address(a))] == []
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16", "fd00::/8"]
    assert is_allowed(ipaddress.ip_address("10.20.3.4")) and is_allowed(ipaddress.ip_address("fd12::1"))
    assert is_allowed(ipaddress.ip_address("::ffff:10.20.3.4"))  # the listed network, written as IPv6
    assert not is_allowed(ipaddress.ip_address("10.21.0.1")) and not is_allowed(ipaddress.ip_address("::1"))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/api/v1/health",
        "http://localhost/hook",  # a name that resolves to loopback
        "https://LOCALHOST:8443/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.10:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8000/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0:8000/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_a_webhook_to_this_host_or_an_inside_network_is_refused_when_saved(officers, api, url, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    answer = api(officers.owner).request("PUT", HOOK, {"address": url})
    assert answer.status_code == 422, url
    body = answer.json()
    assert body["code"] == "validation_error" and "内网" in body["message"]
    assert "ANBANG_WEBHOOK_ALLOWED_NETWORKS" in body["message"]
    assert body["details"] == {"field": "address", "reason": "blocked_address"}
    assert not ContactPoint.objects.filter(channel="webhook").exists()


def test_public_and_not_yet_resolvable_addresses_are_accepted(officers, api):
    for url in ("https://93.184.216.34/hook", "https://duty.example.test/hook", "https://[2606:4700::1]/h"):
        assert api(officers.owner).request("PUT", HOOK, {"address": url}).status_code == 200, url


def test_an_operator_listed_network_may_be_used(officers, api, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert api(officers.owner).request("PUT", HOOK, {"address": "http://localhost:9/hook"}).status_code == 200
    assert api(officers.owner).request("PUT", HOOK, {"address": "http://10.0.0.5/h"}).status_code == 422


@pytest.fixture
def alert_for_owner(officers, subject):
    person, case = subject
    return lambda: raise_alert(kind="sos", severity="critical", person=person, case=case)[0]


def test_a_name_that_resolves_to_a_refused_address_at_send_time_is_not_contacted(
    channels, officers, alert_for_owner
):
    receiver = WebhookReceiver().start()
    try:
        channels.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
        _, secret = set_contact_point(by=officers.owner, user=officers.owner, channel="webhook",
                                      address=f"http://localhost:{receiver.port}/hook")  # fmt: skip
        receiver.secrets.add(secret)
        channels.WEBHOOK_ALLOWED_NETWORKS = []  # the operator removed the exception since
        alert = alert_for_owner()
        send_all()
        delivery = Delivery.objects.get(alert=alert, channel="webhook")
        assert delivery.state == "failed" and delivery.last_error == "blocked_address"
        assert receiver.requests == 0
    finally:
        receiver.stop()


def test_the_request_goes_to_the_checked_address_even_if_the_name_resolves_elsewhere_next(
    channels, officers, alert_for_owner, monkeypatch
):
    """DNS rebinding: the first answer is an allowed address, every later one points inside.  The sender
    resolves once, checks, and connects to what it checked."""
    real = WebhookReceiver().start()
    trap = WebhookReceiver().start(real.port, host="127.0.0.2")  # the same port, another loopback address
    answers = iter(["127.0.0.1"])
    resolve = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example.test":
            address = next(answers, "127.0.0.2")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return resolve(host, port, *args, **kwargs)

    try:
        channels.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
        _, secret = set_contact_point(by=officers.owner, user=officers.owner, channel="webhook",
                                      address=f"http://rebind.example.test:{real.port}/hook")  # fmt: skip
        real.secrets.add(secret)
        trap.secrets.add(secret)
        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        alert = alert_for_owner()
        send_all()
        delivery = Delivery.objects.get(alert=alert, channel="webhook")
        assert delivery.state == "sent" and real.requests == 1 and trap.requests == 0
        assert real.hosts == [f"rebind.example.test:{real.port}"]  # the name, not the address
    finally:
        real.stop()
        trap.stop()


def self_signed(tmp_path, name: str) -> tuple[ssl.SSLContext, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)


def test_https_keeps_the_names_sni_and_certificate_check_while_connecting_to_the_checked_address(
    channels, officers, alert_for_owner, tmp_path, monkeypatch
):
    context, ca_file = self_signed(tmp_path, "localhost")
    seen_sni: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: seen_sni.append(name)
    receiver = WebhookReceiver().start(tls=context)
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)  # trust the test certificate like a system CA
    try:
        channels.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
        _, secret = set_contact_point(by=officers.owner, user=officers.owner, channel="webhook",
                                      address=f"https://localhost:{receiver.port}/hook")  # fmt: skip
        receiver.secrets.add(secret)
        alert = alert_for_owner()
        send_all()
        delivery = Delivery.objects.get(alert=alert, channel="webhook")
        assert delivery.state == "sent" and receiver.requests == 1
        assert seen_sni == ["localhost"] and receiver.hosts == [f"localhost:{receiver.port}"]
    finally:
        receiver.stop()


class Redirector:
    """Answers every request with ``302 Location: <to>`` and counts what it receives."""

    def __init__(self, to: str = ""):
        outer = self
        self.to, self.requests = to, 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self):
                outer.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(302)
                self.send_header("Location", outer.to or "/")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_redirect_is_not_followed(channels, officers, alert_for_owner):
    inside = Redirector()  # stands for the address a redirect would lead to
    hook = Redirector(to=inside.url)
    try:
        channels.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
        set_contact_point(by=officers.owner, user=officers.owner, channel="webhook", address=hook.url)
        alert = alert_for_owner()
        send_all()
        delivery = Delivery.objects.get(alert=alert, channel="webhook")
        assert delivery.state == "failed" and delivery.last_error == "http_302"
        assert hook.requests == 1 and inside.requests == 0
    finally:
        hook.close()
        inside.close()
