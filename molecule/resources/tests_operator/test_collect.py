# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One log bundle (playbooks/collect.yml) of a real meeting on the lab, by meeting id and by time window.

A meeting is created, joined and ended on the first node through its API (checksums enforced by the bbb-web
double as by bbb-web); the client is asked for through the proxy with a checksum and a sessionToken in its URL;
a wrong checksum makes bbb-web log its own. Then the bundle must hold the window's lines of the proxy (for that
node only) and of the node (nginx, bbb-web, graphql's journal), a sorted timeline and a manifest whose counts and
SHA-256 match, and none of the secret, the checksums, the session token or the passwords; a line from outside
the window is absent. Bad requests stop before anything is collected, and the hosts never change.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from urllib.parse import urlencode

import pytest
from lab_runs import NODES, PROXIES, RUNNER, api_url, bundle, flat, host, playbook

PROXY = PROXIES[0]
NODE, OTHER = NODES[0], NODES[1]
LABEL, OTHER_LABEL = NODE.split(".", 1)[0], OTHER.split(".", 1)[0]
RUN = uuid.uuid4().hex[:8]
MEETING = f"collect-{RUN}"
MOD_PW, ATT_PW = f"mod-pw-{RUN}", f"att-pw-{RUN}"
COLLECTED = "Read this host's lines"  # the task name of the collecting play


def _get(url):
    """GET ``url`` from the proxy host (real DNS, the lab CA); return the body."""
    done = host(PROXY).run(f"curl -sS --max-time 10 '{url}'")
    assert done.rc == 0, done.stderr
    return done.stdout


def _checksum(url):
    return re.search(r"checksum=([0-9a-f]+)", url).group(1)


def _recap_changes(output):
    """{host: changed=N} of the play recap."""
    recap = output[output.rindex("PLAY RECAP") :]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+)\s*:.*?changed=(\d+)", recap, re.M)}


def _archives(directory):
    return sorted(directory.glob("*.tar.gz"))


@pytest.fixture(scope="module")
def meeting():
    """The meeting's traffic, with a proxy line just before and just after the window that must stay out."""
    values = {"checksums": []}
    _get(f"https://{PROXY}/{LABEL}/html5client/?marker=before-{RUN}")
    time.sleep(2.5)
    values["since"] = int(time.time())
    time.sleep(1.1)
    create = api_url(NODE, "create", meetingID=MEETING, name=f"Collect {RUN}", moderatorPW=MOD_PW, attendeePW=ATT_PW)
    assert "<returncode>SUCCESS</returncode>" in _get(create)
    join = api_url(NODE, "join", meetingID=MEETING, fullName="Teacher", password=MOD_PW, redirect="false")
    answer = _get(join)
    token = re.search(r"<session_token>([^<]+)<", answer).group(1)
    values["token"] = token
    values["checksums"] += [_checksum(create), _checksum(join)]
    # the client through the proxy, a checksum and a session token in the URL (the proxy and the node log both)
    proxied = (
        f"https://{PROXY}/{LABEL}/html5client/?sessionToken={token}&checksum={_checksum(join)}&marker=inside-{RUN}"
    )
    _get(proxied)
    _get(f"https://{PROXY}/{OTHER_LABEL}/html5client/?marker=other-node-{RUN}")  # another node: not in its bundle
    # a wrong checksum: bbb-web logs the right one ("our: [...]", ParamsProcessorUtil.isChecksumSame)
    query = urlencode({"meetingID": MEETING})
    secret = RUNNER.get_variables(NODE)["bbb_lab_node_secret"]
    values["checksums"].append(hashlib.sha1(("getMeetingInfo" + query + secret).encode()).hexdigest())  # noqa: S324
    assert "checksumError" in _get(f"https://{NODE}/bigbluebutton/api/getMeetingInfo?{query}&checksum={'0' * 40}")
    end = api_url(NODE, "end", meetingID=MEETING)
    assert "<returncode>SUCCESS</returncode>" in _get(end)
    values["checksums"].append(_checksum(end))
    time.sleep(1.1)
    values["until"] = int(time.time())
    time.sleep(2.5)
    _get(f"https://{PROXY}/{LABEL}/html5client/?marker=after-{RUN}")
    time.sleep(6)  # the proxy's access log is buffered, flushed within 5 s
    return values


def _no_secret_value(members, meeting):
    """Neither a node's secret (lab_runs.bundle checks), nor a checksum, the session token or a password."""
    for name, text in members.items():
        for value in [*meeting["checksums"], meeting["token"], MOD_PW, ATT_PW]:
            assert value not in text, f"{value[:6]}... is in {name}"
    everything = "\n".join(members.values())
    assert "checksum=[REDACTED]" in everything and "sessionToken=[REDACTED]" in everything
    assert "moderatorPW=[REDACTED]" in everything and "password=[REDACTED]" in everything


def _check_timeline_and_manifest(members):
    timeline = members["timeline.log"].splitlines()
    stamps = [line.split(" ", 1)[0] for line in timeline]
    assert stamps == sorted(stamps) and len(stamps) > 5
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s) for s in stamps)
    manifest = json.loads(members["manifest.json"])
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(members) - {"manifest.json"}
    for path, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(members[path].encode()).hexdigest(), path
        assert entry["lines"] == members[path].count("\n"), path
    # every line of every file is in the timeline, prefixed with its host and source
    assert len(timeline) == sum(e["lines"] for p, e in listed.items() if p != "timeline.log")
    return manifest


