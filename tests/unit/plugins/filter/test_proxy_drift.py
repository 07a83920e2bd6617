# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The proxy_drift filter is a thin wrapper of plugins/plugin_utils/drift.py's proxy_drift (whose messages are tested
in tests/unit/plugins/plugin_utils/test_drift.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.filter.proxy_drift import FilterModule, proxy_drift
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils import drift

CONF = "/etc/nginx/conf.d/bbb-cluster-proxy.conf"
LIVE = "location /bbb-01/html5client/ {\n"


def test_registered_under_its_name():
    assert FilterModule().filters() == {"proxy_drift": proxy_drift}


def test_gives_what_the_helper_gives():
    loaded = {"valid": True, "error": "", "included": False, "conflicts": [], "stale": True}
    args = (CONF, LIVE, LIVE + "\n", ["bbb-01", "bbb-02"], loaded, "proxy.example.com")
    assert proxy_drift(*args) == drift.proxy_drift(*args)
    assert len(proxy_drift(*args)) == 3


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="proxy_drift: loaded must be the result of"):
        proxy_drift(CONF, LIVE, LIVE, ["bbb-01"], ["not", "a", "result"], "proxy.example.com")
