# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operator workflows, step 2: a rolling rollout stops at its first failed node; rollback restores the point.

The rollout starts from the hand edits of test_workflows_1's drift (room-b's is still there when the rollout
stops at room-a); rollback restores the point test_workflows_1's preflight recorded, byte-identical to
``clean_state``, and drift is clean again: the cluster test_workflows_3 starts from.
"""

from __future__ import annotations

import re

from lab_runs import NODES, flat, host, no_change, playbook, restarts, snapshot

from .workflows_lab import HTML5, POINT, PROXY, ROOM_A, ROOM_B, managed_snapshot

DROPIN = "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf"  # the bbb_node role's (bbb-web's JVM options)
SAME_SITE = "-Dserver.servlet.session.cookie.same-site=none -Dserver.servlet.session.cookie.secure=true"


def test_rolling_rollout_stops_at_the_first_failed_node():
    """One node at a time: room-a fails (its bbb-html5.yml is broken), so room-b is not touched."""
    node = host(ROOM_A)
    html5 = node.file(HTML5).content_string
    node.run(f"cp {HTML5} /root/html5.lab && printf 'public: [\\n' > {HTML5}")
    try:
        before_b = snapshot(hosts=[ROOM_B])
        rc, output = playbook("bbb.cluster_proxy.site")
        assert rc != 0
        assert f"Host {ROOM_A}: {HTML5} is not valid YAML" in flat(output)
        assert snapshot(hosts=[ROOM_B]) == before_b  # still hand-edited: the rollout stopped before it
        assert f"ok: [{ROOM_B}]" not in output.split("PLAY [Configure the BigBlueButton nodes]")[1]
    finally:
        node.run(f"cp /root/html5.lab {HTML5}")
    assert node.file(HTML5).content_string == html5


def test_rollback_restores_the_point_byte_identical_and_restarts_once(clean_state):
    # changes since the point (room-b's bbb-html5.yml is still hand-edited): each node's drop-in as
    # bbb_node_session_cookie_same_site=none writes it, in effect (daemon-reload, bbb-web restarted by hand); a site
    # run with that option did the same at the cost of a whole rollout
    for name in NODES:
        done = host(name).run(
            f"sed -i 's#-Dgrails.cors.enabled=true#{SAME_SITE} -Dgrails.cors.enabled=true#' {DROPIN}"
            " && systemctl daemon-reload && systemctl restart bbb-web"
        )
        assert done.rc == 0, done.stderr
        assert "same-site" in host(name).run("systemctl show bbb-web -p Environment").stdout
    assert managed_snapshot() != clean_state
    counts = {name: restarts(name) for name in NODES}

    rc, output = playbook("bbb.cluster_proxy.rollback", "-e", f"bbb_rollback_id={POINT}", "-vvv")  # test_workflows_8
    assert rc == 0, output[-3000:]
    assert managed_snapshot() == clean_state
    for name in NODES:
        assert restarts(name) == counts[name] + 1
        env = host(name).run("systemctl show bbb-web -p Environment").stdout
        assert "same-site" not in env  # the restored drop-in is in effect (daemon-reload)
    assert f"{PROXY}: rollback point {POINT}, nothing restored, nothing removed" in flat(output)

    # a second rollback changes nothing and restarts nothing
    rc, output = playbook("bbb.cluster_proxy.rollback", "-e", "bbb_rollback_id=latest")
    assert rc == 0
    assert no_change(output)
    assert {name: restarts(name) for name in NODES} == {name: counts[name] + 1 for name in NODES}


def test_rollback_of_an_unknown_point_names_the_points_the_host_has():
    rc, output = playbook("bbb.cluster_proxy.rollback", "-e", "bbb_rollback_id=20200101T000000Z")
    assert rc != 0
    # POINT, and any point an earlier run of the suite (the AWX job of test_awx_runner.py) recorded.
    assert re.search(
        rf"no rollback point '20200101T000000Z' in /var/backups/bbb-cluster-proxy\. This host has: [0-9TZ, ]*{POINT}",
        flat(output),
    )


def test_drift_is_clean_again_after_the_rollback():
    rc, output = playbook("bbb.cluster_proxy.drift")
    assert rc == 0, flat(output)[-2000:]
