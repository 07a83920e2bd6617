# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator workflows (playbooks called by FQCN) against the converged lab, in the order an operator uses them.

The tests build on each other and run in file order: preflight records the rollback point that the
rollback test restores. Molecule runs this file after the shared suite (the directory sorts after
``tests/``), which counts the restarts of converge alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from lab_runs import (
    HOSTS,
    NODES,
    PROXIES,
    RUNNER,
    Run,
    address,
    api_url,
    drain_retrying,
    edit,
    flat,
    host,
    no_change,
    playbook,
    reload_nginx,
    require,
    restarts,
    restore,
    snapshot,
    start_client,
)

POINT = "20261125T000000Z"
PROXY = PROXIES[0]
ROOM_A, ROOM_B = NODES  # room-a: BBB 3.0, room-b: BBB 2.7
PROPERTIES = "/etc/bigbluebutton/bbb-web.properties"
TURN_FILE = "/etc/bigbluebutton/turn-stun-servers.xml"
HTML5 = "/etc/bigbluebutton/bbb-html5.yml"
MANAGED = " ".join(
    [
        "/etc/bigbluebutton/bbb-web.properties /etc/bigbluebutton/bbb-html5.yml /etc/bigbluebutton/etherpad.json",
        "/etc/bigbluebutton/nginx /etc/bigbluebutton/bbb-graphql-server.env /etc/bigbluebutton/bbb-graphql-middleware.yml",
        "/etc/systemd/system/*.d /etc/nginx/conf.d/bbb-cluster-proxy.conf",
    ]
)


def managed_snapshot():
    """sha256 of the files the roles manage (not of the backups they leave beside them)."""
    sums = snapshot(MANAGED)
    return {
        name: "\n".join(line for line in text.splitlines() if not line.endswith("~")) for name, text in sums.items()
    }


@pytest.fixture(scope="module")
def clean_state():
    return managed_snapshot()


def test_drift_reports_nothing_on_a_converged_cluster(clean_state):
    rc, output = playbook("bbb.cluster_proxy.drift")
    assert rc == 0, output[-3000:]
    assert "No drift: the proxy and every node agree with the inventory." in output


