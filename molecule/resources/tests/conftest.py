# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers of the lab's testinfra suite; every scenario runs it.

Expectations are written from docs/versions.md (Node side, Proxy side)
per BBB version family; the family of a node is read from its release file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import testinfra.utils.ansible_runner
import yaml

# tests/lab_nginx.py of this checkout, shared with the operator tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from lab_nginx import reload_nginx  # noqa: E402,F401 - re-exported for the shared suite

INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")


def inventory():
    return testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)


# The scenario's proxy (its name differs per scenario, so that scenarios can run side by side).
PROXY = sorted(inventory().get_hosts("bbb_proxy"))[0] if INVENTORY else "proxy.lab.test"


def node_names():
    return sorted(inventory().get_hosts("bbb_nodes"))


def node_secrets():
    runner = inventory()
    return [runner.get_variables(n)["bbb_lab_node_secret"] for n in node_names()]


def family_of(host):
    release = host.file("/etc/bigbluebutton/bigbluebutton-release").content_string
    version = release.strip().split("=", 1)[1]
    return ".".join(version.split(".")[:2])


FAMILIES = Path(__file__).resolve().parents[3] / "roles" / "bbb_node" / "vars"


def capabilities_of(host):
    """What the node's version family can do (roles/bbb_node/vars/family_*.yml, the data the roles read): the suite
    expects by capability, never by a family's name."""
    version = family_of(host)
    for path in FAMILIES.glob("family_*.yml"):
        family = yaml.safe_load(path.read_text())["__bbb_node_family"]
        if version in family["versions"]:
            return family["capabilities"]
    raise AssertionError(f"no family covers BigBlueButton {version}")


def fetch(host, url, *extra):
    """GET ``url`` from inside ``host`` with real DNS and the lab CA; return (status, headers, body)."""
    args = " ".join(extra)
    cmd = host.run(
        f"curl -sS -D /tmp/h -o /tmp/b -w '%{{http_code}}' {args} '{url}' && cat /tmp/h && echo '<<BODY>>' && cat /tmp/b"
    )
    assert cmd.rc == 0, cmd.stderr
    status, rest = cmd.stdout[:3], cmd.stdout[3:]
    headers, _unused, body = rest.partition("<<BODY>>\n")
    return int(status), headers, body


@pytest.fixture
def node_name(host):
    return host.backend.get_hostname()


@pytest.fixture
def label(node_name):
    return node_name.split(".", 1)[0]


@pytest.fixture
def family(host):
    return family_of(host)


@pytest.fixture
def caps(host):
    return capabilities_of(host)


@pytest.fixture
def host_vars(node_name):
    return inventory().get_variables(node_name)


def pytest_collection_modifyitems(items):
    """Run the operator runs (tests_operator/ and a scenario's own tests) after the shared suite: they restart nodes
    or call bbb-conf, and the shared suite counts the restarts (and bbb-conf calls) of converge alone."""
    items.sort(key=lambda item: Path(item.path).parent != Path(__file__).parent)
