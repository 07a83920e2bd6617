# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: version_family
short_description: The BigBlueButton version family of a version, with its capabilities
version_added: 0.2.0
description:
  - Returns the version family that covers a BigBlueButton version (its major.minor), as the node role's data files
    C(roles/bbb_node/vars/family_*.yml) declare it, with the family's public capabilities.
  - The families are data only; adding a file there adds a family, without a change to any code.
  - P(bbb.cluster_proxy.cluster_nodes#filter) gives every node its family the same way.
options:
  _input:
    description: A BigBlueButton version such as V(3.0), V(3.0.30) or V(2.7.12); null or empty for an unknown one.
    type: str
    required: true
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Show the family of a version
  ansible.builtin.debug:
    msg: "{{ ('3.0.30' | bbb.cluster_proxy.version_family).name }}"  # 3.0
"""

RETURN = r"""
_value:
  description: The family; its C(name) is null where no supported family covers the version.
  type: dict
  contains:
    name:
      description: The family's name, null for an unsupported version.
      type: str
      sample: "3.0"
    versions:
      description: The major.minor versions the family covers.
      type: list
      elements: str
    capabilities:
      description:
        - What the family's nodes have, for the roles and playbooks (for example C(proxy_api_location), C(graphql),
          C(guest_lobby_on_node), C(join_suffix)); see C(docs/versions.md).
      type: dict
    logs:
      description:
        - Where the family's components log, for the log bundle (P(bbb.cluster_proxy.log_collect#module) sources
          C(name) with C(path) (a glob) or C(unit) (a journal unit), C(meetings) on bbb-web's log).
      type: list
      elements: dict
    vars_file:
      description: The family's data file in the node role's C(vars/).
      type: str
    supported:
      description: Every supported major.minor version, in version order.
      type: list
      elements: str
"""

from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.families import (
    family_of,
    load_families,
    supported_versions,
)


def version_family(version):
    families = load_families()
    family = family_of(version, families) or {
        "name": None,
        "versions": [],
        "capabilities": {},
        "logs": [],
        "vars_file": None,
    }
    return dict(family, supported=supported_versions(families))


class FilterModule:
    def filters(self):
        return {"version_family": version_family}
