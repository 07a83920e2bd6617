# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: cluster
short_description: The cluster's nodes, this host's entry and the inventory group names, asked in one way
version_added: 0.2.0
description:
  - The one way the collection's roles and playbooks ask for the cluster. Each term names what to return.
  - V(nodes) (the default) returns every node with its path, version family, capabilities, join and guest URLs,
    the role input C(bbb_cluster_nodes) where it is set, else the cluster the collection's playbooks publish on
    C(localhost) (C(hostvars['localhost']['bbb_cluster_nodes']), by C(playbooks/validate.yml)), else derived from
    the inventory now with P(bbb.cluster_proxy.cluster_nodes#filter), so that a role run alone agrees with the
    playbooks.
  - V(computed) derives the cluster from the inventory now (the bbb_cluster role validates and publishes it).
  - V(self) returns this host's entry (C(inventory_hostname)), or an empty dict when this host is not a node.
  - V(kind) returns V(node), V(proxy) or an empty string for this host.
  - V(nodes_group) and V(proxy_group) return the inventory group names (C(bbb_cluster_nodes_group),
    C(bbb_cluster_proxy_group), default V(bbb_nodes) and V(bbb_proxy)); V(pattern) the host pattern of both groups,
    proxy first (C(bbb_proxy:bbb_nodes)); V(hosts) the proxy hosts and then the nodes;
    V(proxy_host) the first proxy host; V(proxy_hostname) the proxy's public FQDN (C(bbb_cluster_proxy_hostname)).
  - "The group names are usable where a play names its hosts, for example
    C(hosts: {{ lookup('bbb.cluster_proxy.cluster', 'nodes_group') }})."
options:
  _terms:
    description: What to return (one term).
    type: list
    elements: str
    choices: [nodes, computed, self, kind, nodes_group, proxy_group, pattern, hosts, proxy_host, proxy_hostname]
    default: [nodes]
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Every node's client URL on the proxy
  ansible.builtin.debug:
    msg: "{{ query('bbb.cluster_proxy.cluster') | map(attribute='client_url') | list }}"

- name: This node's path label
  ansible.builtin.debug:
    msg: "{{ lookup('bbb.cluster_proxy.cluster', 'self').label }}"

- name: A play on the nodes, whatever the inventory calls their group
  hosts: "{{ lookup('bbb.cluster_proxy.cluster', 'nodes_group') }}"
  tasks: []
"""

RETURN = r"""
_raw:
  description:
    - V(nodes), V(computed), V(hosts) give a list (use C(query) or C(wantlist=true)); V(nodes) entries as
      P(bbb.cluster_proxy.cluster_nodes#filter) returns them.
    - V(self) gives one dict, the other terms one string.
  type: list
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster import GROUP_VARS, ClusterError, cluster_nodes

TERMS = (
    "nodes",
    "computed",
    "self",
    "kind",
    "nodes_group",
    "proxy_group",
    "pattern",
    "hosts",
    "proxy_host",
    "proxy_hostname",
)


class LookupModule(LookupBase):
    def _var(self, variables, name, default=None):
        if name not in variables:
            return default
        value = variables[name]
        return self._templar.template(value) if isinstance(value, str) and "{" in value else value

    def _group(self, variables, which):
        name, default = GROUP_VARS[which]
        return str(self._var(variables, name) or default)

    def _members(self, variables, which):
        return list((self._var(variables, "groups") or {}).get(self._group(variables, which)) or [])

    def _proxy_hostname(self, variables):
        value = self._var(variables, "bbb_cluster_proxy_hostname")
        proxies = self._members(variables, "proxy_group")
        if not value and proxies:
            proxy_vars = variables["hostvars"][proxies[0]]
            value = proxy_vars["bbb_cluster_proxy_hostname"] if "bbb_cluster_proxy_hostname" in proxy_vars else ""
        return str(value or "")

    def _computed(self, variables):
        try:
            return cluster_nodes(
                self._members(variables, "nodes_group"), variables["hostvars"], self._proxy_hostname(variables)
            )
        except ClusterError as exc:
            raise AnsibleLookupError(str(exc)) from exc

    def _nodes(self, variables):
        given = self._var(variables, "bbb_cluster_nodes")
        if given:
            return list(given)
        hostvars = variables.get("hostvars") or {}
        # hostvars['localhost'] computes localhost's variables each time it is asked: ask once
        local = hostvars["localhost"] if "localhost" in hostvars else {}
        published = local["bbb_cluster_nodes"] if "bbb_cluster_nodes" in local else None
        return list(published) if published else self._computed(variables)

    def run(self, terms, variables=None, **kwargs):
        terms = terms or ["nodes"]
        if len(terms) != 1 or terms[0] not in TERMS:
            raise AnsibleLookupError(f"bbb.cluster_proxy.cluster: give one of {', '.join(TERMS)}, not {terms}")
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        term = terms[0]
        if term in ("nodes", "computed"):
            return self._nodes(variables) if term == "nodes" else self._computed(variables)
        if term in ("nodes_group", "proxy_group"):
            return [self._group(variables, term)]
        if term == "pattern":
            return [f"{self._group(variables, 'proxy_group')}:{self._group(variables, 'nodes_group')}"]
        if term == "hosts":
            return self._members(variables, "proxy_group") + self._members(variables, "nodes_group")
        if term == "proxy_host":
            return (self._members(variables, "proxy_group") or [""])[:1]
        if term == "proxy_hostname":
            return [self._proxy_hostname(variables)]
        host = self._var(variables, "inventory_hostname")
        if term == "kind":
            kinds = (("node", "nodes_group"), ("proxy", "proxy_group"))
            return [next((kind for kind, group in kinds if host in self._members(variables, group)), "")]
        return [next((node for node in self._nodes(variables) if node["inventory_hostname"] == host), {})]
