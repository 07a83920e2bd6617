# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.filter.cluster_nodes import FilterModule, cluster_nodes
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils import public_suffix

PROXY = "proxy.example.com"
SITE_SOURCE = public_suffix.load().source  # the package publicsuffixlist here, else the system's list file


def problems(hosts, hostvars, proxy=PROXY):
    with pytest.raises(AnsibleFilterError) as info:
        cluster_nodes(hosts, hostvars, proxy)
    return str(info.value)


class HostVarsLike:
    """Mimics Ansible's HostVars: item access per host, ``in`` and item access per variable, no ``.get``."""

    class _Vars:
        def __init__(self, data):
            self._data = data

        def __contains__(self, key):
            return key in self._data

        def __getitem__(self, key):
            return self._data[key]

    def __init__(self, data):
        self._data = data

    def __getitem__(self, host):
        return self._Vars(self._data.get(host, {}))


def test_registered_under_its_name():
    assert FilterModule().filters() == {"cluster_nodes": cluster_nodes}


def test_two_nodes_exact_output_sorted_by_label():
    result = cluster_nodes(["bbb-02.example.com", "bbb-01.example.com"], {}, PROXY)
    assert result == [
        {
            "inventory_hostname": "bbb-01.example.com",
            "hostname": "bbb-01.example.com",
            "label": "bbb-01",
            "basename": "/bbb-01/html5client",
            "node_origin": "https://bbb-01.example.com",
            "proxy_origin": "https://proxy.example.com",
            "client_url": "https://proxy.example.com/bbb-01/html5client/",
            "join_url": "https://proxy.example.com/bbb-01/html5client/",
            "guest_url": "https://proxy.example.com/bbb-01/html5client/",
            "same_site": True,
            "site": "example.com",
            "proxy_site": "example.com",
            "site_source": SITE_SOURCE,
            "version": None,
            "family": None,
            "capabilities": {},
            "vars_file": None,
            "logs": [],
        },
        {
            "inventory_hostname": "bbb-02.example.com",
            "hostname": "bbb-02.example.com",
            "label": "bbb-02",
            "basename": "/bbb-02/html5client",
            "node_origin": "https://bbb-02.example.com",
            "proxy_origin": "https://proxy.example.com",
            "client_url": "https://proxy.example.com/bbb-02/html5client/",
            "join_url": "https://proxy.example.com/bbb-02/html5client/",
            "guest_url": "https://proxy.example.com/bbb-02/html5client/",
            "same_site": True,
            "site": "example.com",
            "proxy_site": "example.com",
            "site_source": SITE_SOURCE,
            "version": None,
            "family": None,
            "capabilities": {},
            "vars_file": None,
            "logs": [],
        },
    ]


def test_overrides_from_hostvars_object():
    hostvars = HostVarsLike(
        {
            "node-a": {
                "bbb_node_public_hostname": "meet1.uni.example",
                "bbb_node_label": "room-a",
                "bbb_node_version": 3.0,
            },
            "node-b": {"bbb_node_public_hostname": "meet2.uni.example", "bbb_node_version": "3.0.30"},
        }
    )
    result = cluster_nodes(["node-a", "node-b"], hostvars, PROXY)
    assert [(n["inventory_hostname"], n["hostname"], n["label"], n["version"]) for n in result] == [
        ("node-b", "meet2.uni.example", "meet2", "3.0.30"),
        ("node-a", "meet1.uni.example", "room-a", "3.0"),
    ]
    assert result[1]["client_url"] == "https://proxy.example.com/room-a/html5client/"
    assert result[1]["node_origin"] == "https://meet1.uni.example"


