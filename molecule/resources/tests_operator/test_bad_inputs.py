# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad inventories and variables: each stops the run before any host changes, naming host, variable and fix.

Every case runs the site playbook (the acceptance playbook for its own
variables) against the converged lab with one mistake an operator makes: a
variable given with -e, or an extra inventory file layered over the lab's
(host variables, group membership). The whole lab is fingerprinted once before
the first case and after each: no file the roles manage or read, and no restart
record, may change (unchanged since the start is unchanged by each case).
"""

from __future__ import annotations

import json

import pytest
import yaml
from lab_runs import CONVERGE, NODES, PROXIES, flat, playbook, snapshot

N0, N1 = NODES[0], NODES[1]
L0 = N0.split(".", 1)[0]
PROXY = PROXIES[0]
FIX_LABEL = "Fix: set bbb_node_label to lowercase letters, digits and dashes"
FIX_PROXY = "Fix: set bbb_cluster_proxy_hostname once in the inventory"


def label_case(value, shown):
    return (
        ["-e", json.dumps({"bbb_node_label": value})],
        None,
        [f"host {N0}: bbb_node_label '{value}' {shown}", FIX_LABEL],
    )


CASES = {
    "duplicate-label": (
        [],
        {"all": {"hosts": {N1: {"bbb_node_label": L0}}}},
        [f"{N1}", f"share the path label '{L0}'", "Fix: set a distinct bbb_node_label"],
    ),
    "two-hostnames-same-first-label": (
        [],
        {"all": {"hosts": {N1: {"bbb_node_public_hostname": f"{L0}.other.example"}}}},
        [f"{N0}, {N1}" if N0 < N1 else f"{N1}, {N0}", f"share the path label '{L0}'", "bbb_node_label"],
    ),
    # a label that breaks a path, one that would inject into nginx, a path BBB uses; every other character and rule
    # of a label is unit-tested (tests/unit/plugins/filter/test_cluster_nodes.py: test_bad_label) on the same code
    "label-with-slash": label_case("bbb/01", "contains '/'"),
    "label-with-nginx-special-characters": label_case("bbb;$host", "contains"),
    "label-reserved-by-bbb": label_case("html5client", "is reserved (a path BBB uses itself)"),
    "retention-published-shorter-than-unpublished": (
        [],
        {"all": {"hosts": {N0: {"bbb_node_retention_published_days": 7}}}},
        [
            f"host {N0}: bbb_node_retention_published_days is 7, shorter than the 14 days the raw files of unmarked"
            " recordings are kept",
            "Fix: set bbb_node_retention_published_days to 14 or more",
        ],
    ),
    "empty-node-group": (
        ["-e", "bbb_cluster_nodes_group=no_such_group"],
        None,
        [
            "a node group 'no_such_group' (0 hosts)",
            "Fix the inventory, or set bbb_cluster_proxy_group / bbb_cluster_nodes_group",
        ],
    ),
    "missing-proxy-hostname": (
        ["-e", "bbb_cluster_proxy_hostname="],
        None,
        ["bbb_cluster_proxy_hostname: '' is empty", FIX_PROXY],
    ),
    "proxy-hostname-with-scheme": (
        ["-e", f"bbb_cluster_proxy_hostname=https://{PROXY}"],
        None,
        [f"bbb_cluster_proxy_hostname: 'https://{PROXY}' contains a scheme", FIX_PROXY],
    ),
    "proxy-hostname-with-path": (
        ["-e", f"bbb_cluster_proxy_hostname={PROXY}/bbb"],
        None,
        [f"bbb_cluster_proxy_hostname: '{PROXY}/bbb' contains a path", FIX_PROXY],
    ),
    "node-hostname-with-http-scheme": (
        [],
        {"all": {"hosts": {N0: {"bbb_node_public_hostname": f"http://{N0}"}}}},
        [f"host {N0}: bbb_node_public_hostname 'http://{N0}' contains a scheme", "Fix: set bbb_node_public_hostname"],
    ),
    "node-uses-the-proxy-hostname": (
        [],
        {"all": {"hosts": {N1: {"bbb_node_public_hostname": PROXY}}}},
        [
            f"host {N1}: public hostname '{PROXY}' is the proxy's hostname",
            "Fix: the proxy and each node need their own",
        ],
    ),
    "node-also-in-the-proxy-group": (
        [],
        {"all": {"children": {"bbb_proxy": {"hosts": {N0: {}}}}}},
        [f"(in both: {N0})", "Fix the inventory"],
    ),
    "unknown-bbb-version": (
        ["-e", "bbb_node_version=4.2"],
        None,
        [
            f"Host {N0}: BigBlueButton version '4.2' (from bbb_node_version) is not supported",
            "Supported: 2.6, 2.7, 3.0, 4.0",
        ],
    ),
    "non-boolean-flag": (
        ["-e", "bbb_node_restart=maybe"],
        None,
        [
            f"fatal: [{N0}]",
            "argument 'bbb_node_restart' is of type str and we were unable to convert to bool",
            "Valid booleans include",
        ],
    ),
    "value-not-among-the-choices": (
        ["-e", "bbb_node_session_cookie_same_site=lax"],
        None,
        [f"fatal: [{N0}]", "bbb_node_session_cookie_same_site must be one of: auto, none, default"],
    ),
    "batch-size-not-a-number": (
        ["-e", "bbb_cluster_serial=two"],
        None,
        ["bbb_cluster_serial is 'two'", "Fix: set bbb_cluster_serial"],
    ),
    "proxy-flag-not-boolean": (
        ["-e", "bbb_proxy_asset_cache=sometimes"],
        None,
        [f"fatal: [{PROXY}]", "argument 'bbb_proxy_asset_cache' is of type str and we were unable to convert to bool"],
    ),
}


@pytest.fixture(scope="module")
def lab_before():
    return snapshot()


@pytest.fixture
def extra_inventory(tmp_path):
    def write(data):
        path = tmp_path / "mistake.yml"
        path.write_text(yaml.safe_dump(data))
        return ["-i", str(path)]

    return write


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_stops_the_site_run_before_any_host_changes(case, extra_inventory, lab_before):
    args, inventory, expected = CASES[case]
    rc, output = playbook(CONVERGE, *args, *(extra_inventory(inventory) if inventory else []))
    text = flat(output)
    assert rc != 0, f"{case}: the run did not fail"
    for part in expected:
        assert part in text, f"{case}: '{part}' not in the output:\n{text[-2500:]}"
    # The proxy is configured only after every check, and its play validates its variables first.
    assert "TASK [bbb.cluster_proxy.bbb_proxy : Write" not in output
    assert "PLAY [Configure the BigBlueButton nodes]" not in output
    assert snapshot() == lab_before, f"{case}: a file on a host changed"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://lb.example.com/bigbluebutton/api", "got 'http://lb.example.com/bigbluebutton/api'"),
        ("https://lb.example.com/somewhere", "got 'https://lb.example.com/somewhere'"),
    ],
)
def test_acceptance_refuses_a_load_balancer_url_that_is_not_https_before_any_meeting(value, expected, lab_before):
    rc, output = playbook(
        "bbb.cluster_proxy.acceptance", "-e", f"bbb_cluster_lb_api_url={value}", "-e", "bbb_cluster_lb_secret=x"
    )
    text = flat(output)
    assert rc != 0
    assert "bbb_cluster_lb_api_url must be empty or the HTTPS URL of a load balancer's BBB API" in text
    assert expected in text and "Fix these variables" in text
    assert "PLAY [Walk through a class on every node]" not in output
    assert snapshot() == lab_before


def test_a_node_of_another_site_is_named_by_the_public_suffix_list(extra_inventory, lab_before):
    """gouv.fr is a public suffix: culture.gouv.fr and education.gouv.fr are two sites, which browsers keep apart and
    a rule of thumb on the last labels took for one (the session cookie kept bbb-web's SameSite, joins from the
    proxy's page failed). Validation warns, names each registrable domain and the list, and changes nothing."""
    rc, output = playbook(
        "bbb.cluster_proxy.validate",
        "-e",
        "bbb_cluster_proxy_hostname=proxy.education.gouv.fr",
        *extra_inventory({"all": {"hosts": {N0: {"bbb_node_public_hostname": "bbb-01.culture.gouv.fr"}}}}),
    )
    text = flat(output)
    assert rc == 0, text[-2500:]
    assert "WARNING: the proxy proxy.education.gouv.fr (registrable domain education.gouv.fr) and" in text
    assert "bbb-01.culture.gouv.fr (registrable domain culture.gouv.fr)" in text
    assert "their users fail to join (upstream bigbluebutton/bigbluebutton issue #25212)" in text
    assert "Recommended: one registrable domain for the proxy and all nodes, e.g. bbb-01.education.gouv.fr" in text
    assert "Sites by the Public Suffix List of publicsuffixlist " in text
    assert snapshot() == lab_before
