# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: proxy_labels
short_description: The node labels an nginx configuration of the cluster proxy has client locations for
version_added: 0.1.0
description:
  - Finds every C(location /<label>/html5client/ {) and returns the labels, sorted and unique.
  - Deprecated, removed in 1.0.0. No role of the collection uses it any more; the proxy's drift
    (P(bbb.cluster_proxy.proxy_drift#filter)) reads the labels itself and names locations of nodes that left the
    inventory.
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

from ansible.utils.display import Display
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.drift import proxy_labels as _proxy_labels

display = Display()


def proxy_labels(text):
    display.deprecated(
        "bbb.cluster_proxy.proxy_labels is deprecated: use bbb.cluster_proxy.proxy_drift, which names the locations of "
        "nodes not in the inventory.",
        version="1.0.0",
        collection_name="bbb.cluster_proxy",
    )
    return _proxy_labels(text)


class FilterModule:
    def filters(self):
        return {"proxy_labels": proxy_labels}
