# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: prefix_locations
short_description: Prefix the html5client locations of a BigBlueButton nginx file with a node's basename
version_added: 0.1.0
description:
  - Rewrites every nginx C(location) whose path starts with C(/html5client) so that it starts with the node's
    basename instead (C(location /html5client/locales) becomes C(location /bbb-01/html5client/locales)), keeping
    modifiers (C(=), C(^~)) and anchored regex locations (C(~ ^/html5client/...)).
  - Leaves the named location C(@html5client), C(alias) and C(proxy_pass) targets, comments and all other lines unchanged.
  - Fails when the text has no C(/html5client) location, or when the basename is not of the form C(/<label>/html5client).
  - Deprecated, removed in 1.0.0. No role of the collection uses it any more; the bbb_node role writes the node's
    prefixed copy as an entry of format C(nginx) of P(bbb.cluster_proxy.node_files#module), and the node's self-heal
    hook uses the same derivation (C(plugins/plugin_utils/nginx_copy.py)).
options:
  _input:
    description: Text of the package's nginx file (for BBB 3.0 C(bbb-html5.nginx.static)).
    type: str
    required: true
  basename:
    description: The node's client basename, for example C(/bbb-01/html5client).
    type: str
    required: true
  drop_named:
    description:
      - Leave out named locations such as C(location @html5client). Use it for a prefixed copy that is included
        next to the package's own file, where nginx would refuse a second named location of the same name.
    type: bool
    default: false
positional: basename, drop_named
author:
  - bbb.cluster_proxy maintainers
"""

EXAMPLES = r"""
- name: Prefix the node's client locations
  ansible.builtin.set_fact:
    locations: "{{ static_text | bbb.cluster_proxy.prefix_locations('/bbb-01/html5client') }}"
"""

RETURN = r"""
_value:
  description: The text with the prefixed locations.
  type: str
"""

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster import ClusterError
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster import prefix_locations as _prefix_locations

display = Display()


def prefix_locations(text, basename, drop_named=False):
    display.deprecated(
        "bbb.cluster_proxy.prefix_locations is deprecated: Use the bbb.cluster_proxy.node_files module with "
        "an entry of format nginx (source, basename, drop_named), which also tests the copy with nginx -t "
        "before it goes live.",
        version="1.0.0",
        collection_name="bbb.cluster_proxy",
    )
    try:
        return _prefix_locations(text, basename, drop_named=bool(drop_named))
    except ClusterError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"prefix_locations": prefix_locations}
