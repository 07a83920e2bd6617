# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of plugins/plugin_utils/cluster.py that the deprecated filters node_label and prefix_locations wrap.

The cluster as a whole (cluster_nodes) is tested in tests/unit/plugins/filter/test_cluster_nodes.py.
"""

from __future__ import annotations

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster import (
    ClusterError,
    node_label,
    prefix_locations,
)


@pytest.mark.parametrize(
    ("hostname", "label"),
    [("bbb-01.example.com", "bbb-01"), ("meet.uni.example.org", "meet"), ("b1.example.com.", "b1")],
)
def test_first_dns_label(hostname, label):
    assert node_label(hostname) == label


@pytest.mark.parametrize(
    ("hostname", "why"),
    [
        ("https://bbb-01.example.com", "scheme"),
        ("bbb-01", "not a fully qualified domain name"),
        ("BBB-01.example.com", "uppercase"),
        ("bbb 01.x.y", "white space"),
        (7, "not a string"),
        ("", "empty"),
    ],
)
def test_invalid_hostname_names_the_value_and_why(hostname, why):
    with pytest.raises(ClusterError) as info:
        node_label(hostname)
    (problem,) = info.value.problems
    assert f"'{hostname}'" in problem and why in problem


def test_prefix_locations_reports_the_copy_problem_as_a_cluster_problem():
    assert prefix_locations("location /html5client {\n}\n", "/n/html5client") == "location /n/html5client {\n}\n"
    with pytest.raises(ClusterError) as info:
        prefix_locations("location @x {\n}\n", "/n/html5client")
    assert info.value.problems == ["prefix_locations: the nginx text has no location starting with /html5client"]
