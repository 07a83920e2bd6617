# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugins/module_utils/certificates.py: a certificate's notAfter from a PEM file (the metrics script's
certificate_expiry_timestamp_seconds) and from the DER bytes a server presented (module https_probe: the health
playbook's days to expiry); one reading for both."""

from __future__ import annotations

import datetime
import tempfile

from ansible_collections.bbb.cluster_proxy.plugins.module_utils.certificates import der_not_after, not_after
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _certificate(days):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "metrics.lab.test")])
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=abs(days) + 1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert, (now + datetime.timedelta(days=days)).timestamp()


def test_a_pem_file_and_the_same_certificate_presented_read_alike(tmp_path):
    cert, end = _certificate(30)
    pem = tmp_path / "fullchain.pem"
    other, _end = _certificate(90)  # a chain: the first certificate counts
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + other.public_bytes(serialization.Encoding.PEM))
    assert not_after(str(pem)) == end
    assert der_not_after(cert.public_bytes(serialization.Encoding.DER)) == end
    expired, ended = _certificate(-3)
    assert der_not_after(expired.public_bytes(serialization.Encoding.DER)) == ended


def test_what_cannot_be_read_is_none(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    assert not_after(str(tmp_path / "missing.pem")) is None
    (tmp_path / "garbage.pem").write_text("not a certificate\n")
    assert not_after(str(tmp_path / "garbage.pem")) is None
    assert der_not_after(b"") is None and der_not_after(None) is None
    assert der_not_after(b"\x30\x03\x02\x01\x00") is None
    assert der_not_after(_certificate(1)[0].public_bytes(serialization.Encoding.DER))
    assert list((tmp_path / "tmp").iterdir()) == []  # the PEM written for the reading is gone