def test_family_and_capabilities_from_the_given_or_the_detected_version():
    hostvars = {
        "bbb-01.example.com": {"bbb_node_version": "2.7.12", "bbb_node_detected_version": "3.0"},
        "bbb-02.example.com": {"bbb_node_detected_version": "3.0.30"},
        "bbb-03.example.com": {"bbb_node_detected_version": "2.5.1"},
    }
    result = cluster_nodes(sorted(hostvars), hostvars, PROXY)
    assert [(n["version"], n["family"], n["vars_file"]) for n in result] == [
        ("2.7.12", "2.x", "family_2.x.yml"),
        ("3.0.30", "3.0", "family_3.0.yml"),
        ("2.5.1", None, None),
    ]
    assert result[0]["capabilities"] == {
        "join_suffix": "join",
        "proxy_api_location": False,
        "graphql": False,
        "livekit": False,
        "sip_audio": True,
        "guest_lobby_on_node": True,
    }
    assert result[1]["capabilities"]["proxy_api_location"] is True


@pytest.mark.parametrize("hosts", [[], None])
def test_empty_group(hosts):
    message = problems(hosts, {})
    assert "bbb_cluster_nodes_group" in message
    assert "no hosts" in message


@pytest.mark.parametrize(
    ("proxy", "why"),
    [
        ("", "is empty"),
        ("https://proxy.example.com", "scheme"),
        ("proxy.example.com/bbb", "path"),
        ("proxy.example.com:8443", "port"),
        ("Proxy.example.com", "uppercase"),
        ("proxy example.com", "white space"),
        ("proxy", "fully qualified"),
        ("proxy_1.example.com", "invalid DNS label"),
    ],
)
def test_bad_proxy_hostname(proxy, why):
    message = problems(["bbb-01.example.com"], {}, proxy)
    assert "bbb_cluster_proxy_hostname" in message
    assert f"'{proxy}'" in message
    assert why in message
    assert "Fix:" in message


@pytest.mark.parametrize(
    ("label", "why"),
    [
        ("bbb/01", "'/'"),
        ("bbb.01", "'.'"),
        ("bbb 01", "' '"),
        ("bbb-0[1]", "'['"),
        ("bbb$1", "'$'"),
        ("bbb;1", "';'"),
        ("bbb{1}", "'{'"),
        ("bbb~1", "'~'"),
        ("BBB-01", "'B'"),
        ("-bbb", "starts or ends with '-'"),
        ("", "is empty"),
        ("a" * 64, "longer than 63"),
        ("html5client", "reserved"),
        ("bigbluebutton", "reserved"),
    ],
)
def test_bad_label(label, why):
    message = problems(["bbb-01.example.com"], {"bbb-01.example.com": {"bbb_node_label": label}})
    assert "host bbb-01.example.com: bbb_node_label" in message
    assert why in message
    assert "Fix:" in message


@pytest.mark.parametrize("label", [1, ["a"], {"a": 1}])
def test_non_string_label(label):
    message = problems(["bbb-01.example.com"], {"bbb-01.example.com": {"bbb_node_label": label}})
    assert "not a string" in message


def test_bad_node_hostname():
    message = problems(["BBB-01.example.com"], {})
    assert "host BBB-01.example.com: inventory_hostname" in message
    assert "uppercase" in message
    assert "bbb_node_public_hostname" in message


def test_same_first_label_on_two_domains():
    message = problems(["bbb-01.a.example.com", "bbb-01.b.example.com"], {})
    assert "hosts bbb-01.a.example.com, bbb-01.b.example.com: share the path label 'bbb-01'" in message
    assert "bbb_node_label" in message


def test_duplicate_label_override_and_public_hostname():
    hostvars = {
        "n1": {"bbb_node_public_hostname": "bbb-01.example.com"},
        "n2": {"bbb_node_public_hostname": "bbb-01.example.com", "bbb_node_label": "other"},
        "n3": {"bbb_node_public_hostname": "bbb-03.example.com", "bbb_node_label": "bbb-01"},
    }
    message = problems(["n1", "n2", "n3"], hostvars)
    assert "hosts n1, n3: share the path label 'bbb-01'" in message
    assert "hosts n1, n2: share the public hostname 'bbb-01.example.com'" in message


def test_node_with_the_proxy_hostname():
    message = problems(["proxy.example.com"], {})
    assert "host proxy.example.com" in message
    assert "is the proxy's hostname" in message


