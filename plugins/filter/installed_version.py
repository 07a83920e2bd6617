# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: installed_version
short_description: The installed BigBlueButton release, from the release file or the package version
version_added: 0.2.0
description:
  - Reads the version from the text of C(/etc/bigbluebutton/bigbluebutton-release) (C(BIGBLUEBUTTON_RELEASE=3.0.30),
    what C(bbb-conf --check) reports); where there is no release file (input null), from the C(bigbluebutton)
    package's version (C(1:3.0-12) gives V(3.0)).
  - The bbb_node role's facts and the node's upgrade self-heal hook read the version with the same code
    (C(plugins/plugin_utils/bbb_release.py)), so they agree on what is installed.
options:
  _input:
    description: The release file's text, or null where the node has none.
    type: raw
    required: true
  package_version:
    description: The package's version as C(dpkg-query --showformat='${Version}') prints it.
    type: str
    default: ""
positional: package_version
author:
  - bbb.cluster_proxy contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: The version in the release file
  ansible.builtin.debug:
    msg: "{{ 'BIGBLUEBUTTON_RELEASE=3.0.30' | bbb.cluster_proxy.installed_version }}"  # 3.0.30

- name: No release file, the package's version
  ansible.builtin.debug:
    msg: "{{ none | bbb.cluster_proxy.installed_version('1:2.7.12-5') }}"  # 2.7
"""

RETURN = r"""
_value:
  description: The version, or an empty string where neither source names one.
  type: str
"""

from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.bbb_release import installed_version


class FilterModule:
    def filters(self):
        return {"installed_version": installed_version}
