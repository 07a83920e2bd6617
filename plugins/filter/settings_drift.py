# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: settings_drift
short_description: List the settings whose current value differs from the wanted one
version_added: 0.1.0
description:
  - Compares every leaf of O(_input) (the wanted settings, nested mappings) with the same key of O(actual).
  - Keys are compared as dotted paths (C(public.app.basename)); O(actual) may be nested (YAML, JSON) or flat with
    dotted or plain keys (a properties file parsed with P(bbb.cluster_proxy.properties#filter)).
  - Scalars are compared as strings (C(true) equals V(True)), lists and mappings as a whole.
  - Deprecated, removed in 1.0.0. No role of the collection uses it any more; the drift entry point of the bbb_node
    role compares a node's files with P(bbb.cluster_proxy.node_files#module) and C(report=true).
options:
  _input:
    description: The wanted settings.
    type: dict
    required: true
  actual:
    description: The settings as they are on the host.
    type: dict
    required: true
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Compare bbb-html5.yml with the wanted keys
  ansible.builtin.debug:
    msg: "{{ {'public': {'app': {'basename': '/bbb-01/html5client'}}} | bbb.cluster_proxy.settings_drift(current) }}"
  vars:
    current: {public: {app: {basename: /html5client}}}
  # [{'key': 'public.app.basename', 'actual': '/html5client', 'expected': '/bbb-01/html5client'}]
"""

RETURN = r"""
_value:
  description: One entry per differing key, in the order of O(_input); empty when nothing differs.
  type: list
  elements: dict
  contains:
    key:
      description: Dotted path of the key.
      type: str
    actual:
      description: The current value, null where the key is missing.
      type: raw
    expected:
      description: The wanted value.
      type: raw
"""

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.drift import settings_drift as _settings_drift

display = Display()


def settings_drift(expected, actual):
    display.deprecated(
        "bbb.cluster_proxy.settings_drift is deprecated: Use the bbb.cluster_proxy.node_files module with "
        "report=true; its drift result names each key that differs from the wanted state.",
        version="1.0.0",
        collection_name="bbb.cluster_proxy",
    )
    try:
        return _settings_drift(actual, expected)
    except TypeError as exc:
        raise AnsibleFilterError(f"settings_drift: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"settings_drift": settings_drift}
