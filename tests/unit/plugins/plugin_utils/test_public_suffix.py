# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The site of a hostname by the Public Suffix List, as browsers judge "same site" (trap T9), from either source."""

from __future__ import annotations

import json

import pytest
import yaml
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils import public_suffix
from ansible_collections.bbb.cluster_proxy.tests.unit.ansible_cli import ansible_cli

SYSTEM_FILE = public_suffix.SYSTEM_FILES[0]

# Pairs of hosts under a public suffix of the list's ICANN or PRIVATE section: two registrants, two sites. The rule
# of thumb on the last two or three labels that the list replaced took each pair for one site.
CROSS_SITE = [
    ("proxy.education.gouv.fr", "bbb-01.culture.gouv.fr"),
    ("proxy.sep.gob.mx", "bbb-01.unam.gob.mx"),
    ("proxy.mext.go.jp", "bbb-01.soumu.go.jp"),
    ("proxy.district-a.k12.ca.us", "bbb-01.district-b.k12.ca.us"),
    ("proxy.leeds.nhs.uk", "bbb-01.york.nhs.uk"),
    ("proxy-school.duckdns.org", "bbb-01-school.duckdns.org"),
    ("proxy-school.ddns.net", "bbb-01-school.ddns.net"),
    ("proxy-school.github.io", "bbb-01-school.github.io"),
    ("ec2-1-2-3-4.eu-west-1.compute.amazonaws.com", "ec2-5-6-7-8.eu-west-1.compute.amazonaws.com"),
    ("proxy.example.com", "bbb-01.example.org"),
    ("meet.uni.ac.uk", "bbb-01.other.ac.uk"),
]
SAME_SITE = [
    ("proxy.uni.ac.uk", "bbb-01.uni.ac.uk"),
    ("proxy.example.com", "bbb-01.example.com"),
    ("proxy.example.com", "bbb-01.rooms.example.com"),
    ("proxy.education.gouv.fr", "bbb-01.education.gouv.fr"),
    ("proxy.school.k12.ca.us", "bbb-01.rooms.school.k12.ca.us"),
    ("Proxy.Example.COM.", "bbb-01.example.com"),
]
REGISTRABLE = [
    ("bbb-01.uni.ac.uk", "uni.ac.uk"),
    ("bbb-01.rooms.example.com", "example.com"),
    ("bbb-01.education.gouv.fr", "education.gouv.fr"),
    ("bbb-01.school.k12.ca.us", "school.k12.ca.us"),
    ("bbb-01.leeds.nhs.uk", "leeds.nhs.uk"),
    ("proxy-school.duckdns.org", "proxy-school.duckdns.org"),
    ("a.b.proxy-school.github.io", "proxy-school.github.io"),
    ("ec2-1-2-3-4.eu-west-1.compute.amazonaws.com", "ec2-1-2-3-4.eu-west-1.compute.amazonaws.com"),
    ("bbb-01.lab.internal", "lab.internal"),  # a top-level domain the list does not know: the default rule *
    # a public suffix itself, and an IP address, have none: their site is the host itself
    ("gouv.fr", None),
    ("github.io", None),
    ("eu-west-1.compute.amazonaws.com", None),
    ("localhost", None),
    ("192.0.2.10", None),
    ("2001:db8::1", None),
]


@pytest.fixture
def fresh(monkeypatch):
    """An empty per-process cache, restored afterwards."""
    monkeypatch.setattr(public_suffix, "_LOADED", {})
    return monkeypatch


