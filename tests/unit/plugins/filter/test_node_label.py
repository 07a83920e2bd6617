# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deprecated node_label filter is a thin wrapper of plugin_utils.cluster.node_label.

The derivation itself is tested in tests/unit/plugins/plugin_utils/test_cluster_paths.py.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.filter.node_label import FilterModule, node_label


def test_registered_under_its_name():
    assert FilterModule().filters() == {"node_label": node_label}


def test_gives_the_first_dns_label():
    assert node_label("bbb-01.example.com") == "bbb-01"


def test_invalid_hostname_is_a_filter_error_naming_the_value_and_fix():
    with pytest.raises(AnsibleFilterError) as info:
        node_label("https://bbb-01.example.com")
    assert "'https://bbb-01.example.com'" in str(info.value)
    assert "Fix: give the node's public FQDN" in str(info.value)
