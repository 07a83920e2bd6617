# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operator workflows (playbooks called by FQCN) against the converged lab, step 1: drift and preflight.

test_workflows_1_*.py to test_workflows_7_*.py are one sequence, in the order an operator uses the playbooks,
split by concern: the tests build on each other and run in the order of their file names (Molecule sorts the test
paths, ../molecule.yml), after the shared suite, which counts the restarts of converge alone. Here the first test
takes ``clean_state`` (conftest.py, once for the sequence); preflight records the rollback point POINT that
test_workflows_2 restores; the drift of hand edits leaves room-a's bbb-web.properties and room-b's bbb-html5.yml
hand-edited for the rollout of test_workflows_2.
"""

from __future__ import annotations

import json

from lab_runs import HOSTS, address, edit, flat, host, playbook, snapshot

from .workflows_lab import (
    HTML5,
    POINT,
    PROPERTIES,
    PROXY,
    RETENTION,
    ROOM_A,
    ROOM_B,
    lb_args,
    lb_secret,
    managed_snapshot,
)


def test_drift_reports_nothing_on_a_converged_cluster(clean_state):
    rc, output = playbook("bbb.cluster_proxy.drift", "-vvv")  # also the secret check at -vvv (test_workflows_8)
    assert rc == 0, output[-3000:]
    assert "No drift: the proxy and every node agree with the inventory." in output
    assert "are different sites" not in output  # proxy and nodes under lab.test: one site, validation is quiet


def test_preflight_checks_and_records_a_rollback_point(clean_state):
    """With the load balancer set, each node's line also says whether its recordings reach Scalelite: room-b's
    operator has not installed Scalelite's scalelite_post_publish.rb (a finding, not a reason to stop)."""
    script = "/usr/local/bigbluebutton/core/scripts/post_publish/scalelite_post_publish.rb"
    assert host(ROOM_B).run(f"mv {script} /root/scalelite_post_publish.rb").rc == 0
    try:
        rc, output = playbook(
            "bbb.cluster_proxy.preflight",
            *("-e", f"bbb_cluster_rollback_id={POINT}", "-e", "bbb_cluster_operator=lab-ci", *lb_args()),
            "-vvv",  # also the secret check at -vvv (test_workflows_8), the load balancer's secret too
        )
    finally:
        assert host(ROOM_B).run(f"mv /root/scalelite_post_publish.rb {script}").rc == 0
    assert rc == 0, output[-3000:]
    assert lb_secret() not in output
    text = flat(output)
    assert f"Rollback point {POINT} recorded on every host" in text
    assert f"ansible-playbook bbb.cluster_proxy.rollback -e bbb_rollback_id={POINT}" in text
    assert f"{ROOM_A}: BBB 3.0.30, bbb-conf --check ok" in text
    assert f"{ROOM_B}: BBB 2.7.12, bbb-conf --check ok" in text
    assert "recordings: every published one handed to Scalelite; 0 not published yet (waiting for processing)" in text
    assert (
        f"recordings: none can reach Scalelite: no {script}: nothing hands this node's recordings to Scalelite" in text
    )
    assert f"{PROXY}: every node reachable and verified over HTTPS, certificate valid until" in text
    for name in HOSTS:
        manifest = json.loads(host(name).file(f"/var/backups/bbb-cluster-proxy/{POINT}/manifest.json").content_string)
        assert manifest["operator"] == "lab-ci"
        assert manifest["info"]["proxy_hostname"] == PROXY
        assert manifest["info"]["collection_version"]
        assert manifest["checksums"], name
        assert oct(host(name).file(f"/var/backups/bbb-cluster-proxy/{POINT}").mode) == "0o700"
    assert (
        json.loads(host(ROOM_B).file(f"/var/backups/bbb-cluster-proxy/{POINT}/manifest.json").content_string)["info"][
            "bbb_version"
        ]
        == "2.7.12"
    )
    assert managed_snapshot() == clean_state


def test_preflight_stops_on_an_unhealthy_node(clean_state):
    node = host(ROOM_B)
    assert node.run("mv /etc/bigbluebutton/bigbluebutton-release /root/release.lab").rc == 0
    try:
        rc, output = playbook(
            "bbb.cluster_proxy.preflight",
            "-e",
            "bbb_node_version=2.7",
            "-e",
            "bbb_cluster_rollback_id=20261125T000001Z",
        )
    finally:
        node.run("mv /root/release.lab /etc/bigbluebutton/bigbluebutton-release")
    assert rc != 0
    assert f"Host {ROOM_B}: BigBlueButton is not healthy: bbb-conf --check failed (exit 1):" in flat(output)
    assert "locate: /etc/bigbluebutton/bigbluebutton-release. Fix BigBlueButton first" in flat(output)
    # no rollback point is recorded while a node is unhealthy
    for name in HOSTS:
        assert not host(name).file("/var/backups/bbb-cluster-proxy/20261125T000001Z").exists


