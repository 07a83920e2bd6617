# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: proxy_drift
short_description: Describe every way the cluster proxy's live nginx configuration disagrees with the inventory
version_added: 0.2.0
description:
  - "One message per disagreement, in this order: the file is missing; it has locations for nodes not in the
    inventory; it has no location for nodes in the inventory; it has the inventory's locations but differs
    otherwise from O(wanted_text); C(nginx -t) fails; nginx does not load the file; another server block claims
    O(server_name); nginx runs a configuration older than the file. Each message says what to run or change."
  - The labels in the live file are read as P(bbb.cluster_proxy.proxy_labels#filter) reads them; labels are named
    sorted.
  - The C(drift) entry point of the bbb_proxy role (run by the C(bbb.cluster_proxy.drift) playbook) sets its fact
    C(bbb_proxy_drift) with this filter. The nodes' drift comes from P(bbb.cluster_proxy.node_files#module) with
    C(report=true); both are computed in C(plugins/plugin_utils/drift.py).
options:
  _input:
    description: Path of the cluster-proxy configuration on the proxy (C(bbb_proxy_nginx_conf_file)), as the messages name it.
    type: str
    required: true
  live_text:
    description: The file's text on the proxy (C(content) of P(ansible.builtin.slurp#module), decoded); null when it is missing.
    type: str
    required: true
  wanted_text:
    description: The text the role would write, its template rendered for the inventory.
    type: str
    required: true
  inventory_labels:
    description: The labels of the inventory's nodes (C(label) of each entry of C(bbb_cluster_nodes)).
    type: list
    elements: str
    required: true
  loaded:
    description:
      - What P(bbb.cluster_proxy.nginx_info#module) answered for the file (C(valid), C(error), C(included),
        C(conflicts), C(stale)).
      - A skipped result (the file is missing, so nginx was not asked) or null adds no message about nginx.
    type: dict
    required: true
  server_name:
    description: The proxy's public hostname (C(bbb_cluster_proxy_hostname)), named when another server block claims it.
    type: str
    required: true
positional: live_text, wanted_text, inventory_labels, loaded, server_name
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Read the live cluster-proxy configuration
  ansible.builtin.slurp:
    src: /etc/nginx/conf.d/bbb-cluster-proxy.conf
  register: live
  failed_when: false

- name: Ask nginx what it loads
  bbb.cluster_proxy.nginx_info:
    path: /etc/nginx/conf.d/bbb-cluster-proxy.conf
    server_name: proxy.example.com
  register: loaded
  when: live.content is defined

- name: Compare it with the inventory
  ansible.builtin.set_fact:
    drift: >-
      {{ '/etc/nginx/conf.d/bbb-cluster-proxy.conf'
         | bbb.cluster_proxy.proxy_drift(
             live_text=(live.content | b64decode) if live.content is defined else none,
             wanted_text=lookup('ansible.builtin.template', 'bbb-cluster-proxy.conf.j2'),
             inventory_labels=['bbb-01', 'bbb-02'], loaded=loaded, server_name='proxy.example.com') }}
  # ['no location for bbb-02 (in the inventory): their clients answer 404 on the proxy. Run bbb.cluster_proxy.site.']
"""

RETURN = r"""
_value:
  description: One message per disagreement; empty when the proxy agrees with the inventory.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.drift import proxy_drift as _proxy_drift


def proxy_drift(conf_file, live_text, wanted_text, inventory_labels, loaded, server_name):
    try:
        return _proxy_drift(conf_file, live_text, wanted_text, inventory_labels, loaded, server_name)
    except TypeError as exc:
        raise AnsibleFilterError(f"proxy_drift: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"proxy_drift": proxy_drift}
