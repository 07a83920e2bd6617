# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the lab's testinfra tests."""

from __future__ import annotations

import pytest

PROXY = "proxy.lab.test"
NODES = ["bbb-01.lab.test", "bbb-02.lab.test"]
SECRETS = ["lab-secret-0001-do-not-leak", "lab-secret-0002-do-not-leak"]


def fetch(host, url, *extra):
    """GET ``url`` from inside ``host`` with real DNS and the lab CA; return (status, headers, body)."""
    args = " ".join(extra)
    cmd = host.run(
        f"curl -sS -D /tmp/h -o /tmp/b -w '%{{http_code}}' {args} '{url}' && cat /tmp/h && echo '<<BODY>>' && cat /tmp/b"
    )
    assert cmd.rc == 0, cmd.stderr
    status, rest = cmd.stdout[:3], cmd.stdout[3:]
    headers, _, body = rest.partition("<<BODY>>\n")
    return int(status), headers, body


@pytest.fixture
def node_name(host):
    return host.backend.get_hostname()


@pytest.fixture
def label(node_name):
    return node_name.split(".", 1)[0]
