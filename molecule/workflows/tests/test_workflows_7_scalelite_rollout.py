# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operator workflows, step 7: the rollout cordons a restarting node in Scalelite (the Scalelite cordon).

Cordon, drain, restart, the node's check, enable; a failed restart keeps the node cordoned and the next run
restarts it, back to ``clean_state``; a node unknown to Scalelite stops the rollout before any change (its hand edit
is put back by hand: test_workflows_at_size.py starts from a converged cluster).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit

from lab_runs import (
    NODES,
    Run,
    api_url,
    drain_retrying,
    edit,
    flat,
    host,
    no_change,
    playbook,
    restarts,
    restore,
    snapshot,
    start_client,
)

from .workflows_lab import (
    LB,
    PROPERTIES,
    PROXY,
    ROOM_A,
    ROOM_B,
    lb_args,
    lb_secret,
    managed_snapshot,
    scalelite_pool_settled,
)

CORDON_MARKER = "/var/lib/bbb-cluster-proxy/scalelite-cordoned"


def scalelite_calls(since=0):
    """The admin API calls the Scalelite double recorded (JSON lines, no secrets, no checksums), from entry ``since``."""
    log = host(LB).file("/var/lib/scalelite-double/calls.log")
    lines = log.content_string.splitlines() if log.exists else []
    return [json.loads(line) for line in lines[since:]]


def state_changes(calls):
    """(server id, state asked for, HTTP status) of every updateServer call, in the order Scalelite got them."""
    return [(c["body"]["id"], c["body"]["server"]["state"], c["status"]) for c in calls if c["call"] == "updateServer"]


def scalelite_server_info(server):
    query = urlencode({"id": server})
    checksum = hashlib.sha256(("getServerInfo" + query + lb_secret()).encode()).hexdigest()  # Scalelite's
    answer = host(PROXY).run(f"curl -sS 'https://{LB}/scalelite/api/getServerInfo?{query}&checksum={checksum}'")
    return json.loads(answer.stdout)


def lb_api(call, **params):
    """A BBB API URL of the Scalelite double, signed with its LOADBALANCER_SECRET (never printed)."""
    query = urlencode(params)
    checksum = hashlib.sha256((call + query + lb_secret()).encode()).hexdigest()  # BBB API checksum
    return f"https://{LB}/bigbluebutton/api/{call}?{query}&checksum={checksum}"


def create_through_scalelite(meeting_id):
    """Create a meeting through Scalelite; return the host its join hands the user to (where Scalelite placed it)."""
    created = host(PROXY).run(f"curl -sS '{lb_api('create', meetingID=meeting_id, name=meeting_id)}'").stdout
    assert "<returncode>SUCCESS</returncode>" in created, created
    probe = lb_api("join", meetingID=meeting_id, fullName="Placement probe", role="VIEWER")
    location = host(PROXY).run(f"curl -sS -o /dev/null -w '%{{redirect_url}}' '{probe}'").stdout
    return urlsplit(location).hostname


def last_restart(name):
    """When bbb-conf --restart last succeeded on the node (restarts.log of the bbb-conf double, to the second)."""
    line = host(name).file("/var/lib/bbb-conf-double/restarts.log").content_string.split("\n")[-2]
    return datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def end_meetings(name):
    """End what earlier tests left running on a node, so that the drain waits only for the test's meeting."""
    listing = host(name).run(f"curl -sS '{api_url(name, 'getMeetings')}'").stdout
    for meeting_id in re.findall(r"<meetingID>([^<]+)</meetingID>", listing):
        host(name).run(f"curl -sS '{api_url(name, 'end', meetingID=meeting_id)}'")


