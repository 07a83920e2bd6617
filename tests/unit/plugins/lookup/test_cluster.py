# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cluster lookup: the one way the roles and playbooks ask for the cluster, this host's entry and the groups."""

from __future__ import annotations

import json

import pytest
import yaml
from ansible_collections.bbb.cluster_proxy.plugins.lookup import cluster as plugin
from ansible_collections.bbb.cluster_proxy.tests.unit.ansible_cli import ansible_cli

INVENTORY = {
    "all": {
        "vars": {"bbb_cluster_proxy_hostname": "proxy.example.com"},
        "children": {
            "bbb_proxy": {"hosts": {"proxy": {"ansible_connection": "local"}}},
            "bbb_nodes": {
                "hosts": {
                    "bbb-01.example.com": {"ansible_connection": "local", "bbb_node_version": "3.0"},
                    # a templated host variable, as inventories write them
                    "bbb-02.example.com": {
                        "ansible_connection": "local",
                        "bbb_node_version": "2.7",
                        "bbb_node_label": "{{ 'room' ~ '-b' }}",
                    },
                }
            },
        },
    }
}

PLAYBOOK = """\
- hosts: "{{ lookup('bbb.cluster_proxy.cluster', 'nodes_group') }}"
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: "SELF {{ lookup('bbb.cluster_proxy.cluster', 'self') | to_json }}"
    - ansible.builtin.debug:
        msg: "KIND {{ lookup('bbb.cluster_proxy.cluster', 'kind') }}"
- hosts: "{{ lookup('bbb.cluster_proxy.cluster', 'pattern') }}"
  gather_facts: false
  tasks:
    - ansible.builtin.debug:
        msg: "ALL {{ {'nodes': query('bbb.cluster_proxy.cluster') | map(attribute='label') | list,
               'hosts': query('bbb.cluster_proxy.cluster', 'hosts'),
               'proxy_host': lookup('bbb.cluster_proxy.cluster', 'proxy_host'),
               'proxy_hostname': lookup('bbb.cluster_proxy.cluster', 'proxy_hostname'),
               'self': lookup('bbb.cluster_proxy.cluster', 'self')} | to_json }}"
      run_once: true
      when: inventory_hostname == 'proxy'
"""


def run(tmp_path, inventory, *extra):
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    return ansible_cli("ansible-playbook", "-i", tmp_path / "inventory.yml", tmp_path / "play.yml", *extra)


def said(done, what):
    """The messages of debug tasks that start with ``what``, decoded."""
    out = []
    for line in done.stdout.splitlines():
        line = line.strip()
        if line.startswith(f'"msg": "{what} '):
            out.append(json.loads(line[len('"msg": ') :])[len(what) + 1 :])
    return out


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    done = run(tmp_path_factory.mktemp("lookup"), INVENTORY)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return done


def test_each_node_gets_its_own_entry_and_kind(default_run):
    entries = [json.loads(text) for text in said(default_run, "SELF")]
    assert sorted(e["label"] for e in entries) == ["bbb-01", "room-b"]
    room_b = next(e for e in entries if e["label"] == "room-b")
    assert room_b["client_url"] == "https://proxy.example.com/room-b/html5client/"
    # the join and guest URLs come with the entry, from the family's capabilities (2.x: guest lobby on the node)
    assert room_b["guest_url"] == "https://bbb-02.example.com/room-b/html5client/guestWait"
    assert said(default_run, "KIND") == ["node", "node"]


def test_the_cluster_the_groups_and_the_proxy(default_run):
    (text,) = said(default_run, "ALL")
    seen = json.loads(text)
    assert seen == {
        "nodes": ["bbb-01", "room-b"],
        "hosts": ["proxy", "bbb-01.example.com", "bbb-02.example.com"],
        "proxy_host": "proxy",
        "proxy_hostname": "proxy.example.com",
        "self": {},  # the proxy is no node
    }


def test_renamed_groups_with_extra_vars(tmp_path):
    inventory = yaml.safe_load(yaml.safe_dump(INVENTORY))
    children = inventory["all"]["children"]
    children["edge"], children["rooms"] = children.pop("bbb_proxy"), children.pop("bbb_nodes")
    done = run(tmp_path, inventory, "-e", "bbb_cluster_nodes_group=rooms", "-e", "bbb_cluster_proxy_group=edge")
    assert done.returncode == 0, done.stdout[-3000:]
    assert json.loads(said(done, "ALL")[0])["hosts"] == ["proxy", "bbb-01.example.com", "bbb-02.example.com"]
    assert len(said(done, "SELF")) == 2


def test_the_published_cluster_wins_over_the_inventory(tmp_path):
    published = [{"inventory_hostname": "bbb-01.example.com", "label": "published"}]
    inventory = yaml.safe_load(yaml.safe_dump(INVENTORY))
    inventory["all"]["hosts"] = {"localhost": {"ansible_connection": "local", "bbb_cluster_nodes": published}}
    done = run(tmp_path, inventory)
    assert done.returncode == 0, done.stdout[-3000:]
    assert json.loads(said(done, "ALL")[0])["nodes"] == ["published"]


def test_a_bad_inventory_is_named(tmp_path):
    inventory = yaml.safe_load(yaml.safe_dump(INVENTORY))
    inventory["all"]["children"]["bbb_nodes"]["hosts"]["bbb-02.example.com"]["bbb_node_label"] = "bbb-01"
    done = run(tmp_path, inventory)
    assert done.returncode != 0
    assert "share the path label 'bbb-01'" in done.stdout + done.stderr


def test_an_unknown_term_is_refused():
    lookup = plugin.LookupModule()
    with pytest.raises(Exception, match="give one of nodes, computed"):
        lookup.run(["everything"], variables={})
