# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Version families are data: the node role's vars/family_*.yml files, and nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from ansible_collections.bbb.cluster_proxy.plugins.filter.version_family import FilterModule, version_family
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster import cluster_nodes
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.families import family_of, load_families
from ansible_collections.bbb.cluster_proxy.tests.proxy_render import PROXY_RENDER_PLAY

ROOT = Path(__file__).resolve().parents[4]


def test_registered_under_its_name():
    assert FilterModule().filters() == {"version_family": version_family}


@pytest.mark.parametrize(
    ("version", "family"),
    [
        ("2.6", "2.x"),
        ("2.7.12", "2.x"),
        ("3.0", "3.0"),
        ("3.0.30", "3.0"),
        ("3.1", None),
        ("4.0.0-rc.1", "4.0"),
        ("4.1", None),
        ("", None),
        (None, None),
    ],
)
def test_family_of_a_version(version, family):
    found = version_family(version)
    assert found["name"] == family
    assert found["supported"] == ["2.6", "2.7", "3.0", "4.0"]


def test_a_family_file_without_versions_is_refused(tmp_path):
    (tmp_path / "family_bad.yml").write_text("__bbb_node_family: {name: bad}\n")
    with pytest.raises(ValueError, match="family_bad.yml"):
        load_families(tmp_path)


FAKE = (Path(__file__).resolve().parents[2] / "data" / "family_9.9.yml").read_text()


@pytest.fixture
def collection_with_a_fake_family(tmp_path):
    """A copy of the collection with one more vars/family_9.9.yml and no other change."""
    root = tmp_path / "ansible_collections" / "bbb" / "cluster_proxy"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(".venv", ".build", ".git", "molecule", "docs", "tests"))
    (root / "roles" / "bbb_node" / "vars" / "family_9.9.yml").write_text(FAKE)
    return tmp_path, root


def test_a_family_added_as_data_reaches_the_filter(collection_with_a_fake_family):
    _tmp, root = collection_with_a_fake_family
    families = load_families(root / "roles" / "bbb_node" / "vars")
    assert family_of("9.9.1", families)["capabilities"]["proxy_api_location"] is True
    nodes = cluster_nodes(
        ["bbb-01.example.com"], {"bbb-01.example.com": {"bbb_node_version": "9.9.1"}}, "proxy.example.com", families
    )
    assert (nodes[0]["family"], nodes[0]["vars_file"]) == ("9.9", "family_9.9.yml")


def test_a_family_added_as_data_reaches_the_roles(collection_with_a_fake_family, tmp_path):
    """Through ansible-playbook: the proxy renders the family's API location, the node gets the family's keys."""
    collections, root = collection_with_a_fake_family
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "vars": {"bbb_cluster_proxy_hostname": "proxy.example.com"},
                    "children": {
                        "bbb_proxy": {
                            "hosts": {"proxy.example.com": None},
                            "vars": {"bbb_proxy_node_addresses": {"bbb-01.example.com": ["192.0.2.11"]}},
                        },
                        # bbb_node_livekit: deprecated, ignored, and said so
                        "bbb_nodes": {
                            "hosts": {"bbb-01.example.com": {"bbb_node_version": "9.9.1", "bbb_node_livekit": False}}
                        },
                    },
                }
            }
        )
    )
    playbook = tmp_path / "show.yml"
    playbook.write_text(
        textwrap.dedent(
            """\
        - hosts: bbb-01.example.com
          gather_facts: false
          connection: local
          tasks:
            - ansible.builtin.include_role: {name: bbb.cluster_proxy.bbb_node, tasks_from: model/validate, public: true}
            - ansible.builtin.include_vars: "{{ lookup('ansible.builtin.env', 'ROLE_VARS') }}/{{ __bbb_node_self.vars_file }}"
            - ansible.builtin.debug:
                msg: "MODEL {{ (__bbb_node_files | selectattr('format', 'equalto', 'properties') | map(attribute='settings')
                      | combine) | to_json }} CAPS {{ __bbb_node_self.capabilities | to_json }} HTML5 {{ (__bbb_node_files
                      | selectattr('path', 'equalto', '/etc/bigbluebutton/bbb-html5.yml') | first).settings | to_json }}"
            # acceptance's joins and its graphql branch, from the same entry (no family name anywhere)
            - ansible.builtin.include_vars: "{{ lookup('ansible.builtin.env', 'ACCEPTANCE_VARS') }}"
            - ansible.builtin.debug:
                msg: "JOIN {{ __bbb_acceptance_client_prefix }} GUEST {{ __bbb_acceptance_guest_prefix }} GRAPHQL {{ __bbb_acceptance_caps.graphql }}"
        """
        )
        + PROXY_RENDER_PLAY
    )
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_ROLES_PATH="",
        ANSIBLE_STDOUT_CALLBACK="default",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ROLE_VARS=str(root / "roles" / "bbb_node" / "vars"),
        ACCEPTANCE_VARS=str(root / "roles" / "bbb_acceptance" / "vars" / "main.yml"),
        OUT=str(tmp_path / "proxy.conf"),
        TEMPLATE=str(root / "roles" / "bbb_proxy" / "templates" / "bbb-cluster-proxy.conf.j2"),
    )
    bindir = Path(sys.executable).parent
    run = subprocess.run(
        [str(bindir / "ansible-playbook"), "-i", str(inventory), str(playbook)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    out = run.stdout.replace('\\"', '"')
    assert '"futureKey": "https://bbb-01.example.com/future"' in out
    assert '"defaultHTML5ClientUrl": "https://proxy.example.com/bbb-01/html5client/enter"' in out
    assert '"proxy_api_location": true' in out
    assert '"livekit": {"url": "wss://bbb-01.example.com/livekit"}' in out  # from the capability, not a family name
    assert "[DEPRECATED] Host bbb-01.example.com: bbb_node_livekit is ignored" in out
    assert "(set here: wss://bbb-01.example.com/livekit)" in " ".join(out.split())
    assert "JOIN https://proxy.example.com/bbb-01/html5client/enter?sessionToken=" in out
    assert "GUEST https://bbb-01.example.com/bbb-01/html5client/guestWait?sessionToken=" in out
    assert "GRAPHQL True" in out
    proxy = (tmp_path / "proxy.conf").read_text()
    assert "# bbb-01.example.com: BBB 9.9" in proxy and "location /bbb-01/bigbluebutton/api" in proxy
