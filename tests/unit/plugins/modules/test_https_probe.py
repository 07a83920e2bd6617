# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""https_probe against TLS servers on loopback with a CA and certificates made for the test."""

from __future__ import annotations

import datetime
import socket
import socketserver
import ssl
import threading
import time

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.modules import https_probe
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject, issuer, key, signer, names=None, ca=False):
    """With the extensions that Python 3.13's strict verification (VERIFY_X509_STRICT) asks of real certificates."""
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a certificate of it for node.test, and one of another CA (not trusted) for rogue.test."""
    root = tmp_path_factory.mktemp("pki")
    ca_key, other_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Lab CA", "Lab CA", ca_key, ca_key, ca=True)
    files = {"ca": root / "ca.pem"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for name, signer, issuer in (("node.test", ca_key, "Lab CA"), ("rogue.test", other_key, "Other CA")):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(name, issuer, key, signer, names=[name])
        (root / f"{name}.pem").write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        files[name] = root / f"{name}.pem"
    return files


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        server = self.server
        try:
            with server.context.wrap_socket(self.request, server_side=True) as tls:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                server.requests.append(data)
                time.sleep(server.delay)
                tls.sendall(b"HTTP/1.1 302 Found\r\nLocation: /b/\r\nContent-Length: 0\r\n\r\n")
        except (ssl.SSLError, OSError):
            pass


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def serve(pki):
    servers = []

    def start(name, delay=0.0):
        server = _Server(("127.0.0.1", 0), _Handler)
        server.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.context.load_cert_chain(str(pki[name]))
        server.delay, server.requests = delay, []
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def probe(pki, port, targets, **extra):
    return https_probe.probe_all(targets, port=port, ca_file=str(pki["ca"]), timeout=5, **extra)


def test_a_node_that_verifies_answers_with_its_status_and_gets_host_and_sni(pki, serve):
    server = serve("node.test")
    [found] = probe(
        pki, server.server_address[1], [{"name": "n1", "hostname": "node.test", "addresses": ["127.0.0.1"]}]
    )
    assert found["status"] == 302 and found["msg"] == "" and not found["tls_problem"], found
    assert found["url"] == f"https://node.test:{server.server_address[1]}/"
    assert server.requests[0].startswith(b"HEAD / HTTP/1.1\r\nHost: node.test\r\n")


def test_a_certificate_for_another_name_is_a_tls_problem(pki, serve):
    server = serve("node.test")
    [found] = probe(
        pki, server.server_address[1], [{"name": "n1", "hostname": "other.test", "addresses": ["127.0.0.1"]}]
    )
    assert found["status"] == -1 and found["tls_problem"]
    assert found["msg"].startswith("127.0.0.1: ") and "other.test" in found["msg"]


def test_a_certificate_of_an_untrusted_ca_is_a_tls_problem_unless_verify_is_off(pki, serve):
    server = serve("rogue.test")
    target = [{"name": "n1", "hostname": "rogue.test", "addresses": ["127.0.0.1"]}]
    [found] = probe(pki, server.server_address[1], target)
    assert found["status"] == -1 and found["tls_problem"] and "certificate verify failed" in found["msg"]
    [found] = probe(pki, server.server_address[1], target, verify=False)
    assert found["status"] == 302


def test_the_certificate_s_end_is_read_also_where_it_does_not_verify(pki, serve):
    """The health playbook's days to expiry (verify off): the notAfter of the certificate presented, read by
    module_utils/certificates.py as the metrics script reads certificate files; 0 without a handshake."""
    server = serve("rogue.test")
    end = x509.load_pem_x509_certificate(pki["rogue.test"].read_bytes()).not_valid_after_utc.timestamp()
    target = [{"name": "n1", "hostname": "rogue.test", "addresses": ["127.0.0.1"]}]
    [found] = probe(pki, server.server_address[1], target, verify=False)
    assert found["certificate_expiry"] == int(end) and isinstance(found["certificate_expiry"], int)
    [found] = probe(pki, server.server_address[1], target)  # verified: the handshake fails, nothing was presented
    assert found["status"] == -1 and found["certificate_expiry"] == 0
    [found] = probe(pki, _free_port(), target, verify=False)
    assert found["certificate_expiry"] == 0


def test_a_refused_connection_is_not_a_tls_problem(pki):
    [found] = probe(pki, _free_port(), [{"name": "n1", "hostname": "node.test", "addresses": ["127.0.0.1"]}])
    assert found["status"] == -1 and not found["tls_problem"] and "refused" in found["msg"].lower()


def test_pinned_addresses_are_tried_in_order(pki, serve):
    server = serve("node.test")
    target = {"name": "n1", "hostname": "node.test", "addresses": ["127.0.0.2", "127.0.0.1"]}
    # the server listens on 127.0.0.1 only: 127.0.0.2 refuses, then 127.0.0.1 answers
    [found] = probe(pki, server.server_address[1], [target])
    assert found["status"] == 302 and found["msg"] == ""


def test_a_name_that_does_not_resolve(pki):
    [found] = probe(pki, 443, [{"name": "n1", "hostname": "no-such-node.invalid", "addresses": []}])
    assert found["status"] == -1 and found["msg"].startswith("no-such-node.invalid does not resolve here")


@pytest.mark.at_size
def test_hundreds_of_nodes_take_about_the_time_of_the_slowest(pki, serve):
    """300 nodes that each take 0.2 s to answer: in turn that is a minute, at once about 4 s at most."""
    server = serve("node.test", delay=0.2)
    targets = [{"name": f"n{i}", "hostname": "node.test", "addresses": ["127.0.0.1"]} for i in range(300)]
    started = time.monotonic()
    found = probe(pki, server.server_address[1], targets, workers=32)
    took = time.monotonic() - started
    assert [r["name"] for r in found] == [t["name"] for t in targets]
    assert all(r["status"] == 302 for r in found)
    assert took < 15, f"300 probes took {took:.1f} s"


def test_the_module_reports_and_counts(pki, serve, run_module):
    server = serve("node.test")
    args = dict(
        targets=[
            {"name": "good", "hostname": "node.test", "addresses": ["127.0.0.1"]},
            {"name": "bad", "hostname": "other.test", "addresses": ["127.0.0.1"]},
        ],
        port=server.server_address[1],
        ca_file=str(pki["ca"]),
    )
    failed, result, _unused = run_module(https_probe.main, args)
    assert not failed and not result["changed"]
    assert [r["status"] for r in result["results"]] == [302, -1]
    assert result["failed_count"] == 1


def test_an_unreadable_ca_file_fails_naming_it(tmp_path, run_module):
    args = dict(targets=[{"name": "n", "hostname": "node.test"}], ca_file=str(tmp_path / "missing.pem"))
    failed, result, _unused = run_module(https_probe.main, args)
    assert failed and "missing.pem" in result["msg"]
