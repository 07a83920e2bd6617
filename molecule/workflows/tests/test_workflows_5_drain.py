# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operator workflows, step 5: the rollout's drain waits for the meetings on a node and stops the rollout.

It leaves room-a's new files written and its restart pending: the drain through Scalelite of test_workflows_7
restarts it once.
"""

from __future__ import annotations

from lab_runs import api_url, edit, flat, host, playbook, restarts, start_client

from .workflows_lab import PROPERTIES, ROOM_A, ROOM_B


def test_drain_waits_for_running_meetings_and_stops_the_rollout():
    node = host(ROOM_A)

    def call(name, **params):
        return node.run(f"curl -sS '{api_url(ROOM_A, name, **params)}'").stdout

    assert "SUCCESS" in call("create", meetingID="drain-lab")
    assert start_client(ROOM_A, "drain-lab") == "connection_ack"  # a teacher in the meeting, not only registered
    assert "<running>true</running>" in call("isMeetingRunning", meetingID="drain-lab")
    # created, nobody joined yet: bbb-web lists it (getMeetingsHandler) until it expires; a restart would drop it
    # under the teacher about to join, so the drain waits for it too, and says so
    assert "SUCCESS" in call("create", meetingID="drain-empty")
    edit(ROOM_A, PROPERTIES, "s#^presentationBaseURL=.*#presentationBaseURL=https://wrong.example#")
    count = restarts(ROOM_A)
    try:
        rc, output = playbook("bbb.cluster_proxy.site", "-e", "bbb_node_drain=true", "-e", "bbb_node_drain_timeout=10")
        assert rc != 0
        assert (
            f"Host {ROOM_A}: 2 meeting(s) still on the node after bbb_node_drain_timeout (10 s) (1 created and "
            "nobody joined yet)"
        ) in flat(output)
        assert restarts(ROOM_A) == count
        assert (
            "PLAY RECAP" in output
            and f"{ROOM_B}" not in output.split("PLAY [Configure the BigBlueButton nodes]")[1].split("PLAY RECAP")[0]
        )
    finally:
        call("end", meetingID="drain-lab")
        call("end", meetingID="drain-empty")
    # the files are written and the restart is pending: the next rollout (the drain through Scalelite below, whose
    # meeting ends during its drain) goes through and restarts the node once
    assert host(ROOM_A).file("/var/lib/bbb-cluster-proxy/restart-pending").exists
