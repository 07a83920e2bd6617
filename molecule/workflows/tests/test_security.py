# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets stay secret at -vvv, and the proxy is no open proxy.

Every operator playbook runs at -vvv against the lab where the workflows need it
anyway (test_workflows_8_*.py checks that all did; collect's bundle at -vvv is
the default scenario's, tests_operator/test_collect.py); no node's shared secret
may appear in the output, in any file on the proxy, or in any page, asset or
API answer the proxy serves. Then requests that try to use the proxy for
something else than a node's client (absolute URIs, Host header tricks, dot
segments and encoded slashes, labels of nodes not in the inventory, paths into
other services of a node) are sent to it; each must end at the proxy's 404 or
at the client of the node the path names.
"""

from __future__ import annotations

import pytest
from lab_runs import NODES, PROXIES, SECRETS, host

PROXY = PROXIES[0]
LABELS = {name: name.split(".", 1)[0] for name in NODES}
NODE30 = next(
    name
    for name in NODES
    if "BIGBLUEBUTTON_RELEASE=3." in host(name).file("/etc/bigbluebutton/bigbluebutton-release").content_string
)
L30 = LABELS[NODE30]


def test_no_secret_in_any_file_on_the_proxy():
    proxy = host(PROXY)
    for secret in SECRETS:
        found = proxy.run(
            f"grep -rlF -- '{secret}' /etc /var /usr/local /usr/share/nginx /root /tmp /run 2>/dev/null || true"
        ).stdout.strip()
        assert found == "", f"a node's shared secret is in files on the proxy: {found}"


def fetch(path, host_header=None, target=None):
    """(status, body) of a request to the proxy from inside it, byte-exact path, optional Host and request target."""
    args = ["--http1.1", "--path-as-is", "-sS", "-o", "/tmp/probe-body", "-w", "'%{http_code}'"]
    if host_header:
        args += ["-H", f"'Host: {host_header}'"]
    if target:
        args += ["--request-target", f"'{target}'"]
    result = host(PROXY).run(f"curl {' '.join(args)} 'https://{PROXY}{path}'; echo; cat /tmp/probe-body")
    status, _sep, body = result.stdout.partition("\n")
    return int(status or 0), body


def test_no_secret_in_any_page_the_proxy_serves():
    paths = [f"/{label}/html5client/" for label in LABELS.values()]
    paths += [f"/{label}/html5client/static/app.js" for label in LABELS.values()]
    paths += [f"/{L30}/bigbluebutton/api", "/", "/robots.txt"]
    for path in paths:
        status, body = fetch(path)
        for secret in SECRETS:
            assert secret not in body, f"{path} ({status}) shows a node's shared secret"


def client_of(body):
    """Which node's client page a body is, if any."""
    return next((name for name in NODES if f"node: {name}" in body), None)


PROBES = [
    # (id, path, Host header, request target, the node whose client may answer (None: only a 404 is right))
    ("absolute-uri-other-host", "/", None, "https://example.org/", None),
    ("absolute-uri-node-api", "/", None, f"https://{NODE30}/bigbluebutton/api/getMeetings", None),
    ("absolute-uri-node-client", "/", None, f"http://{NODE30}/{L30}/html5client/", NODE30),
    ("host-header-node", "/bigbluebutton/api/getMeetings", NODE30, None, None),
    ("host-header-unknown", "/", "evil.example", None, None),
    ("dot-segments-out-of-the-client", f"/{L30}/html5client/../../bigbluebutton/api/getMeetings", None, None, None),
    ("dot-segments-into-a-service", f"/{L30}/html5client/../playback/", None, None, None),
    ("encoded-dot-segments", f"/{L30}/html5client/%2e%2e/%2e%2e/bigbluebutton/api/getMeetings", None, None, None),
    (
        "double-encoded-dot-segments",
        f"/{L30}/html5client/%252e%252e/%252e%252e/bigbluebutton/api/getMeetings",
        None,
        None,
        NODE30,
    ),
    ("encoded-slash", f"/{L30}%2fhtml5client%2f..%2f..%2fbigbluebutton%2fapi", None, None, None),
    ("unknown-node", "/bbb-99/html5client/", None, None, None),
    ("label-prefix-of-a-node", f"/{L30}x/html5client/", None, None, None),
    ("node-etherpad", f"/{L30}/pad/", None, None, None),
    ("node-presentation", f"/{L30}/bigbluebutton/presentation/", None, None, None),
    ("node-graphql", f"/{L30}/graphql", None, None, None),
    ("node-root", f"/{L30}/", None, None, None),
    ("api-location-escape", f"/{L30}/bigbluebutton/api/../presentation/upload", None, None, None),
]


@pytest.mark.parametrize(
    ("path", "host_header", "target", "allowed"), [p[1:] for p in PROBES], ids=[p[0] for p in PROBES]
)
def test_the_proxy_is_no_open_proxy(path, host_header, target, allowed):
    status, body = fetch(path, host_header, target)
    assert "<returncode>" not in body, f"{path}: reached a node's API: {body[:300]}"
    for secret in SECRETS:
        assert secret not in body
    reached = client_of(body)
    if allowed is None:
        # refused: the proxy's 404, or a bad request / misdirected request (400, 421)
        assert status in (400, 404, 421) and reached is None, f"{path}: {status} {body[:300]}"
    else:
        assert reached in (None, allowed), f"{path}: reached the client of {reached}"
        assert status in (200, 400, 404), f"{path}: {status} {body[:300]}"
