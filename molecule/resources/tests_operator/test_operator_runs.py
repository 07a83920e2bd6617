# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs of the site playbook as an operator makes them, against the converged lab (that a run without changes
changes nothing is Molecule's idempotence step of the scenario).

--check --diff shows a hand edit and changes nothing, and no run prints a shared
secret; bad input stops the run, with a message naming host, variable and fix,
before any host changes; a deferred restart applies the files without restarting.
Each test leaves every host byte-identical to how it found it.
"""

from __future__ import annotations

import pytest
from lab_runs import CONVERGE, NODES, host, playbook, snapshot


def site(*args):
    """Run the converge playbook (it imports bbb.cluster_proxy.site) like an operator."""
    return playbook(CONVERGE, *args)


@pytest.fixture
def untouched():
    """Assert that the test leaves every watched file on every host as it was."""
    before = snapshot()
    yield before
    assert snapshot() == before


def test_check_diff_shows_a_hand_edit_and_changes_nothing(untouched):
    node = host(NODES[-1])
    path = "/etc/bigbluebutton/bbb-web.properties"
    original = node.file(path).content_string
    edit = node.run(f"sed -i 's#^accessControlAllowOrigin=.*#accessControlAllowOrigin=https://wrong.example#' {path}")
    assert edit.rc == 0
    try:
        edited = snapshot()
        rc, output = site("--check", "--diff", "-v")
        assert rc == 0, output[-3000:]
        assert "-accessControlAllowOrigin=https://wrong.example" in output
        assert "+accessControlAllowOrigin=https://proxy.lab.test" in output
        # (site() asserts that no node's secret is in the output)
        assert snapshot() == edited, "--check changed a file"
    finally:
        node.run(f"cat > {path} <<'EOF_LAB'\n{original}EOF_LAB")
    assert node.file(path).content_string == original


def test_unsupported_version_stops_before_any_change(untouched):
    rc, output = site("-e", "bbb_node_version=3.1")
    assert rc != 0
    for node in NODES:
        assert (
            f"Host {node}: BigBlueButton version '3.1' (from bbb_node_version) is not supported. "
            "Supported: 2.6, 2.7, 3.0, 4.0." in " ".join(output.split())
        )
    assert "PLAY [Configure the cluster proxy]" not in output


def test_bad_labels_name_every_host_before_any_change(untouched):
    rc, output = site("-e", "bbb_node_label=BBB_01")
    assert rc != 0
    flat = " ".join(output.split())
    for node in NODES:
        assert f"host {node}: bbb_node_label 'BBB_01'" in flat
    assert "share the path label 'BBB_01'" not in flat or all(n in flat for n in NODES)
    assert "PLAY [Detect the BigBlueButton version of every node (read-only)]" not in output


def test_unverifiable_node_certificate_stops_before_the_nodes(untouched):
    # a leaf certificate is no CA for the nodes' certificates
    rc, output = site("-e", "bbb_proxy_upstream_ca_file=/etc/ssl/bbb-lab/proxy.lab.test.crt")
    assert rc != 0
    flat = " ".join(output.split())
    assert "Host proxy.lab.test: cannot verify https://" in flat
    assert "bbb_proxy_upstream_ca_file (/etc/ssl/bbb-lab/proxy.lab.test.crt)" in flat
    assert "PLAY [Configure the BigBlueButton nodes]" not in output


def test_missing_ca_file_names_the_variable(untouched):
    rc, output = site("-e", "bbb_proxy_upstream_ca_file=/nonexistent/ca.pem")
    assert rc != 0
    assert "bbb_proxy_upstream_ca_file '/nonexistent/ca.pem' does not exist" in " ".join(output.split())


def test_deferred_restart_applies_the_files_and_reports_the_restart():
    node = host(NODES[0])
    path = "/etc/bigbluebutton/bbb-html5.yml"
    restarts = node.file("/var/lib/bbb-conf-double/restarts.log").content_string
    original = node.file(path).content_string
    assert node.run(f"sed -i 's#basename: .*#basename: /html5client#' {path}").rc == 0
    rc, output = site("-e", "bbb_node_restart=false")
    assert rc == 0, output[-3000:]
    assert f"{NODES[0]}: the cluster-proxy configuration changed, but bbb_node_restart is false." in " ".join(
        output.split()
    )
    assert node.file("/var/lib/bbb-conf-double/restarts.log").content_string == restarts
    # the file holds the role's values again, exactly as before the edit
    assert node.file(path).content_string == original
