# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: proxy_labels
short_description: The node labels an nginx configuration of the cluster proxy has client locations for
version_added: 0.1.0
description:
  - Finds every C(location /<label>/html5client/ {) and returns the labels, sorted and unique.
  - The drift playbook compares them with the inventory to find locations of nodes that left it.
options:
  _input:
    description: The text of the proxy's nginx configuration.
    type: str
    required: true
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Labels served by the proxy
  ansible.builtin.debug:
    msg: "{{ conf_text | bbb.cluster_proxy.proxy_labels }}"  # ['bbb-01', 'bbb-02']
"""

RETURN = r"""
_value:
  description: The labels.
  type: list
  elements: str
"""

from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.drift import proxy_labels as _proxy_labels


def proxy_labels(text):
    return _proxy_labels(text)


class FilterModule:
    def filters(self):
        return {"proxy_labels": proxy_labels}
