# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.filter.scalelite_servers import FilterModule, scalelite_servers

# The shape of GET /scalelite/api/getServers (servers_controller.rb server_to_json, Scalelite v1.8.5).
ANSWER = [
    {
        "id": "7c3b6ad4-63a4-4c4a-9c11-3f0f6f2b0a51",
        "url": "https://BBB-01.example.com/bigbluebutton/api/",
        "secret": "node-secret-one",
        "tag": "",
        "bbb_version": "3.0.30",
        "state": "enabled",
        "load": 15.0,
        "load_multiplier": "1.0",
        "online": "online",
    },
    {
        "id": "bbb-02",
        "url": "https://bbb-02.example.com/bigbluebutton/api",
        "secret": "node-secret-two",
        "state": "cordoned",
        "load": "unavailable",
        "online": "offline",
    },
    {"id": 3, "url": "https://bbb-03.example.com/bigbluebutton/api", "secret": "node-secret-three", "enabled": False},
]


def test_registered_under_its_name():
    assert FilterModule().filters() == {"scalelite_servers": scalelite_servers}


def test_every_server_without_its_secret():
    servers = scalelite_servers(ANSWER)
    assert [s["id"] for s in servers] == ["7c3b6ad4-63a4-4c4a-9c11-3f0f6f2b0a51", "bbb-02", "3"]
    assert all(set(s) == {"id", "url", "state", "online"} for s in servers)
    assert "node-secret" not in repr(servers)
    assert servers[2]["state"] == "disabled"  # no state: the legacy enabled flag, as server_to_json


@pytest.mark.parametrize(
    "origin", ["https://bbb-01.example.com", "https://bbb-01.example.com/", "HTTPS://bbb-01.EXAMPLE.com"]
)
def test_the_node_by_its_api_url(origin):
    assert [s["id"] for s in scalelite_servers(ANSWER, node_origin=origin)] == ["7c3b6ad4-63a4-4c4a-9c11-3f0f6f2b0a51"]


def test_a_node_scalelite_does_not_know():
    assert scalelite_servers(ANSWER, node_origin="https://bbb-09.example.com") == []
    assert scalelite_servers(ANSWER, node_origin="https://bbb-01.example.com:8443") == []
    assert scalelite_servers([], node_origin="https://bbb-01.example.com") == []


def test_the_id_wins_over_the_url():
    found = scalelite_servers(ANSWER, node_origin="https://bbb-01.example.com", server_id="bbb-02")
    assert found == [
        {
            "id": "bbb-02",
            "url": "https://bbb-02.example.com/bigbluebutton/api",
            "state": "cordoned",
            "online": "offline",
        }
    ]
    assert scalelite_servers(ANSWER, server_id="nope") == []


def test_two_servers_with_the_node_url_are_both_returned():
    twice = [*ANSWER, dict(ANSWER[0], id="again")]
    assert len(scalelite_servers(twice, node_origin="https://bbb-01.example.com")) == 2


@pytest.mark.parametrize("answer", [{"error": "No servers are configured"}, "<response/>", None])
def test_not_a_list_names_the_fix(answer):
    with pytest.raises(AnsibleFilterError, match="Fix: pass the parsed JSON of GET /scalelite/api/getServers"):
        scalelite_servers(answer)