def test_preflight_checks_and_records_a_rollback_point(clean_state):
    """With the load balancer set, each node's line also says whether its recordings reach Scalelite: room-b's
    operator has not installed Scalelite's scalelite_post_publish.rb (a finding, not a reason to stop)."""
    script = "/usr/local/bigbluebutton/core/scripts/post_publish/scalelite_post_publish.rb"
    assert host(ROOM_B).run(f"mv {script} /root/scalelite_post_publish.rb").rc == 0
    try:
        rc, output = playbook(
            "bbb.cluster_proxy.preflight",
            *("-e", f"bbb_cluster_rollback_id={POINT}", "-e", "bbb_cluster_operator=lab-ci", *lb_args()),
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
    assert "Drift on 2 host(s): room-a.lab.test, room-b.lab.test." in text
    assert snapshot() == before


def test_drift_finds_locations_of_nodes_not_in_the_inventory():
    rc, output = playbook("bbb.cluster_proxy.drift", "-e", "bbb_cluster_nodes_group=lab_only_room_a")
    assert rc != 0
    assert (
        "locations for nodes not in the inventory: room-b (their paths still reach those hosts). "
        "Run bbb.cluster_proxy.site to remove them."
    ) in flat(output)


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
    # converge with another option, so that drop-ins and files differ from the rollback point
    rc, output = playbook("bbb.cluster_proxy.site", "-e", "bbb_node_session_cookie_same_site=none")
    assert rc == 0, output[-3000:]
    assert managed_snapshot() != clean_state
    counts = {name: restarts(name) for name in NODES}

    rc, output = playbook("bbb.cluster_proxy.rollback", "-e", f"bbb_rollback_id={POINT}")
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


def test_acceptance_refuses_a_recording_check_it_cannot_make():
    """A record=true meeting without a client in it has no recording marks: BBB never publishes it (archive.rb),
    so an API-only check can only fail or, with 82b2c61's permissive double, pass for the wrong reason."""
    rc, output = playbook("bbb.cluster_proxy.acceptance", "-e", "bbb_acceptance_recordings=true")
    assert rc != 0
    text = flat(output)
    assert "bbb_acceptance_recordings=true needs bbb_acceptance_browser=true" in text
    assert "archive_has_recording_marks?" in text and "the API calls of this playbook start no client" in text
    assert "PLAY [Walk through a class on every node]" not in output  # refused before any meeting


def test_acceptance_names_a_wrong_allowed_origin_and_drift_names_its_cause():
    node = host(ROOM_A)
    dropin = "/etc/systemd/system/bbb-web.service.d/cluster-proxy.conf"
    original = node.file(dropin).content_string
    node.run(
        f"sed -i 's#allowedOrigins=https://{PROXY},#allowedOrigins=#' {dropin} && systemctl daemon-reload && systemctl restart bbb-web"
    )
    try:
        rc, output = playbook("bbb.cluster_proxy.acceptance")
        assert rc != 0
        text = flat(output)
        assert f"\"{ROOM_A}\": \"FAIL at 'Check that the node allows the proxy's origin'" in text
        assert f"does not allow the origin https://{PROXY}" in text and "the browser blocks" in text
        assert f'"{ROOM_B}": "pass:' in text
        assert "Acceptance failed on: room-a.lab.test" in text
        rc, output = playbook("bbb.cluster_proxy.drift")
        assert rc != 0
        assert f"{dropin}: JDK_JAVA_OPTIONS is " in flat(output)
        assert "bbb-web refuses cross-origin requests from the proxy (CORS)" in flat(output)
    finally:
        node.run(f"cat > {dropin} <<'EOF_LAB'\n{original}EOF_LAB\nsystemctl daemon-reload && systemctl restart bbb-web")
    assert node.file(dropin).content_string == original


def test_drift_names_a_later_drop_in_that_wins_over_the_roles():
    """The role's drop-in is right on disk, but an operator's later-sorting drop-in sets JDK_JAVA_OPTIONS too and
    systemd hands bbb-web that one (82b2c61's drift read only the role's file and reported no drift)."""
    node = host(ROOM_A)
    operator = "/etc/systemd/system/bbb-web.service.d/zz-operator.conf"
    node.run(
        f"printf '[Service]\\nEnvironment=\"JDK_JAVA_OPTIONS=-Xmx2g\"\\n' > {operator}"
        " && systemctl daemon-reload && systemctl restart bbb-web"
    )
    try:
        rc, output = playbook("bbb.cluster_proxy.drift")
    finally:
        node.run(f"rm -f {operator} && systemctl daemon-reload && systemctl restart bbb-web")
    assert rc != 0
    text = flat(output)
    assert "bbb-web.service runs with JDK_JAVA_OPTIONS '-Xmx2g' (its process environment), not the value of" in text
    assert f"{operator} also sets JDK_JAVA_OPTIONS" in text and f"Remove JDK_JAVA_OPTIONS from {operator}" in text
    rc, output = playbook("bbb.cluster_proxy.drift")
    assert rc == 0, flat(output)[-2000:]


def test_site_stops_before_any_change_where_something_would_override_the_roles_drop_in():
    """A later drop-in, or /etc/default/bbb-web (EnvironmentFile=), that sets JDK_JAVA_OPTIONS would win over the
    role's drop-in: the rollout stops at that node before any of its files changes, and says what to remove."""
    node = host(ROOM_A)
    operator = "/etc/systemd/system/bbb-web.service.d/zz-operator.conf"
    original = edit(
        ROOM_A, PROPERTIES, "s#^accessControlAllowOrigin=.*#accessControlAllowOrigin=https://wrong.example#"
    )
    node.run(f"printf '[Service]\\nEnvironment=\"JDK_JAVA_OPTIONS=-Xmx2g\"\\n' > {operator}")
    try:
        before = snapshot()
        rc, output = playbook("bbb.cluster_proxy.site")
        assert rc != 0
        text = flat(output)
        assert f"Host {ROOM_A}: {operator} also sets JDK_JAVA_OPTIONS and sorts after" in text
        assert "Nothing was changed on this host." in text and f"Remove JDK_JAVA_OPTIONS from {operator}" in text
        assert snapshot() == before
        node.run(
            f"rm -f {operator} && cp /etc/default/bbb-web /root/bbb-web.lab && echo 'JDK_JAVA_OPTIONS=\"-Xmx2g\"' >> /etc/default/bbb-web"
        )
        before = snapshot()  # without the operator's drop-in
        rc, output = playbook("bbb.cluster_proxy.site")
        assert rc != 0
        assert (
            f"Host {ROOM_A}: /etc/default/bbb-web sets JDK_JAVA_OPTIONS, which overrides the role's drop-in for bbb-web.service"
            in flat(output)
        )
        assert snapshot() == before
    finally:
        node.run(f"rm -f {operator}; if [ -f /root/bbb-web.lab ]; then mv /root/bbb-web.lab /etc/default/bbb-web; fi")
        restore(ROOM_A, PROPERTIES, original)


def test_drift_names_what_nginx_really_loads():
    """nginx -T: another server block for the proxy's name, and a file changed after nginx last loaded it."""
    proxy = host(PROXY)
    other = "/etc/nginx/conf.d/zz-lab-other.conf"
    proxy.run(
        f"sleep 1; touch /etc/nginx/conf.d/bbb-cluster-proxy.conf; printf 'server {{ listen 443 ssl; server_name {PROXY};"
        f" ssl_certificate /etc/ssl/bbb-lab/{PROXY}.crt; ssl_certificate_key /etc/ssl/bbb-lab/{PROXY}.key; }}\\n' > {other}"
    )
    try:
        rc, output = playbook("bbb.cluster_proxy.drift")
    finally:
        proxy.run(f"rm -f {other}")
        reload_nginx(proxy)
    assert rc != 0
    text = flat(output)
    assert f"another server block also claims {PROXY} and nginx ignores one of them" in text
    assert "nginx runs a configuration older than /etc/nginx/conf.d/bbb-cluster-proxy.conf" in text
    rc, output = playbook("bbb.cluster_proxy.drift")
    assert rc == 0, flat(output)[-2000:]


def test_acceptance_names_graphql_pointing_away_from_the_node_and_turn_on_the_proxy():
    """room-a: graphql on the proxy; room-b: its turn-stun-servers.xml names the proxy as TURN server (nothing
    answers TURN there). The same run names both."""
    original = edit(ROOM_A, PROPERTIES, f"s#^graphqlWebsocketUrl=.*#graphqlWebsocketUrl=wss://{PROXY}/graphql#")
    turn = edit(ROOM_B, TURN_FILE, f"s#turns:{ROOM_B}:443#turns:{PROXY}:443#")
    try:
        rc, output = playbook("bbb.cluster_proxy.acceptance")
    finally:
        restore(ROOM_A, PROPERTIES, original)
        restore(ROOM_B, TURN_FILE, turn)
    assert rc != 0
    text = flat(output)
    assert f'"{ROOM_A}": "FAIL at \'Check that graphql points at the node itself\'' in text
    assert f"websocket 'wss://{PROXY}/graphql'" in text
    assert f'"{ROOM_B}": "FAIL at \'Check the STUN/TURN servers the client gets\'' in text
    assert f"names the cluster proxy as STUN/TURN server (turns:{PROXY}:443?transport=tcp)" in text
    assert "lab-turn-secret" not in output  # the coturn secret of the file


def test_health_reports_and_fails_over_thresholds():
    rc, output = playbook("bbb.cluster_proxy.health")
    assert rc == 0, flat(output)[-3000:]
    assert "'api': 'ok'" in output.replace('"', "'")
    node = host(ROOM_B)
    recording = "/var/bigbluebutton/recording"
    # as the recording units leave them: one queued by rap-starter (raw/<id>/; it deleted recorded/<id>.done) and not
    # archived yet, one whose process step failed
    node.run(
        f"mkdir -p {recording}/raw/lab-stuck-1 {recording}/status/archived {recording}/status/processed && "
        f"touch {recording}/status/archived/lab-bad-2.done {recording}/status/processed/lab-bad-2-presentation.fail"
    )
    try:
        rc, output = playbook(
            "bbb.cluster_proxy.health",
            "-e",
            "bbb_health_recording_backlog=0",
            "-e",
            "bbb_health_disk_percent=1",
            "-e",
            "bbb_health_certificate_days=40",
        )
    finally:
        node.run(
            f"rm -rf {recording}/raw/lab-stuck-1 {recording}/status/archived/lab-bad-2.done "
            f"{recording}/status/processed/lab-bad-2-presentation.fail"
        )
    assert rc != 0
    text = flat(output)
    assert f"{ROOM_B}: " in text
    assert "1 recordings wait for processing (threshold 0; 0 of them for more than 6 h" in text
    assert "1 recordings failed in processing (a .fail marker of a step" in text
    assert "/var/bigbluebutton is" in text and "(threshold 1%)" in text
    # the lab certificates live 30 days
    assert "the TLS certificate expires in" in text
    assert f"the TLS certificate of {PROXY} expires in" in text


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


LB = "wf-lb.lab.test"  # the Scalelite double (molecule/resources/roles/bbb_lab_scalelite)


def lb_secret():
    return RUNNER.get_variables(LB)["bbb_lab_lb_secret"]


def through_scalelite(*args):
    """acceptance through the Scalelite double; its LOADBALANCER_SECRET must not be printed either."""
    rc, output = playbook(
        "bbb.cluster_proxy.acceptance",
        "-e",
        f"bbb_acceptance_api_url=https://{LB}/bigbluebutton/api",
        "-e",
        f"bbb_acceptance_api_secret={lb_secret()}",
        *args,
    )
    assert lb_secret() not in output
    return rc, flat(output)


def scalelite_server_state(server, state):
    """POST /scalelite/api/updateServer as an operator does (checksum over action + query + LOADBALANCER_SECRET)."""
    checksum = hashlib.sha256(
        ("updateServer" + lb_secret()).encode()
    ).hexdigest()  # Scalelite's checksum (SHA256 allowed)
    body = json.dumps({"id": server, "server": {"state": state}})
    answer = host(PROXY).run(
        f"curl -sS -X POST -H 'Content-Type: application/json' -d '{body}' "
        f"'https://{LB}/scalelite/api/updateServer?checksum={checksum}'"
    )
    assert json.loads(answer.stdout)["state"] == {"enable": "enabled", "cordon": "cordoned"}[state], answer.stdout


def scalelite_pool_settled(timeout=60):
    """Wait until Scalelite (its poller, every 5 s in the lab) has every node enabled, online and at the same load:
    the restarts of the tests before leave a node offline or loaded for a poll or two, and Scalelite places a
    meeting on the lowest load (Server.find_available), so a test right after them would see every meeting on the
    other node. Returns getServers' answer."""
    checksum = hashlib.sha256(
        ("getServers" + lb_secret()).encode()
    ).hexdigest()  # Scalelite's checksum (SHA256 allowed)
    deadline = time.monotonic() + timeout
    while True:
        answer = host(PROXY).run(f"curl -sS 'https://{LB}/scalelite/api/getServers?checksum={checksum}'").stdout
        servers = json.loads(answer)
        ready = all(s["state"] == "enabled" and s["online"] == "online" and s["load"] != "unavailable" for s in servers)
        if ready and len({str(s["load"]) for s in servers}) == 1:
            return servers
        assert time.monotonic() < deadline, f"Scalelite's pool did not settle in {timeout} s: {servers}"
        time.sleep(2)


def test_acceptance_through_scalelite_names_the_node_it_could_not_reach():
    scalelite_server_state("room-b", "cordon")
    try:
        rc, text = through_scalelite("-e", "bbb_acceptance_lb_attempts=3")
    finally:
        scalelite_server_state("room-b", "enable")
        time.sleep(6)  # a re-enabled server gets meetings once the poller has measured its load (Server#save!)
    assert rc != 0
    assert f'"{ROOM_A}": "pass: teacher, learner and guest joined through' in text
    assert f'"{ROOM_B}": "FAIL at \'Fail where the load balancer placed no meeting on this node\'' in text
    assert (
        f"not reached through the load balancer https://{LB}/bigbluebutton/api: none of its 3 meetings landed on {ROOM_B}"
        in text
    )
    assert "nodes of the inventory it placed none on: room-b.lab.test" in text


def walkthrough(tmp_path, *extra):
    """-e options of the browser walk-through in the lab: the lab's names and CA, no media server."""
    require(
        "browser",
        [tool for tool in ("chromium", "certutil") if shutil.which(tool) is None],
        "apt-get install chromium libnss3-tools",
    )
    options = {
        "bbb_acceptance_browser": True,
        "bbb_acceptance_browser_media": False,  # the lab has no SFU/media server: ICE servers are checked, not media
        "bbb_acceptance_browser_hosts": {name: address(name) for name in [*NODES, PROXY, LB]},
        "bbb_acceptance_ca_file": str(Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "pki" / "ca.crt"),
        "bbb_acceptance_report_dir": str(tmp_path / "report"),
    }
    return ["-e", json.dumps(options), *extra]


WALKED = "create, teacher, media, ice, presentation, guest, reconnect"


def steps_seen(report_dir):
    """node -> step -> what the walk-through saw (its JUnit report)."""
    suites = ET.parse(report_dir / "junit.xml").getroot()
    return {suite.get("name"): {case.get("name"): case.find("system-out").text for case in suite} for suite in suites}


def result_of(text, name):
    """The node's line in acceptance's final report."""
    report = text.split("Show the result per node]")[-1]
    return re.search(rf'"{re.escape(name)}": "((?:[^"\\]|\\.)*)"', report).group(1)


def test_acceptance_walks_through_a_class_on_every_node_by_api_and_in_the_browser(tmp_path):
    """The API walk, then the browser's. On 3.0 the client settings are read as the client reads them: the
    x-session-token header and the node's JSESSIONID from the join (checkGraphqlAuthorization refuses a
    ?sessionToken= query, which 82b2c61 sent)."""
    rc, output = playbook("bbb.cluster_proxy.acceptance", *walkthrough(tmp_path))
    text = flat(output)
    assert rc == 0, text[-3000:]
    for name in NODES:
        label = name.split(".")[0]
        assert result_of(text, name) == (
            f"pass: teacher, learner and guest joined through https://{PROXY}/{label}/html5client/; "
            f"browser walk-through: pass: {WALKED}"
        ), result_of(text, name)
    assert "Check that the node hands the client its settings, readable from the proxy's page" in text
    assert "Check the STUN/TURN servers the client gets" in text
    report = ET.parse(tmp_path / "report" / "junit.xml").getroot()
    assert {suite.get("name") for suite in report} == set(NODES)
    assert all(suite.get("failures") == "0" and int(suite.get("tests")) == 7 for suite in report)
    html = (tmp_path / "report" / "index.html").read_text()
    assert "screenshots/room-a.lab.test-teacher.png" in html and "screenshots/room-a.lab.test-guest-in.png" in html
    # what it saw: the 3.0 guest let in by the moderator's client, the 2.x guest in the node's lobby
    seen = steps_seen(tmp_path / "report")
    assert seen[ROOM_A]["guest"] == "the guest waited in the lobby and entered after the moderator's approval"
    assert seen[ROOM_B]["guest"].startswith("the guest waits in the node's lobby")
    dropped = "after the walk-through dropped its websocket the client opened"
    assert seen[ROOM_A]["reconnect"] == f"{dropped} wss://{ROOM_A}/graphql"
    assert seen[ROOM_B]["reconnect"].startswith(f"{dropped} wss://{ROOM_B}/room-b/html5client/sockjs/")
    # room-a's TURN server is one the cluster shares (bbb-install -c turn.lab.test), room-b's its own coturn: both as
    # the node's turn-stun-servers.xml names them, with the credentials bbb-web's stuns made for the teacher
    assert seen[ROOM_A]["ice"].startswith("ICE servers turn:turn.lab.test:3478, turns:turn.lab.test:443?transport=tcp;")
    assert seen[ROOM_B]["ice"].startswith(f"ICE servers turn:{ROOM_B}:3478, turns:{ROOM_B}:443?transport=tcp;")
    for name in NODES:
        assert seen[name]["presentation"].startswith(f"slide from https://{name}/bigbluebutton/presentation/")
        assert seen[name]["media"] == f"opened audio, video with the one grant for https://{PROXY}"


POST_PUBLISH = "/usr/local/bigbluebutton/core/scripts/post_publish"


def lb_call(call, **params):
    """A BBB API call to the Scalelite double from the proxy host, signed as Scalelite checks it (SHA256)."""
    query = urlencode(params)
    checksum = hashlib.sha256((call + query + lb_secret()).encode()).hexdigest()
    return host(PROXY).run(f"curl -sS 'https://{LB}/bigbluebutton/api/{call}?{query}&checksum={checksum}'").stdout


def test_browser_walkthrough_through_scalelite_with_recordings(tmp_path):
    """Through the Scalelite double: the API walk on the meetings it placed, then the browser walk-through with a
    teacher's client in each meeting (autoStartRecording). Scalelite imports only what a node's post-publish script
    hands to its spool (recording_importer.rb): room-a has Scalelite's scalelite_post_publish.rb, so its recording
    is published and plays on the load balancer's host; room-b lacks it (the operator did not install it), so its
    recording is published on room-b and never reaches Scalelite, and the walk-through says so at once. Once the
    script is in place, Scalelite's batch import hands it over."""
    script = f"{POST_PUBLISH}/scalelite_post_publish.rb"
    scalelite_pool_settled()
    assert host(ROOM_B).run(f"mv {script} /root/scalelite_post_publish.rb").rc == 0
    try:
        rc, text = through_scalelite(
            *walkthrough(tmp_path, "-e", "bbb_acceptance_recordings=true", "-e", "bbb_acceptance_recording_timeout=90")
        )
    finally:
        assert host(ROOM_B).run(f"mv /root/scalelite_post_publish.rb {script}").rc == 0
    assert rc != 0, text[-3000:]
    # the API walk: Scalelite's join redirects to the node's own API join, which redirects to the client (82b2c61
    # took the first Location for the client); meetings are created until every node got one
    for name in NODES:
        label = name.split(".")[0]
        assert result_of(text, name).startswith(
            f"pass: teacher, learner and guest joined through https://{PROXY}/{label}/html5client/ "
            f"(placed by the load balancer); browser walk-through: "
        )
    assert result_of(text, ROOM_A).endswith(f"browser walk-through: pass: {WALKED}, recording")
    assert f"created through https://{LB}/bigbluebutton/api, placed on:" in text
    assert "nodes of the inventory it placed none on: none" in text
    steps = steps_seen(tmp_path / "report")
    assert steps[ROOM_A]["recording"].startswith(f"published; playback https://{LB}/playback/presentation/2.3/")
    assert f"https://{LB}/presentation/" in steps[ROOM_A]["recording"]
    assert steps[ROOM_A]["recording"].endswith("/metadata.xml 200")
    assert result_of(text, ROOM_B).endswith(
        f"FAIL at 'recording': published on {ROOM_B}, which does not hand recordings to the load balancer: no "
        f"{script}: nothing hands this node's recordings to Scalelite (Scalelite never asks a node for them; install "
        "scalelite_post_publish.rb and scalelite.yml as Scalelite's bigbluebutton/README.md says)"
    ), result_of(text, ROOM_B)
    # Scalelite's scalelite_batch_import.sh: the script for every published recording of the node
    published = host(ROOM_B).run("ls /var/bigbluebutton/published/presentation").stdout.split()
    missing = [r for r in published if f"<recordID>{r}</recordID>" not in lb_call("getRecordings", recordID=r)]
    assert missing, "room-b's recording reached Scalelite without its transfer"
    for record_id in missing:
        done = host(ROOM_B).run(f"cd {POST_PUBLISH}/.. && ./post_publish/scalelite_post_publish.rb -m {record_id}")
        assert done.rc == 0, done.stdout + done.stderr
    for record_id in missing:
        answer = lb_call("getRecordings", recordID=record_id)
        assert "<state>published</state>" in answer and f"<url>https://{LB}/playback/presentation/2.3/" in answer


def test_browser_walkthrough_names_the_step_that_fails(tmp_path):
    """The node refuses the proxy's origin for its API (accessControlAllowOrigin): the 2.x client's enter is
    blocked by CORS, so the client never starts."""
    original = edit(
        ROOM_B, PROPERTIES, "s#^accessControlAllowOrigin=.*#accessControlAllowOrigin=https://wrong.example#"
    )
    try:
        host(ROOM_B).run("systemctl restart bbb-web")
        rc, output = playbook(
            "bbb.cluster_proxy.acceptance", *walkthrough(tmp_path, "-e", "bbb_acceptance_browser_timeout=10")
        )
    finally:
        restore(ROOM_B, PROPERTIES, original)
        host(ROOM_B).run("systemctl restart bbb-web")
    text = flat(output)
    assert rc != 0
    assert "; browser walk-through: FAIL at 'teacher': after 10 s the node counts 0 users" in result_of(text, ROOM_B)
    assert "Acceptance failed on: room-b.lab.test" in text
    report = ET.parse(tmp_path / "report" / "junit.xml").getroot()
    failed = [
        case.get("name")
        for suite in report
        if suite.get("name") == ROOM_B
        for case in suite
        if len(case.findall("failure"))
    ]
    assert failed == ["teacher"]


# --- The rollout cordons a restarting node in Scalelite (issue 15) ------------------------------------------------
CORDON_MARKER = "/var/lib/bbb-cluster-proxy/scalelite-cordoned"


def lb_args():
    """The load balancer as an operator sets it for site: the same variables as acceptance through Scalelite."""
    return [
        "-e",
        f"bbb_acceptance_api_url=https://{LB}/bigbluebutton/api",
        "-e",
        f"bbb_acceptance_api_secret={lb_secret()}",
    ]


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


def test_a_node_unknown_to_scalelite_stops_the_rollout_before_any_change():
    edit(ROOM_A, PROPERTIES, "s#^presentationBaseURL=.*#presentationBaseURL=https://wrong.example#")
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
        rc, output = playbook(
            "bbb.cluster_proxy.site",
            *("-e", f"bbb_acceptance_api_url=https://{LB}/bigbluebutton/api", "-e", "bbb_acceptance_api_secret=wrong"),
        )
        text = flat(output)
        assert rc != 0
        assert "did not answer with its servers (HTTP 200: checksumError)" in text
        assert "bbb_acceptance_api_secret is not the LOADBALANCER_SECRET of that Scalelite" in text
        assert snapshot() == before
    finally:
        rc, output = playbook("bbb.cluster_proxy.site")  # the rollout without Scalelite repairs the hand edit
    assert rc == 0, flat(output)[-3000:]
