# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: cluster_nodes
short_description: Derive and validate the path of every BigBlueButton node of the cluster
version_added: 0.1.0
description:
  - Takes the inventory hostnames of the node group and returns, per node, its public hostname, path label,
    client basename and URLs, sorted by label.
  - The label is the first DNS label of the node's public hostname (V(bbb-01.example.com) gives V(bbb-01)),
    unless the host sets C(bbb_node_label). The public hostname is C(bbb_node_public_hostname), else the inventory hostname.
  - Checks the whole cluster at once and fails with one error that lists every problem, each naming the host,
    the variable, the value and the fix. Checked are the proxy hostname (a bare lowercase FQDN), every node
    hostname, every label (lowercase letters, digits, inner dashes; not a reserved BBB path), unique labels,
    unique public hostnames, and that no node uses the proxy's hostname.
  - Whether each node is the same site as the proxy (RV(_value[].same_site)) is judged by the Public Suffix List, as
    browsers judge it, from the Python package C(publicsuffixlist) on the controller, else the system's list file (Debian
    and Ubuntu package C(publicsuffix)). With neither, the filter fails and names both.
  - The cluster lookup (P(bbb.cluster_proxy.cluster#lookup)), which every role and playbook asks, calls this filter, so
    the proxy and the nodes always agree on the paths.
options:
  _input:
    description: Inventory hostnames of the BBB nodes, the node group's hosts.
    type: list
    elements: str
    required: true
  hostvars:
    description: The C(hostvars) mapping, from which C(bbb_node_public_hostname), C(bbb_node_label) and C(bbb_node_version) are read.
    type: dict
    required: true
  proxy_hostname:
    description: Public FQDN of the cluster proxy (C(bbb_cluster_proxy_hostname)), without scheme or path.
    type: str
    required: true
positional: hostvars, proxy_hostname
requirements:
  - >-
    On the controller, the Public Suffix List: the Python package C(publicsuffixlist) (C(pip install publicsuffixlist)),
    else the system's C(/usr/share/publicsuffix/public_suffix_list.dat) (Debian/Ubuntu package C(publicsuffix)).
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
# Roles and playbooks ask the cluster lookup (bbb.cluster_proxy.cluster), which calls this filter; called directly:
- name: Derive the node paths of the inventory's node group
  ansible.builtin.set_fact:
    cluster: >-
      {{ groups[lookup('bbb.cluster_proxy.cluster', 'nodes_group')]
         | bbb.cluster_proxy.cluster_nodes(hostvars, lookup('bbb.cluster_proxy.cluster', 'proxy_hostname')) }}
  # cluster[0].client_url == 'https://proxy.example.com/bbb-01/html5client/'
"""

RETURN = r"""
_value:
  description: One entry per node, sorted by label.
  type: list
  elements: dict
  contains:
    inventory_hostname:
      description: The node's inventory hostname.
      type: str
    hostname:
      description: The node's public FQDN.
      type: str
      sample: bbb-01.example.com
    label:
      description: The node's path segment on the proxy.
      type: str
      sample: bbb-01
    basename:
      description: The client's base path, without trailing slash.
      type: str
      sample: /bbb-01/html5client
    node_origin:
      description: The node's origin.
      type: str
      sample: https://bbb-01.example.com
    proxy_origin:
      description: The proxy's origin.
      type: str
      sample: https://proxy.example.com
    client_url:
      description: The node's client URL on the proxy, with trailing slash.
      type: str
      sample: https://proxy.example.com/bbb-01/html5client/
    same_site:
      description:
        - Whether the node and the proxy are the same "site" for browser cookies, that is the same registrable domain
          ("eTLD+1") under the L(Public Suffix List,https://publicsuffix.org/), ICANN and PRIVATE sections both, as
          browsers compute it. V(bbb-01.uni.ac.uk) and V(proxy.uni.ac.uk) are one site; two hosts under C(gouv.fr),
          C(gob.mx), C(go.jp), C(k12.ca.us), C(nhs.uk), C(duckdns.org), C(ddns.net), C(github.io) or
          C(compute.amazonaws.com) are two.
        - A hostname without a registrable domain (an IP address, or a public suffix itself such as C(github.io)) is
          its own site.
        - The list is the Python package C(publicsuffixlist) on the controller, else the system's file
          C(/usr/share/publicsuffix/public_suffix_list.dat) (Debian/Ubuntu package C(publicsuffix)); with neither,
          the filter fails and names both.
        - Where this is false, the browser sends bbb-web's session cookie to the node only with C(SameSite=None; Secure)
          (trap T9); the bbb_node role sets that unless C(bbb_node_session_cookie_same_site) says otherwise. Browsers
          that block third-party cookies still fail the join; the bbb_cluster role's validation warns.
      type: bool
      sample: true
    site:
      description: The node's site, its registrable domain by the Public Suffix List (the hostname where it has none).
      type: str
      sample: example.com
    proxy_site:
      description: The proxy's site, its registrable domain by the Public Suffix List (the hostname where it has none).
      type: str
      sample: example.com
    site_source:
      description: Which Public Suffix List decided RV(_value[].same_site), the package with its version or the system file.
      type: str
      sample: publicsuffixlist 1.1.2.20261023 (PyPI package)
    version:
      description: The node's C(bbb_node_version) as a string, or null when it is to be detected.
      type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster import ClusterError
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster import cluster_nodes as _cluster_nodes


def cluster_nodes(hosts, hostvars, proxy_hostname):
    try:
        return _cluster_nodes(hosts, hostvars, proxy_hostname)
    except ClusterError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"cluster_nodes": cluster_nodes}
