# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.filter.node_label import FilterModule, node_label


def test_registered_under_its_name():
    assert FilterModule().filters() == {"node_label": node_label}


@pytest.mark.parametrize(
    ("hostname", "label"),
    [("bbb-01.example.com", "bbb-01"), ("meet.uni.example.org", "meet"), ("b1.example.com.", "b1")],
)
def test_first_dns_label(hostname, label):
    assert node_label(hostname) == label


@pytest.mark.parametrize(
    "hostname", ["https://bbb-01.example.com", "bbb-01", "BBB-01.example.com", "bbb 01.x.y", 7, ""]
)
def test_invalid_hostname_names_the_value_and_fix(hostname):
    with pytest.raises(AnsibleFilterError) as info:
        node_label(hostname)
    assert f"'{hostname}'" in str(info.value)
    assert "Fix:" in str(info.value)