@pytest.fixture(scope="module")
def package():
    """The list as the controller reads it with the package, loaded once for the module (a load reads the list)."""
    assert public_suffix.PublicSuffixList is not None, (
        "the Python package publicsuffixlist is missing: pip install publicsuffixlist (requirements-test.txt)"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(public_suffix, "_LOADED", {})
        return public_suffix.load()


@pytest.fixture(scope="module")
def system_file():
    """The list as the controller reads it without the package: the system's file, loaded once for the module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(public_suffix, "_LOADED", {})
        patch.setattr(public_suffix, "PublicSuffixList", None)
        sites = public_suffix.load()
    assert sites.source.startswith(SYSTEM_FILE + " (system file, "), "apt-get install publicsuffix"
    return sites


@pytest.fixture(params=["package", "system_file"])
def sites(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize(("proxy", "node"), CROSS_SITE)
def test_cross_site(sites, proxy, node):
    assert sites.same_site(proxy, node) is False
    assert sites.same_site(node, proxy) is False
    assert sites.site(proxy) != sites.site(node)


@pytest.mark.parametrize(("proxy", "node"), SAME_SITE)
def test_same_site(sites, proxy, node):
    assert sites.same_site(proxy, node) is True


@pytest.mark.parametrize(("host", "registrable"), REGISTRABLE)
def test_registrable_domain_and_site(sites, host, registrable):
    assert sites.registrable_domain(host) == registrable
    assert sites.site(host) == (registrable or host)


def test_a_public_suffix_and_an_ip_are_their_own_site(sites):
    assert sites.same_site("github.io", "github.io")
    assert not sites.same_site("github.io", "school.github.io")
    assert sites.same_site("192.0.2.10", "192.0.2.10")
    assert not sites.same_site("192.0.2.10", "192.0.2.11")
    assert sites.site("[2001:db8::1]") == "2001:db8::1"


def test_idn_rules_match_punycode_hostnames(sites):
    # 公司.cn and 香港 (xn--j6w193g) are public suffixes; hostnames come in their ASCII (punycode) form
    assert sites.registrable_domain("bbb.example.xn--55qx5d.cn") == "example.xn--55qx5d.cn"
    assert sites.registrable_domain("bbb.example.xn--j6w193g") == "example.xn--j6w193g"


def test_the_source_of_the_package_names_its_version(package):
    assert package.source.startswith("publicsuffixlist ")
    assert package.source.endswith(" (PyPI package)")
    assert "unknown version" not in package.source


def test_the_list_is_loaded_once_per_process(fresh):
    first = public_suffix.load()
    assert public_suffix.load() is first
    public_suffix.clear_cache()
    assert public_suffix.load() is not first


def test_the_system_file_is_read_once(fresh, tmp_path):
    dat = tmp_path / "list.dat"
    dat.write_text("com\n")
    fresh.setattr(public_suffix, "PublicSuffixList", None)
    fresh.setattr(public_suffix, "SYSTEM_FILES", (str(dat),))
    first = public_suffix.load()
    dat.unlink()
    assert public_suffix.load() is first


def test_without_package_and_file_the_error_names_the_fix(fresh, tmp_path):
    fresh.setattr(public_suffix, "PublicSuffixList", None)
    empty = tmp_path / "empty.dat"
    empty.write_text("// only a comment\n")
    fresh.setattr(public_suffix, "SYSTEM_FILES", (str(tmp_path / "missing.dat"), str(empty)))
    with pytest.raises(public_suffix.NoPublicSuffixList) as info:
        public_suffix.load()
    message = str(info.value)
    assert "the Python package publicsuffixlist (not installed)" in message
    assert f"{tmp_path / 'missing.dat'} (No such file or directory)" in message
    assert f"{empty} (no rules in it)" in message
    assert message.endswith(
        "Fix: install the Python package publicsuffixlist on the controller (pip install publicsuffixlist) "
        "or the system package publicsuffix (apt-get install publicsuffix)"
    )
    assert public_suffix._LOADED == {}  # a failure is not cached: installing the list helps without a restart


# The parser of the system's file, on a list small enough to read: a wildcard (*.ck, *.kobe.jp) makes every label
# under it a public suffix, an exception (!www.ck) takes one label back out, the default rule * applies where no rule
# matches; the longest matching rule prevails, an exception over every rule.
SYNTHETIC = """\
// VERSION: 2099-01-01_00-00-00_UTC
// ===BEGIN ICANN DOMAINS===
com
uk
ac.uk
ck
*.ck
!www.ck
jp
kobe.jp
*.kobe.jp
!city.kobe.jp
// a rule is read up to its first white space
test.example   trailing words are no part of it
cn
公司.cn
// ===END ICANN DOMAINS===
// ===BEGIN PRIVATE DOMAINS===
github.io
*.compute.example.com
// ===END PRIVATE DOMAINS===
"""


@pytest.mark.parametrize(
    ("host", "registrable"),
    [
        ("com", None),
        ("example.com", "example.com"),
        ("a.b.example.com", "example.com"),
        ("ac.uk", None),
        ("uni.ac.uk", "uni.ac.uk"),
        ("bbb.uni.ac.uk", "uni.ac.uk"),
        ("co.uk", "co.uk"),  # not in this list: uk is the suffix
        ("ck", None),
        ("test.ck", None),  # *.ck
        ("b.test.ck", "b.test.ck"),
        ("www.ck", "www.ck"),  # !www.ck
        ("a.www.ck", "www.ck"),
        ("kobe.jp", None),
        ("c.kobe.jp", None),
        ("b.c.kobe.jp", "b.c.kobe.jp"),
        ("a.b.c.kobe.jp", "b.c.kobe.jp"),
        ("city.kobe.jp", "city.kobe.jp"),
        ("www.city.kobe.jp", "city.kobe.jp"),
        ("test.example", None),
        ("bbb.test.example", "bbb.test.example"),
        ("bbb.example.xn--55qx5d.cn", "example.xn--55qx5d.cn"),
        ("school.github.io", "school.github.io"),
        ("ec2-1.region.compute.example.com", "ec2-1.region.compute.example.com"),
        ("region.compute.example.com", None),
        ("bbb.example.unknowntld", "example.unknowntld"),  # default rule *
        ("unknowntld", None),
    ],
)
def test_the_parser_on_a_synthetic_list(fresh, tmp_path, host, registrable):
    dat = tmp_path / "public_suffix_list.dat"
    dat.write_text(SYNTHETIC, encoding="utf-8")
    fresh.setattr(public_suffix, "PublicSuffixList", None)
    fresh.setattr(public_suffix, "SYSTEM_FILES", (str(tmp_path / "missing.dat"), str(dat)))
    sites = public_suffix.load()
    assert sites.source == f"{dat} (system file, 2099-01-01_00-00-00_UTC)"
    assert sites.registrable_domain(host) == registrable


def test_the_parser_agrees_with_the_package_on_the_system_file():
    """Both read the same file: every rule as a host, with one label and with two in front."""
    assert public_suffix.PublicSuffixList is not None, "pip install publicsuffixlist"
    with open(SYSTEM_FILE, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    package = public_suffix.PublicSuffixList(lines)
    ours = public_suffix.SuffixRules(lines)
    hosts, wildcard_parents = [], set()
    for line in lines:
        words = line.split()
        if not words or words[0].startswith("//"):
            continue
        rule = ".".join(public_suffix._ace(label) for label in words[0].lstrip("!").split("."))
        if rule.startswith("*."):
            wildcard_parents.add(rule[2:])
        rule = rule.replace("*", "w")
        hosts += [rule, "a." + rule, "b.a." + rule, rule.split(".", 1)[-1]]
    assert len(hosts) > 20000
    differ = {h for h in hosts if package.privatesuffix(h) != ours.registrable_domain(h)}
    # One difference only, on hosts no node is named: the package also takes the parent of a wildcard rule (kobe.jp
    # of *.kobe.jp) for a public suffix where the list does not name it; the list's algorithm, which the parser
    # follows, gives kobe.jp (by the rule jp).
    assert differ <= wildcard_parents
    assert all(package.privatesuffix(h) is None and ours.registrable_domain(h) for h in differ)


# The inventory's validation (bbb_cluster, entry point validate, which preflight and every playbook run first) warns
# where a node is another site than the proxy.
PLAY = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_role: {name: bbb.cluster_proxy.bbb_cluster, tasks_from: validate}
"""


def validate(tmp_path, proxy, nodes):
    inventory = {
        "all": {
            "vars": {"bbb_cluster_proxy_hostname": proxy},
            "hosts": {"localhost": {"ansible_connection": "local"}},
            "children": {
                "bbb_proxy": {"hosts": {"proxy": {"ansible_connection": "local"}}},
                "bbb_nodes": {"hosts": {node: {"ansible_connection": "local"} for node in nodes}},
            },
        }
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(PLAY)
    done = ansible_cli("ansible-playbook", "-i", tmp_path / "inventory.yml", tmp_path / "play.yml")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return [
        json.loads(line.strip()[len('"msg": ') :])
        for line in done.stdout.splitlines()
        if line.strip().startswith('"msg": "WARNING: the proxy')
    ]


def test_validate_warns_where_a_node_is_another_site(tmp_path):
    (warning,) = validate(
        tmp_path,
        "proxy.education.gouv.fr",
        ["bbb-01.education.gouv.fr", "bbb-02.culture.gouv.fr", "bbb-03.example.org"],
    )
    assert warning.startswith(
        "WARNING: the proxy proxy.education.gouv.fr (registrable domain education.gouv.fr) and 2 node(s) are different"
        " sites: bbb-02.culture.gouv.fr (registrable domain culture.gouv.fr), bbb-03.example.org (registrable domain"
        " example.org). "
    )
    assert "bbb-01.education.gouv.fr (" not in warning  # the proxy's site
    assert "browsers that block third-party cookies (Safari, Firefox in strict mode, private windows)" in warning
    assert "fail to join (upstream bigbluebutton/bigbluebutton issue #25212)" in warning
    assert "Recommended: one registrable domain for the proxy and all nodes, e.g. bbb-01.education.gouv.fr." in warning
    assert warning.endswith(f"Sites by the Public Suffix List of {public_suffix.load().source}.")

    # quiet where every node is the proxy's site: every run of the lab (lab.test), e.g. molecule/workflows'
    # test_drift_reports_nothing_on_a_converged_cluster
