# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""browser_walkthrough's interface without a browser: what it refuses, the capabilities each node brings (the
deprecated family), the secrets it never returns. Its parts are tested in tests/unit/plugins/module_utils/
(test_walkthrough_*.py); the walk-through itself (Chromium against the stand-in client) runs in the workflows Molecule
scenario.
"""

from __future__ import annotations

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.modules import browser_walkthrough as walkthrough
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.families import load_families

CAPABILITIES_30 = {
    "join_suffix": "",
    "proxy_api_location": True,
    "graphql": True,
    "livekit": True,
    "guest_lobby_on_node": False,
}


def a_node(**options):
    node = {
        "name": "n", "hostname": "n.example.com", "client_url": "https://p/n/html5client/",
        "guest_url": "https://p/n/html5client/", "api_url": "https://n.example.com/bigbluebutton/api",
        "api_secret": "node-secret-x",
    }  # fmt: skip
    node.update(options)
    return node


@pytest.fixture
def walked(run_module, monkeypatch, tmp_path):
    """walked(*nodes) runs the module with the walk itself replaced; (failed, result, raw, params it walked with)."""
    seen = {}

    def run_walkthrough(module, params):
        seen.update(params)
        return {node["name"]: [] for node in params["nodes"]}, {"junit": "j", "html": "h", "nodes": {}}

    monkeypatch.setattr(walkthrough, "run_walkthrough", run_walkthrough)

    def walk(*nodes, **options):
        args = {"nodes": list(nodes), "proxy_origin": "https://p", "report_dir": str(tmp_path), "chromium": "/bin/true"}
        return (*run_module(walkthrough.main, dict(args, **options)), seen)

    return walk


def deprecations(result):
    """(message, version, collection) of every deprecation, as ansible-core before and since 2.19 returns them."""
    return [
        (d["msg"], d["version"], d["collection_name"])
        if "msg" in d
        else (d["event"]["msg"], d["version"], d["deprecator"]["resolved_name"])
        for d in result.get("deprecations", [])
    ]


def test_without_playwright_it_fails_with_what_to_install(run_module, monkeypatch):
    monkeypatch.setattr(walkthrough, "HAS_PLAYWRIGHT", False)
    failed, result, _unused = run_module(
        walkthrough.main, {"nodes": [], "proxy_origin": "https://p", "report_dir": "/tmp/x"}
    )
    assert failed and "playwright" in result["msg"] and "playwright install chromium" in result["msg"]


@pytest.mark.parametrize("capabilities", [{"graphql": False}, CAPABILITIES_30])
def test_node_secrets_are_never_returned(walked, capabilities):
    lb = {"url": "https://lb/bigbluebutton/api", "secret": "lb-secret-x"}
    failed, result, raw, _params = walked(a_node(capabilities=capabilities), load_balancer=lb)
    assert not failed, result
    assert "node-secret-x" not in raw and "lb-secret-x" not in raw


@pytest.mark.parametrize("name", sorted(load_families()))
def test_every_family_files_capabilities_are_taken_as_they_are(walked, name):
    """The cluster entry's capabilities, as roles/bbb_node/vars/family_<name>.yml declares them, without a warning."""
    capabilities = load_families()[name]["capabilities"]
    failed, result, _raw, params = walked(a_node(capabilities=capabilities))
    assert not failed, result
    assert params["nodes"][0]["capabilities"] == capabilities
    assert not deprecations(result)


def test_a_fake_family_runs_from_its_capabilities_alone(walked):
    """Versions are data: a family the module never heard of, with a capability it does not read, and a string
    boolean as a survey or -e gives it."""
    fake = {"graphql": "yes", "teleport": True, "join_suffix": "enter"}
    failed, result, _raw, params = walked(a_node(capabilities=fake))
    assert not failed, result
    assert params["nodes"][0]["capabilities"] == {"graphql": True, "teleport": True, "join_suffix": "enter"}


def test_without_graphql_the_capability_is_off(walked):
    """A cluster entry whose version is not known yet has no capabilities (plugin_utils/cluster.py)."""
    failed, result, _raw, params = walked(a_node(capabilities={}))
    assert not failed, result
    assert params["nodes"][0]["capabilities"] == {"graphql": False}


def test_a_graphql_that_is_no_boolean_is_refused(walked):
    failed, result, _raw, _params = walked(a_node(capabilities={"graphql": "maybe"}))
    assert failed and result["msg"] == "nodes[n]: capabilities.graphql is 'maybe', not a boolean"


def test_a_node_needs_capabilities_or_family(walked):
    failed, result, _raw, _params = walked(a_node())
    assert failed and "capabilities" in result["msg"] and "family" in result["msg"], result["msg"]


@pytest.mark.parametrize(("family", "capabilities"), sorted(walkthrough.FAMILY_CAPABILITIES.items()))
def test_the_deprecated_family_alone_maps_to_its_capabilities(walked, family, capabilities):
    failed, result, _raw, params = walked(a_node(family=family))
    assert not failed, result
    assert params["nodes"][0]["capabilities"] == capabilities
    # ansible-core before 2.19 keeps deprecations in a process-wide list: earlier tests' may be there too
    assert any(
        "nodes[].family is deprecated (given for n)" in message
        and (version, collection) == ("1.0.0", "bbb.cluster_proxy")
        for message, version, collection in deprecations(result)
    )


def test_the_deprecated_family_is_ignored_beside_capabilities(walked):
    failed, result, _raw, params = walked(a_node(family="3.0", capabilities={"graphql": False}))
    assert not failed, result
    assert params["nodes"][0]["capabilities"] == {"graphql": False}
    assert any("Where both are given, family is ignored" in message for message, _v, _c in deprecations(result))


def test_the_deprecated_family_takes_no_new_name(walked):
    failed, result, _raw, _params = walked(a_node(family="3.1"))
    assert failed and result["msg"].startswith("nodes[n]: family '3.1' is not one the deprecated option knows"), result


def test_the_deprecated_familys_capabilities_are_those_of_the_family_files():
    """The shim for the deprecated option copies what the family files say; nothing else may stand there."""
    families = load_families()
    for name, capabilities in walkthrough.FAMILY_CAPABILITIES.items():
        assert {key: families[name]["capabilities"][key] for key in capabilities} == capabilities, name


def test_the_accessibility_threshold_defaults_to_report_only(walked):
    failed, result, _raw, params = walked(a_node(capabilities={"graphql": True}))
    assert not failed, result
    assert params["accessibility_fail_on"] == "none"
    failed, result, _raw, params = walked(a_node(capabilities={"graphql": True}), accessibility_fail_on="serious")
    assert not failed and params["accessibility_fail_on"] == "serious"


def test_an_accessibility_threshold_that_is_no_impact_is_refused(walked):
    failed, result, _raw, _params = walked(a_node(capabilities={"graphql": True}), accessibility_fail_on="severe")
    assert failed and "accessibility_fail_on" in result["msg"]
    assert "none, minor, moderate, serious, critical" in result["msg"], result["msg"]
