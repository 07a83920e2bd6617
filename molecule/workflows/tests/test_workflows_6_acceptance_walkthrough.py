# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operator workflows, step 6: acceptance through the Scalelite double, and the browser walk-through.

The walk-through runs on every node directly (the acceptance job in the execution environment, conftest.py), then
through Scalelite with recordings, then once with a step that fails. Each test puts back what it changed (a cordoned server, a moved post-publish script, a node's allowed
origin).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from lab_runs import NODES, edit, flat, host, playbook, restore
from lab_runs import walkthrough as lab_walkthrough

from .workflows_lab import LB, PROPERTIES, PROXY, ROOM_A, ROOM_B, lb_secret, scalelite_pool_settled


def through_scalelite(*args):
    """acceptance through the Scalelite double; its LOADBALANCER_SECRET must not be printed either."""
    rc, output = playbook(
        "bbb.cluster_proxy.acceptance",
        "-e",
        f"bbb_cluster_lb_api_url=https://{LB}/bigbluebutton/api",
        "-e",
        f"bbb_cluster_lb_secret={lb_secret()}",
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
    """-e options of the browser walk-through in the lab (lab_runs.walkthrough), the load balancer's name too."""
    return lab_walkthrough(tmp_path, *extra, hosts=[LB])


WALKED = "create, teacher, livekit, audio_processor, media, ice, presentation, accessibility, lobby, learner, guest, reconnect"


def steps_seen(report_dir):
    """node -> step -> what the walk-through saw (its JUnit report)."""
    suites = ET.parse(report_dir / "junit.xml").getroot()
    return {suite.get("name"): {case.get("name"): case.find("system-out").text for case in suite} for suite in suites}


def result_of(text, name):
    """The node's line in acceptance's final report."""
    report = text.split("Show the result per node]")[-1]
    return re.search(rf'"{re.escape(name)}": "((?:[^"\\]|\\.)*)"', report).group(1)


def test_acceptance_walks_through_a_class_on_every_node_by_api_and_in_the_browser(ee_acceptance):
    """The API walk, then the browser's, in the run of the acceptance job in the execution environment at -vvv
    (conftest.ee_acceptance, the AWX job template through ansible-runner; test_workflows_8 counts it). On 3.0 the
    client settings are read as the client reads them: the x-session-token header and the node's JSESSIONID from the
    join (checkGraphqlAuthorization refuses a ?sessionToken= query, which 82b2c61 sent)."""
    runner, output, report_dir, _artifacts = ee_acceptance
    rc = runner.rc
    text = flat(output)
    assert rc == 0, text[-3000:]
    # at -vvv (an AWX job's events hold the same): no API call's checksum (each is valid for its call: a join as
    # moderator) and no user's session token, neither in a URL nor in a header
    leaks = re.findall(
        r"(?:checksum=[0-9a-f]{40,}|sessionToken=\w{6,}|x-session-token\W+\w{6,}|JSESSIONID=\w{6,})", output
    )
    assert leaks == [], leaks[:3]
    for name in NODES:
        label = name.split(".")[0]
        assert result_of(text, name) == (
            f"pass: teacher, learner and guest joined through https://{PROXY}/{label}/html5client/; "
            f"browser walk-through: pass: {WALKED}"
        ), result_of(text, name)
    assert "Check that the node hands the client its settings, readable from the proxy's page" in text
    assert "Check the STUN/TURN servers the client gets" in text
    report = ET.parse(report_dir / "junit.xml").getroot()
    assert {suite.get("name") for suite in report} == set(NODES)
    assert all(suite.get("failures") == "0" and int(suite.get("tests")) == 12 for suite in report)
    html = (report_dir / "index.html").read_text()
    assert "screenshots/room-a.lab.test-teacher.png" in html and "screenshots/room-a.lab.test-guest-in.png" in html
    # what it saw: the 3.0 guest let in by the moderator's client, the 2.x guest in the node's lobby
    seen = steps_seen(report_dir)
    # room-a has LiveKit (bbb-livekit): its meeting is on LiveKit, and the client signals to the node's LiveKit
    assert seen[ROOM_A]["livekit"] == f"LiveKit signalling to the node: wss://{ROOM_A}/livekit/rtc, answered"
    assert seen[ROOM_B]["livekit"] == "not used: no LiveKit on the node, its meeting uses bbb-webrtc-sfu"
    # the teacher a moderator, the learner a viewer, as the node reports them; on 3.0 the learner's client sends the
    # approval of the waiting guest as a moderator's does, and bbb-graphql-actions refuses it
    roles = "the node reports the teacher as MODERATOR and the learner as VIEWER (getMeetingInfo)"
    assert seen[ROOM_A]["learner"] == (
        f"{roles}; the learner's approval of the waiting guest was refused (guestUsersSubmitApprovalStatus: "
        "Permission Denied (not moderator).) and the guest still waits"
    )
    assert seen[ROOM_B]["learner"].startswith(f"{roles}; roles only:")
    # axe-core on the client page through the proxy, report-only, said to be the lab's stand-in client
    for name in NODES:
        label = name.split(".")[0]
        assert seen[name]["accessibility"].startswith(f"axe-core 4.12.1 on https://{PROXY}/{label}/html5client/"), seen
        assert "report only (threshold none)" in seen[name]["accessibility"]
        assert "the lab's stand-in client, not of BBB's client" in seen[name]["accessibility"]
    assert "accessibility" in html and "dequeuniversity.com/rules/axe/" in html
    assert "screenshots/room-a.lab.test-learner.png" in html
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


HTML5 = "/etc/bigbluebutton/bbb-html5.yml"
# room-a's client settings as 0.1.0 left them on a node with LiveKit (bbb_node_livekit defaulted to false): no
# public.media.livekit.url
WITHOUT_LIVEKIT_URL = (
    "python3 -c \"import yaml; p = '/etc/bigbluebutton/bbb-html5.yml'; d = yaml.safe_load(open(p)); "
    "d['public']['media'].pop('livekit'); yaml.safe_dump(d, open(p, 'w'))\""
)


def test_browser_walkthrough_names_the_step_that_fails(tmp_path):
    """room-b refuses the proxy's origin for its API (accessControlAllowOrigin): the 2.x client's enter is blocked
    by CORS, so the client never starts. room-a lacks the client's LiveKit URL (as 0.1.0 left a node with LiveKit):
    its client, in a meeting on LiveKit, dials the proxy's LiveKit, which does not exist; drift names the key."""
    original = edit(
        ROOM_B, PROPERTIES, "s#^accessControlAllowOrigin=.*#accessControlAllowOrigin=https://wrong.example#"
    )
    settings = host(ROOM_A).file(HTML5).content_string
    try:
        assert host(ROOM_A).run(WITHOUT_LIVEKIT_URL).rc == 0
        host(ROOM_B).run("systemctl restart bbb-web")
        rc, output = playbook(
            "bbb.cluster_proxy.acceptance", *walkthrough(tmp_path, "-e", "bbb_acceptance_browser_timeout=5")
        )
        drift_rc, drift = playbook("bbb.cluster_proxy.drift")
    finally:
        restore(ROOM_B, PROPERTIES, original)
        restore(ROOM_A, HTML5, settings)
        host(ROOM_B).run("systemctl restart bbb-web")
    text = flat(output)
    assert rc != 0
    assert "; browser walk-through: FAIL at 'teacher': after 5 s the node counts 0 users" in result_of(text, ROOM_B)
    # the API walk reads the client's settings and names the key; the browser sees where the client then dials
    assert result_of(text, ROOM_A).startswith(
        "FAIL at 'Check that the client's endpoints point at the node itself': client settings point away from the "
        f"node {ROOM_A}: LiveKit public.media.livekit.url"
    ), result_of(text, ROOM_A)
    assert result_of(text, ROOM_A).endswith(
        f"browser walk-through: FAIL at 'livekit': LiveKit signalling to wss://{PROXY}/livekit/rtc, not to the node "
        f"{ROOM_A}: without public.media.livekit.url in the node's bbb-html5.yml the client dials the page's host "
        "(drift names it, site sets it)"
    ), result_of(text, ROOM_A)
    assert "Acceptance failed on: room-a.lab.test, room-b.lab.test" in text
    drift = flat(drift)
    assert drift_rc != 0 and "public.media.livekit.url" in drift, drift[-3000:]
    assert "the client dials wss://<proxy>/livekit" in drift
    report = ET.parse(tmp_path / "report" / "junit.xml").getroot()
    failed = [
        case.get("name")
        for suite in report
        if suite.get("name") == ROOM_B
        for case in suite
        if len(case.findall("failure"))
    ]
    assert failed == ["teacher"]
