# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""When a TLS certificate expires (its notAfter, in seconds since the epoch), from a PEM file or from the DER bytes
a TLS server presented.

Runs on the managed hosts (module https_probe: the health playbook's days to expiry of the certificate a host
presents) and in the metrics script (``certificate_expiry_timestamp_seconds`` of the files nginx names;
roles/bbb_metrics installs this file beside it): Python 3.8 and later, standard library only.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import tempfile


def not_after(path):
    """notAfter of the (first) certificate of a PEM file as seconds since the epoch, or None when it cannot be
    read."""
    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decode is not None:
        try:
            return ssl.cert_time_to_seconds(decode(path)["notAfter"])
        except (OSError, ValueError, KeyError, ssl.SSLError):
            return None
    try:  # pragma: no cover - a Python without the decoder
        # pylint: disable-next=ansible-bad-function  # also runs standalone beside the metrics script (no Ansible there)
        out = subprocess.run(
            ["openssl", "x509", "-noout", "-enddate", "-in", path], capture_output=True, text=True, check=True
        ).stdout
        return ssl.cert_time_to_seconds(out.strip().split("=", 1)[1])
    except (OSError, subprocess.CalledProcessError, IndexError, ValueError):
        return None


def der_not_after(der):
    """notAfter of a DER certificate (``getpeercert(binary_form=True)``, which a connection that does not verify
    still has), or None; read as not_after reads a file."""
    if not der:
        return None
    handle, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(handle, "w", encoding="ascii") as pem:
            pem.write(ssl.DER_cert_to_PEM_cert(der))
        return not_after(path)
    finally:
        os.unlink(path)
