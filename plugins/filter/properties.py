# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: properties
short_description: Parse a Java properties or environment file into a mapping
version_added: 0.1.0
description:
  - "Reads C(key=value) (or C(key: value)) lines; C(#) and C(!) lines are comments; the last occurrence of a key wins,
    as bbb-web reads C(/etc/bigbluebutton/bbb-web.properties)."
  - Values are returned as written, without resolving C(${...}) references.
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

from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.drift import parse_properties


def properties(text):
    return parse_properties(text)


class FilterModule:
    def filters(self):
        return {"properties": properties}