@pytest.mark.parametrize("version", [["3.0"], {"v": 3}, "three", True])
def test_bad_version(version):
    message = problems(["bbb-01.example.com"], {"bbb-01.example.com": {"bbb_node_version": version}})
    assert "host bbb-01.example.com: bbb_node_version" in message


def test_every_problem_is_reported_at_once():
    hostvars = {"b.example.com": {"bbb_node_label": "B"}, "c.example.com": {"bbb_node_label": "x y"}}
    message = problems(["b.example.com", "c.example.com"], hostvars, "https://p.example.com")
    assert message.startswith("Invalid BBB cluster inventory (3 problems)")
    assert "bbb_cluster_proxy_hostname" in message
    assert "host b.example.com" in message
    assert "host c.example.com" in message


@pytest.mark.parametrize(
    "proxy, node, same_site",
    [
        ("proxy.example.com", "bbb-01.example.com", True),
        ("proxy.example.com", "bbb-01.rooms.example.com", True),
        ("proxy.example.com", "bbb-01.example.org", False),
        ("meet.uni.ac.uk", "bbb-01.uni.ac.uk", True),
        ("meet.uni.ac.uk", "bbb-01.other.ac.uk", False),  # ac.uk is a public suffix, not a site (T9)
        ("meet.school.de", "bbb-01.hoster.de", False),
        ("proxy.example.com.", "BBB-01.Example.COM", True),
        # public suffixes the former rule of thumb on the last labels took for sites (Public Suffix List, T9)
        ("proxy.education.gouv.fr", "bbb-01.culture.gouv.fr", False),
        ("proxy.sep.gob.mx", "bbb-01.unam.gob.mx", False),
        ("proxy.mext.go.jp", "bbb-01.soumu.go.jp", False),
        ("proxy.a.k12.ca.us", "bbb-01.b.k12.ca.us", False),
        ("proxy.leeds.nhs.uk", "bbb-01.york.nhs.uk", False),
        ("proxy-school.duckdns.org", "bbb-01-school.duckdns.org", False),
        ("proxy-school.ddns.net", "bbb-01-school.ddns.net", False),
        ("proxy-school.github.io", "bbb-01-school.github.io", False),
        (
            "ec2-198-51-100-1.eu-west-1.compute.amazonaws.com",
            "ec2-198-51-100-2.eu-west-1.compute.amazonaws.com",
            False,
        ),
        ("proxy.education.gouv.fr", "bbb-01.education.gouv.fr", True),
    ],
)
def test_same_site_per_registrable_domain(proxy, node, same_site):
    """T9: the session cookie needs SameSite=None only where proxy and node are different sites (as browsers judge)."""
    hostvars = {"n": {"bbb_node_public_hostname": node.lower(), "bbb_node_label": "bbb-01"}}
    (entry,) = cluster_nodes(["n"], hostvars, proxy.rstrip("."))
    assert entry["same_site"] is same_site
    assert (entry["site"] == entry["proxy_site"]) is same_site
    assert entry["site_source"] == SITE_SOURCE


def test_without_a_public_suffix_list_the_filter_names_the_fix(monkeypatch):
    monkeypatch.setattr(public_suffix, "_LOADED", {})
    monkeypatch.setattr(public_suffix, "PublicSuffixList", None)
    monkeypatch.setattr(public_suffix, "SYSTEM_FILES", ("/nonexistent/public_suffix_list.dat",))
    message = problems(["bbb-02.example.com", "bbb-01.example.org"], {})
    assert message.startswith("Invalid BBB cluster inventory (1 problem)")
    assert "controller: no Public Suffix List" in message
    assert "/nonexistent/public_suffix_list.dat (No such file or directory)" in message
    assert "proxy 'proxy.example.com' (bbb_cluster_proxy_hostname)" in message
    assert "nodes (bbb-01.example.org, bbb-02.example.com)" in message
    assert "bbb_node_session_cookie_same_site" in message
    assert (
        "Fix: install the Python package publicsuffixlist on the controller (pip install publicsuffixlist)" in message
    )
    assert "or the system package publicsuffix" in message