def test_preflight_reads_what_bbb_conf_check_prints_not_its_exit_code(clean_state):
    """bbb-conf --check exits 0 while it prints '# Error:' lines (check_state); --status shows [✘ - inactive]."""
    node = host(ROOM_B)
    assert node.run("systemctl stop bbb-web").rc == 0
    try:
        assert node.run("LC_ALL=C.UTF-8 bbb-conf --check").rc == 0  # as upstream: the problems are only text
        rc, output = playbook("bbb.cluster_proxy.preflight", "-e", "bbb_cluster_rollback_id=20261125T000002Z")
    finally:
        node.run("systemctl start bbb-web")
    assert rc != 0
    text = flat(output)
    assert f"Host {ROOM_B}: BigBlueButton is not healthy: Error: Could not connect to the configured hostname" in text
    assert "Error: Detected some processes have not started correctly" in text
    assert "bbb-web is inactive (bbb-conf --status)" in text
    for name in HOSTS:
        assert not host(name).file("/var/backups/bbb-cluster-proxy/20261125T000002Z").exists


def test_preflight_stops_where_the_public_name_leads_to_another_host(clean_state):
    """A name that resolves on the node proves nothing: resolved where the proxy resolves it, it leads to room-b."""
    proxy = host(PROXY)
    original = proxy.file("/etc/hosts").content_string
    assert proxy.run(f"echo '{address(ROOM_B)} {ROOM_A}' >> /etc/hosts").rc == 0
    try:
        assert host(ROOM_A).run(f"getent hosts {ROOM_A}").rc == 0  # on the node itself it resolves fine
        rc, output = playbook("bbb.cluster_proxy.preflight", "-e", "bbb_cluster_rollback_id=20261125T000003Z")
    finally:
        proxy.run(f"cat > /etc/hosts <<'EOF_LAB'\n{original}EOF_LAB")
    assert rc != 0
    text = flat(output)
    assert (
        f"Host {ROOM_A}: the public hostname {ROOM_A} resolves on {PROXY} to {address(ROOM_B)}, which is none of this "
        f"node's addresses ({address(ROOM_A)}), and the host there does not accept this node's API secret"
    ) in text
    assert "the name leads to another host" in text


def test_drift_names_each_hand_edit_and_changes_nothing(clean_state):
    edit(ROOM_A, PROPERTIES, "s#^accessControlAllowOrigin=.*#accessControlAllowOrigin=https://wrong.example#")
    edit(ROOM_B, HTML5, "s#basename: .*#basename: /html5client#")
    edit(ROOM_A, RETENTION, "s#^log_history=60$#log_history=7#; $a history=2")  # one changed, one left unset
    before = snapshot()
    rc, output = playbook("bbb.cluster_proxy.drift")
    assert rc != 0
    text = flat(output)
    assert (
        f"{PROPERTIES}: accessControlAllowOrigin is 'https://wrong.example', the inventory says "
        f"'https://{PROXY}': the client on the proxy fails with CORS errors"
    ) in text
    assert (
        f"{HTML5}: public.app.basename is '/html5client', the inventory says '/room-b/html5client': "
        "blank client (it asks for its assets under the wrong path)"
    ) in text
    assert (
        f"{RETENTION}: log_history is '7', the inventory says '60': BigBlueButton's logs are kept for another time"
        " than the inventory's retention"
    ) in text
    assert (
        f"{RETENTION}: history is '2', the inventory leaves it unset (BigBlueButton's default): presentations and"
        " raw media (SFU, FreeSWITCH) are kept for another time than the inventory's retention"
    ) in text
    assert "Drift on 2 host(s): room-a.lab.test, room-b.lab.test." in text
    assert snapshot() == before


def test_drift_finds_locations_of_nodes_not_in_the_inventory():
    rc, output = playbook("bbb.cluster_proxy.drift", "-e", "bbb_cluster_nodes_group=lab_only_room_a")
    assert rc != 0
    assert (
        "locations for nodes not in the inventory: room-b (their paths still reach those hosts). "
        "Run bbb.cluster_proxy.site to remove them."
    ) in flat(output)