def _collect(tmp_path, *args):
    rc, output = playbook("bbb.cluster_proxy.collect", "-e", f"bbb_logs_dest={tmp_path}", *args)
    assert rc == 0, flat(output)[-3000:]
    changes = _recap_changes(output)
    assert all(changes[h] == 0 for h in [PROXY, *NODES]), changes  # read-only on every host
    (archive,) = _archives(tmp_path)
    return bundle(archive), output


def test_a_meeting_s_bundle(meeting, tmp_path):
    members, output = _collect(tmp_path, "-e", f"meeting_id={MEETING}")
    assert f"meeting {MEETING} on {NODE}" in flat(output)
    manifest = _check_timeline_and_manifest(members)
    assert set(manifest["hosts"]) == {PROXY, NODE}  # the node that ran it, and the proxy
    assert manifest["window"]["mode"] == "meeting" and manifest["window"]["node"] == NODE
    assert manifest["window"]["meeting"]["external"] == MEETING and manifest["window"]["meeting"]["ended"]
    # the node: bbb-web's create and end of this meeting, nginx's API calls and the proxied client, graphql's journal
    web = members[f"{NODE}/bbb-web.log"]
    assert '"logCode":"create_meeting"' in web and '"logCode":"meeting_removed_from_running"' in web
    assert f'"externalMeetingId":"{MEETING}"' in web and "our: [[REDACTED]]" in web
    nginx = members[f"{NODE}/nginx-access.log"]
    assert f"GET /bigbluebutton/api/create?meetingID={MEETING}" in nginx and f"marker=inside-{RUN}" in nginx
    assert f"{NODE}/graphql-server.log" in members
    # the proxy: this node's lines only, with the session token redacted
    proxy = members[f"{PROXY}/proxy-access.log"]
    assert f"sessionToken=[REDACTED]&checksum=[REDACTED]&marker=inside-{RUN}" in proxy and f"node={NODE} " in proxy
    assert f"other-node-{RUN}" not in proxy and f"node={OTHER} " not in proxy
    assert not any(name.startswith(OTHER + "/") for name in members)
    _no_secret_value(members, meeting)


def test_a_window_s_bundle_holds_the_window_only(meeting, tmp_path):
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(meeting["since"]))
    until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(meeting["until"]))
    # at -vvv: neither the output (playbook()) nor the bundle (bundle()) holds a node's secret
    members, output = _collect(tmp_path, "-e", f"since={since}", "-e", f"until={until}", "-vvv")
    assert "ESTABLISH" in output  # connection details show only at -vvv
    manifest = _check_timeline_and_manifest(members)
    assert set(manifest["hosts"]) == {PROXY, *NODES}
    assert manifest["window"]["since_iso"] == since.replace("Z", ".000Z")
    everything = "\n".join(members.values())
    assert f"marker=inside-{RUN}" in members[f"{PROXY}/proxy-access.log"]
    assert f"other-node-{RUN}" in members[f"{PROXY}/proxy-access.log"]  # every node's lines in a window's bundle
    assert f"before-{RUN}" not in everything and f"after-{RUN}" not in everything  # outside the window
    assert f'"externalMeetingId":"{MEETING}"' in members[f"{NODE}/bbb-web.log"]
    timeline = members["timeline.log"]
    assert f" {PROXY} proxy-access | " in timeline and f" {NODE} bbb-web | " in timeline
    _no_secret_value(members, meeting)


def test_check_mode_reads_and_writes_nothing(meeting, tmp_path):
    rc, output = playbook(
        "bbb.cluster_proxy.collect", "--check", "-e", f"bbb_logs_dest={tmp_path}", "-e", f"meeting_id={MEETING}"
    )
    assert rc == 0, flat(output)[-3000:]
    assert "check mode, nothing written" in flat(output)
    assert _archives(tmp_path) == [] and not any(tmp_path.iterdir())
    assert all(v == 0 for v in _recap_changes(output).values())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Nothing to collect: give -e meeting_id="),
        (("-e", "since=2026-11-29T10:00:00Z"), "until is missing"),
        (("-e", "since=2026-11-29T10:00:00Z", "-e", "until=2026-11-29T09:00:00Z"), "is not before until"),
        (("-e", "since=yesterday", "-e", "until=2026-11-29T09:00:00Z"), "since is 'yesterday', which is not a time"),
        (("-e", "meeting_id=x", "-e", "since=2026-11-29T10:00:00Z"), "either meeting_id or since/until, not both"),
    ],
    ids=["nothing", "no-until", "since-after-until", "unparseable", "both"],
)
def test_bad_requests_stop_before_anything_is_read(tmp_path, args, message):
    rc, output = playbook("bbb.cluster_proxy.collect", "-e", f"bbb_logs_dest={tmp_path}", *args)
    assert rc != 0 and message in flat(output), flat(output)[-2000:]
    assert "Detect the BigBlueButton version" not in output and COLLECTED not in output  # no host was touched
    assert not any(tmp_path.iterdir())


def test_an_unknown_meeting_is_named_with_the_nodes_searched(tmp_path):
    rc, output = playbook(
        "bbb.cluster_proxy.collect", "-e", f"bbb_logs_dest={tmp_path}", "-e", f"meeting_id=none-{RUN}"
    )
    text = flat(output)
    assert rc != 0 and f"meeting_id 'none-{RUN}' was not found in bbb-web's log on any node searched" in text, text[
        -2000:
    ]
    assert all(node in text for node in NODES) and COLLECTED not in output
    assert not any(tmp_path.iterdir())
