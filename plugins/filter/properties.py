# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: properties
short_description: Parse a Java properties or environment file into a mapping
version_added: 0.1.0
description:
  - "Reads C(key=value) (or C(key: value)) lines; C(#) and C(!) lines are comments; the last occurrence of a key wins,
    as bbb-web reads C(/etc/bigbluebutton/bbb-web.properties)."
  - Values are returned as written, without resolving C(${...}) references.
  - Deprecated, removed in 1.0.0. No role of the collection uses it any more; the bbb_node role reads and edits a
    node's key=value files with P(bbb.cluster_proxy.node_files#module), which with C(report=true) returns every key
    that differs from the wanted settings.
options:
  _input:
    description: The file's text.
    type: str
    required: true
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Read the node's bbb-web overrides
  ansible.builtin.set_fact:
    web: "{{ slurped.content | b64decode | bbb.cluster_proxy.properties }}"
"""

RETURN = r"""
_value:
  description: Key to value.
  type: dict
"""

from ansible.utils.display import Display
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.drift import parse_properties

display = Display()


def properties(text):
    display.deprecated(
        "bbb.cluster_proxy.properties is deprecated: Use the bbb.cluster_proxy.node_files module with "
        "report=true to compare a node's key=value files with the wanted settings; its drift result names "
        "each key that differs.",
        version="1.0.0",
        collection_name="bbb.cluster_proxy",
    )
    return parse_properties(text)


class FilterModule:
    def filters(self):
        return {"properties": properties}