def test_drain_cordons_the_restarting_node_in_scalelite_until_its_checks_pass(tmp_path):
    """With Scalelite set (acceptance's variables), the rollout cordons the node it restarts before the drain waits
    for its meeting; a meeting created through Scalelite during the drain lands on the other node; the node is
    enabled only after its restart and its API check, and the node that does not restart is not touched."""
    scalelite_pool_settled()
    end_meetings(ROOM_A)
    node = host(ROOM_A)
    assert "SUCCESS" in node.run(f"curl -sS '{api_url(ROOM_A, 'create', meetingID='drain-lb')}'").stdout
    assert start_client(ROOM_A, "drain-lb") == "connection_ack"  # a teacher in the meeting: the drain must wait
    edit(ROOM_A, PROPERTIES, "s#^presentationBaseURL=.*#presentationBaseURL=https://wrong.example#")
    count_a, count_b = restarts(ROOM_A), restarts(ROOM_B)
    since = len(scalelite_calls())
    run = Run(
        tmp_path / "site.log",
        "bbb.cluster_proxy.site",
        *lb_args(),
        *("-e", "bbb_node_drain=true", "-e", "bbb_node_drain_timeout=300"),
    )
    try:
        run.wait_for(drain_retrying(ROOM_A))
        draining = time.time()
        # during the drain: room-a is out of the pool, not yet restarted; a new meeting goes to room-b
        assert scalelite_server_info("room-a")["state"] == "cordoned"
        assert scalelite_server_info("room-b")["state"] == "enabled"
        assert restarts(ROOM_A) == count_a
        assert create_through_scalelite("drain-lb-new") == ROOM_B
        assert state_changes(scalelite_calls(since)) == [("room-a", "cordon", 200)]
    finally:
        node.run(f"curl -sS '{api_url(ROOM_A, 'end', meetingID='drain-lb')}'")
        host(ROOM_B).run(f"curl -sS '{api_url(ROOM_B, 'end', meetingID='drain-lb-new')}'")
    rc, output = run.finish()
    text = flat(output)
    assert rc == 0, text[-3000:]
    assert lb_secret() not in output
    calls = [c for c in scalelite_calls(since) if c["call"] == "updateServer"]
    assert state_changes(calls) == [("room-a", "cordon", 200), ("room-a", "enable", 200)]
    cordon, enable = calls
    restarted = last_restart(ROOM_A)
    assert cordon["time"] < draining and cordon["time"] < restarted <= enable["time"]
    # in the run: cordon, drain, restart, the node's check, then enable, in this order
    order = [
        "Cordon the node in Scalelite (updateServer, state cordon; never logged)",
        "Wait until no meeting runs on the node",
        "Restart BigBlueButton with bbb-conf",
        "Wait until BigBlueButton is back (every component up and staying up, API, graphql, client)",
        "Put the node back into Scalelite's pool (updateServer, state enable; never logged)",
    ]
    positions = [output.index(f"bbb_node : {task}]") for task in order]
    assert positions == sorted(positions), positions
    assert f"Host {ROOM_A}: back in Scalelite's pool (server room-a enabled) after its checks passed." in text
    assert (restarts(ROOM_A), restarts(ROOM_B)) == (count_a + 1, count_b)
    assert scalelite_server_info("room-a")["state"] == "enabled"
    assert not node.file(CORDON_MARKER).exists


