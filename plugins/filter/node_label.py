# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: node_label
short_description: The default path label of a BigBlueButton node
version_added: 0.1.0
description:
  - Returns the first DNS label of a node's public hostname, which is the node's default path segment on the
    cluster proxy (V(bbb-01.example.com) gives V(bbb-01), served at C(/bbb-01/html5client/)).
  - Fails on a hostname that is not a bare lowercase FQDN (scheme, path, port, white space, uppercase).
  - Deprecated, removed in 1.0.0. No role of the collection uses it any more; a node's label is the C(label) of its
    entry in C(bbb_cluster_nodes), which P(bbb.cluster_proxy.cluster_nodes#filter) derives and checks for the whole
    cluster (uniqueness, reserved labels, C(bbb_node_label) overrides). This filter knows none of that.
options:
  _input:
    description: The node's public hostname.
    type: str
    required: true
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Show a node's default label
  ansible.builtin.debug:
    msg: "{{ 'bbb-01.example.com' | bbb.cluster_proxy.node_label }}"  # bbb-01
"""

RETURN = r"""
_value:
  description: The first DNS label of the hostname.
  type: str
  sample: bbb-01
"""

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster import ClusterError
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster import node_label as _node_label

display = Display()


def node_label(hostname):
    display.deprecated(
        "bbb.cluster_proxy.node_label is deprecated: Use the label of the node's entry in bbb_cluster_nodes, "
        "computed by the bbb.cluster_proxy.cluster_nodes filter.",
        version="1.0.0",
        collection_name="bbb.cluster_proxy",
    )
    try:
        return _node_label(hostname)
    except ClusterError as exc:
        raise AnsibleFilterError(str(exc) + ". Fix: give the node's public FQDN, e.g. bbb-01.example.com") from exc


class FilterModule:
    def filters(self):
        return {"node_label": node_label}
