#!/usr/bin/python
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: https_probe
short_description: Check from this host that every BigBlueButton node answers HTTPS and verifies with SNI
version_added: 0.2.0
description:
  - Sends C(HEAD /) to each target over HTTPS, the way nginx on the proxy will reach it. The TLS connection carries the
    target's name as SNI and, with O(verify), its certificate must be valid for that name and signed by a CA of
    O(ca_file). Any HTTP answer counts as reached.
  - Returns when the certificate each target presented expires (RV(results[].certificate_expiry); with
    O(verify=false) also that of a certificate that does not verify), read as the metrics script reads certificate
    files (module_utils C(certificates)).
  - A target with O(targets[].addresses) is connected to at those addresses (the proxy's pinned node addresses), one
    after the other; without, its name is resolved on this host.
  - All targets are probed at the same time (at most O(workers) at once), each bounded by O(timeout), so a cluster of
    hundreds of nodes, some of them down, is checked in about the time of its slowest node, not in the sum of them.
  - Read-only. It reports; the caller decides what fails (the collection's roles stop on a node of the run and warn
    about a node left out with C(--limit)).
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
options:
  targets:
    description: The nodes to probe.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: A name for the target in the results (the node's inventory hostname).
        type: str
        required: true
      hostname:
        description: The node's public hostname (Host header, SNI, the name its certificate must be valid for).
        type: str
        required: true
      addresses:
        description: IP addresses to connect to instead of resolving O(targets[].hostname).
        type: list
        elements: str
        default: []
  port:
    description: The HTTPS port of the nodes.
    type: int
    default: 443
  verify:
    description: Verify each node's certificate against O(ca_file) and its name.
    type: bool
    default: true
  ca_file:
    description: The CA bundle to verify with (used when O(verify=true)).
    type: path
    default: /etc/ssl/certs/ca-certificates.crt
  timeout:
    description: Seconds allowed for each connection attempt and for the answer.
    type: float
    default: 10
  workers:
    description: How many targets are probed at once.
    type: int
    default: 16
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on the managed host (the proxy).
extends_documentation_fragment:
  - bbb.cluster_proxy.attributes.read_only
seealso:
  - module: ansible.builtin.uri
"""

EXAMPLES = r"""
- name: Check that the proxy reaches and verifies every node
  bbb.cluster_proxy.https_probe:
    targets:
      - {name: bbb-01.example.com, hostname: bbb-01.example.com}
      - {name: bbb-02.example.com, hostname: bbb-02.example.com, addresses: [10.0.0.12]}
    ca_file: /etc/ssl/certs/ca-certificates.crt
  register: probe
"""

RETURN = r"""
results:
  description: One entry per target, in the order of O(targets).
  type: list
  elements: dict
  returned: always
  contains:
    name:
      description: The target's O(targets[].name).
      type: str
    url:
      description: The URL probed.
      type: str
      sample: https://bbb-01.example.com/
    status:
      description: The HTTP status of the answer, -1 when there was none.
      type: int
      sample: 200
    tls_problem:
      description: Whether the failure was about TLS (the certificate, its name, the handshake), not reaching the node.
      type: bool
    msg:
      description: What went wrong (empty when the node answered), with the address tried.
      type: str
      sample: '10.0.0.12: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate'
    seconds:
      description: How long the probe of this target took.
      type: float
    certificate_expiry:
      description:
        - When the certificate the target presented expires (its notAfter, seconds since the epoch), 0 where no TLS
          handshake completed or the certificate cannot be read. Of the last address that completed a handshake.
      type: int
      sample: 1795928400
failed_count:
  description: How many targets gave no HTTP answer.
  type: int
  returned: always
"""

import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.certificates import der_not_after


def _context(verify, ca_file):
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=ca_file)


def _addresses(target, port):
    if target.get("addresses"):
        return list(target["addresses"])
    found = socket.getaddrinfo(target["hostname"], port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(entry[4][0] for entry in found))


def _ask(address, hostname, port, context, timeout, seen):
    """HEAD / over TLS to one address; the status of the answer. ``seen["certificate"]``: the DER certificate the
    address presented, once the handshake completed."""
    with socket.create_connection((address, port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=hostname) as tls:
            seen["certificate"] = tls.getpeercert(binary_form=True)
            tls.settimeout(timeout)
            tls.sendall(
                f"HEAD / HTTP/1.1\r\nHost: {hostname}\r\nUser-Agent: bbb.cluster_proxy\r\nConnection: close\r\n\r\n".encode()
            )
            first = b""
            while b"\r\n" not in first and len(first) < 4096:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                first += chunk
    parts = first.split(b"\r\n", 1)[0].split()
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP answer: {first[:60]!r}")
    return int(parts[1])


def probe(target, port, context, timeout):
    started = time.monotonic()
    hostname = target["hostname"]
    result = dict(name=target["name"], url=f"https://{hostname}{'' if port == 443 else f':{port}'}/", status=-1)
    result.update(tls_problem=False, msg="")
    seen = {}
    try:
        addresses = _addresses(target, port)
    except OSError as exc:
        result["msg"] = f"{hostname} does not resolve here: {exc}"
        addresses = []
    for address in addresses:
        try:
            result["status"] = _ask(address, hostname, port, context, timeout, seen)
            result.update(tls_problem=False, msg="")
            break
        except (ssl.SSLError, ssl.CertificateError) as exc:
            result.update(tls_problem=True, msg=f"{address}: {exc}")
        except (OSError, ValueError) as exc:
            result.update(tls_problem=False, msg=f"{address}: {exc}")
    result["certificate_expiry"] = der_not_after(seen.get("certificate")) or 0
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def probe_all(targets, port=443, verify=True, ca_file=None, timeout=10.0, workers=16):
    context = _context(verify, ca_file)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets) or 1))) as pool:
        return list(pool.map(lambda target: probe(target, port, context, timeout), targets))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            targets=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    hostname=dict(type="str", required=True),
                    addresses=dict(type="list", elements="str", default=[]),
                ),
            ),
            port=dict(type="int", default=443),
            verify=dict(type="bool", default=True),
            ca_file=dict(type="path", default="/etc/ssl/certs/ca-certificates.crt"),
            timeout=dict(type="float", default=10),
            workers=dict(type="int", default=16),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        results = probe_all(
            params["targets"], params["port"], params["verify"], params["ca_file"], params["timeout"], params["workers"]
        )
    except (OSError, ssl.SSLError) as exc:  # the CA bundle cannot be read
        module.fail_json(msg=f"https_probe: cannot verify with ca_file {params['ca_file']}: {exc}")
    module.exit_json(changed=False, results=results, failed_count=sum(1 for r in results if r["status"] == -1))


if __name__ == "__main__":
    main()