def test_a_failed_restart_stops_the_rollout_keeps_the_node_cordoned_and_the_next_run_restarts(clean_state):
    """bbb-web does not come back after room-a's restart in a rollout with Scalelite (its program is gone, beneath the
    doubles; bbb-conf --restart exits 0 as upstream's does): the node's check says so, names the unit and its
    journal, and the run stops; room-a keeps its new files and the pending-restart marker and stays out of
    Scalelite's pool, the message names it and how to enable it; room-b is untouched. Once bbb-web's program is
    back, the next run (at -vvv: no secret) restarts room-a though its files are already in place and enables it,
    then room-b; a third run changes nothing, in Scalelite neither."""
    marker = "/var/lib/bbb-cluster-proxy/restart-pending"
    program = "/usr/local/lib/bbb-lab/bbb_web_double.py"
    scalelite_pool_settled()
    node_a, node_b = host(ROOM_A), host(ROOM_B)
    original = {name: host(name).file(PROPERTIES).content_string for name in NODES}
    for name in NODES:
        edit(name, PROPERTIES, "s#^accessControlAllowOrigin=.*#accessControlAllowOrigin=https://wrong.example#")
    before_a, before_b = restarts(ROOM_A), restarts(ROOM_B)
    since = len(scalelite_calls())
    node_a.run(f"mv {program} {program}.away")
    try:
        rc, output = playbook("bbb.cluster_proxy.site", *lb_args(), "-e", "bbb_node_restart_check_timeout=10")
    finally:
        node_a.run(f"mv {program}.away {program}")
    text = flat(output)
    assert rc != 0
    assert lb_secret() not in output
    assert (
        f"Host {ROOM_A}: after `bbb-conf --restart` (exit 0) 1 unit(s) not active 10 s after the restart: "
        "bbb-web.service is activating (auto-restart)."
    ) in text
    assert "The last journal lines of bbb-web.service:" in text and "bbb_web_double.py" in text  # python's error
    assert "the rollout stops here and the nodes after this one are untouched" in text
    assert f"Host {ROOM_A} stays cordoned in Scalelite (server room-a): no new meeting is placed on it." in text
    assert "rake servers:enable[room-a] on Scalelite" in text
    assert node_a.file(PROPERTIES).content_string == original[ROOM_A]  # written before the restart
    assert node_a.file(marker).exists and node_a.file(CORDON_MARKER).exists
    assert "accessControlAllowOrigin=https://wrong.example" in node_b.file(PROPERTIES).content_string
    assert (restarts(ROOM_A), restarts(ROOM_B)) == (before_a + 1, before_b)  # restarted, but not back
    assert state_changes(scalelite_calls(since)) == [("room-a", "cordon", 200)]
    # cordoned; Scalelite's poller disables a cordoned server without load (poll.rake): out of the pool either way
    assert scalelite_server_info("room-a")["state"] in ("cordoned", "disabled")
    assert scalelite_server_info("room-b")["state"] == "enabled"
    assert create_through_scalelite("after-failed-restart") == ROOM_B
    host(ROOM_B).run(f"curl -sS '{api_url(ROOM_B, 'end', meetingID='after-failed-restart')}'")

    since = len(scalelite_calls())
    rc, output = playbook("bbb.cluster_proxy.site", *lb_args(), "-vvv")
    text = flat(output)
    assert rc == 0, text[-3000:]
    assert f"Host {ROOM_A}: the files of an earlier run are in place, but BigBlueButton was not restarted" in text
    assert "ESTABLISH" in output  # at -vvv: neither the secret nor a checksum made from it (updateServer's
    # checksum does not cover the JSON body, so a leaked one would let anyone change any server's state)
    assert lb_secret() not in output
    for call in ("getServers", "updateServer"):
        for algorithm in ("sha1", "sha256", "sha512"):
            assert hashlib.new(algorithm, (call + lb_secret()).encode()).hexdigest() not in output, (call, algorithm)
    assert state_changes(scalelite_calls(since)) == [
        ("room-a", "enable", 200),  # cordoned by the failed run (its marker): no second cordon, enabled after checks
        ("room-b", "cordon", 200),
        ("room-b", "enable", 200),
    ]
    assert [scalelite_server_info(s)["state"] for s in ("room-a", "room-b")] == ["enabled", "enabled"]
    assert (restarts(ROOM_A), restarts(ROOM_B)) == (before_a + 2, before_b + 1)
    assert not any(host(name).file(path).exists for name in NODES for path in (marker, CORDON_MARKER))
    assert managed_snapshot() == clean_state

    since = len(scalelite_calls())
    rc, output = playbook("bbb.cluster_proxy.site", *lb_args())
    assert rc == 0 and no_change(output), flat(output)[-3000:]
    assert {c["call"] for c in scalelite_calls(since)} == {"getServers"}  # the check before any change, nothing else


def test_a_node_unknown_to_scalelite_stops_the_rollout_before_any_change(clean_state):
    original = edit(ROOM_A, PROPERTIES, "s#^presentationBaseURL=.*#presentationBaseURL=https://wrong.example#")
    before = snapshot()
    since = len(scalelite_calls())
    try:
        rc, output = playbook("bbb.cluster_proxy.site", *lb_args(), "-e", "bbb_node_scalelite_server_id=room-z")
        text = flat(output)
        assert rc != 0
        assert lb_secret() not in output
        assert (
            f"Host {ROOM_A}: Scalelite (https://{LB}/bigbluebutton/api) knows no server with id 'room-z' "
            "(bbb_node_scalelite_server_id); its servers: room-a https://room-a.lab.test/bigbluebutton/api, "
            "room-b https://room-b.lab.test/bigbluebutton/api." in text
        )
        assert "or set bbb_node_scalelite_server_id for this host to its id in Scalelite (rake servers)" in text
        assert "Nothing was changed by this check." in text
        assert snapshot() == before  # the hand edit is still there: no host changed
        assert {c["call"] for c in scalelite_calls(since)} == {"getServers"}
        # the former names (deprecated aliases of bbb_cluster_lb_*) still work, with a deprecation warning
        rc, output = playbook(
            "bbb.cluster_proxy.site",
            *("-e", f"bbb_acceptance_api_url=https://{LB}/bigbluebutton/api", "-e", "bbb_acceptance_api_secret=wrong"),
        )
        text = flat(output)
        assert rc != 0
        assert "did not answer with its servers (HTTP 200: checksumError)" in text
        assert "bbb_cluster_lb_secret is not the LOADBALANCER_SECRET of that Scalelite" in text
        assert "bbb_acceptance_api_secret is deprecated: set bbb_cluster_lb_secret instead" in text
        assert snapshot() == before
    finally:
        # both runs stopped before any change (asserted above): putting the hand edit back by hand is the converged
        # cluster again (bbb-web never restarted with the edit), without a third run
        restore(ROOM_A, PROPERTIES, original)
    assert managed_snapshot() == clean_state
