# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The log bundle's shared code and filters: times of every log format, redaction, the window, the meeting's
window, the bundle's files, timeline and manifest."""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import time

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bbb.cluster_proxy.plugins.filter.log_bundle import FilterModule as BundleModule
from ansible_collections.bbb.cluster_proxy.plugins.filter.log_bundle import log_bundle
from ansible_collections.bbb.cluster_proxy.plugins.filter.log_window import FilterModule as WindowModule
from ansible_collections.bbb.cluster_proxy.plugins.filter.log_window import log_window
from ansible_collections.bbb.cluster_proxy.plugins.filter.meeting_window import FilterModule as MeetingModule
from ansible_collections.bbb.cluster_proxy.plugins.filter.meeting_window import meeting_window
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.logs import (
    LogError,
    iso,
    line_time,
    meeting_events,
    parse_time,
    redact,
    window_lines,
)

T0 = calendar.timegm((2026, 11, 29, 14, 0, 0))  # 2026-11-29T14:00:00Z


@pytest.fixture
def utc_host(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")  # the host's local time is UTC+1 in November
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def test_one_filter_per_file():
    assert WindowModule().filters() == {"log_window": log_window}
    assert MeetingModule().filters() == {"meeting_window": meeting_window}
    assert BundleModule().filters() == {"log_bundle": log_bundle}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # nginx $time_local (proxy and node access logs), with its offset
        ('10.0.0.1 - - [29/Nov/2026:14:00:00 +0000] "GET /bbb-01/html5client/ HTTP/1.1" 200 1 node=bbb-01', T0),
        ('10.0.0.1 - - [29/Nov/2026:15:00:00 +0100] "GET / HTTP/1.1" 200 1', T0),
        # bbb-web logback yyyy-MM-dd'T'HH:mm:ss.SSSXXX
        ("2026-11-29T14:00:00.250Z INFO  o.b.api.MeetingService - x", T0 + 0.25),
        ("2026-11-29T15:00:00.000+01:00 DEBUG o.b.w.c.ApiController - ApiController#join", T0),
        # journalctl -o short-iso-precise
        ("2026-11-29T14:00:00.123456+0000 bbb-01 systemd[1]: Started bbb-graphql-server.service", T0 + 0.123456),
        # the client log's postdata format: $remote_addr [$time_iso8601] $request_body
        ('10.1.2.3 [2026-11-29T14:00:00+00:00] {"msg":"client"}', T0),
        ("\tat org.bigbluebutton.Foo(Foo.java:12)", None),
        ("", None),
    ],
)
def test_line_time(line, expected):
    assert line_time(line) == (pytest.approx(expected) if expected is not None else None)


def test_nginx_error_log_is_host_local_time(utc_host):
    assert line_time("2026/11/29 15:00:00 [error] 12#12: *1 upstream timed out") == T0


def test_iso_and_parse_time():
    assert iso(T0 + 0.5) == "2026-11-29T14:00:00.500Z"
    assert parse_time("2026-11-29T14:00:00Z", "since") == T0
    assert parse_time("2026-11-29 14:00", "since") == T0  # UTC without an offset
    assert parse_time("2026-11-29T15:00:00+01:00", "since") == T0
    assert parse_time(f"@{T0}", "since") == T0
    for bad in ("yesterday", "2026-13-01T00:00Z", "2026-11-29T25:00Z", "29/11/2026"):
        with pytest.raises(LogError, match="since is '.*', which is not a time. Fix: give an ISO 8601"):
            parse_time(bad, "since")


@pytest.mark.parametrize(
    ("line", "kept", "gone"),
    [
        (
            "GET /bigbluebutton/api/join?meetingID=m&password=mp&checksum=abc123 HTTP/1.1",
            "meetingID=m",
            ["mp", "abc123"],
        ),
        ("GET /bbb-01/html5client/?sessionToken=tok42&x=1 HTTP/1.1", "x=1", ["tok42"]),
        ("create?moderatorPW=mod1&attendeePW=att1&name=R", "name=R", ["mod1", "att1"]),
        ('data={"sessionToken":"tok9","authToken":"auth9","meetingId":"m"}', '"meetingId":"m"', ["tok9", "auth9"]),
        (
            '"Authorization: Bearer abc.def" "Cookie: JSESSIONID=s1; other=o"',
            "Authorization",
            ["abc.def", "s1", "other=o"],
        ),
        ("Set-Cookie: JSESSIONID=node-session; Path=/", "Set-Cookie", ["node-session"]),
        (
            "checksumError: query string checksum failed. our: [" + "a" * 40 + "], client: [" + "b" * 40 + "]",
            "our: [",
            ["a" * 40, "b" * 40],
        ),
        ("X-Session-Token: tok77", "X-Session-Token", ["tok77"]),
        ("CHECKSUM=" + "c" * 40 + " length=40", "length=40", ["c" * 40]),
        ("INFO  o.b.api.ParamsProcessorUtil - SHA256 " + "d" * 64, "SHA256 ", ["d" * 64]),
        ("level=INFO msg=SHA-1 hex=" + "e" * 40, "SHA-1 hex=", ["e" * 40]),
    ],
)
def test_redact(line, kept, gone):
    redacted = redact(line)
    assert redact(redacted) == redacted  # the hosts redact, the controller again: no "[REDACTED]]"
    assert kept in redacted and "[REDACTED]" in redacted
    for value in gone:
        assert value not in redacted


def test_redact_the_given_secret_anywhere():
    assert redact("securitySalt is s3cr3t-salt, again s3cr3t-salt", ["s3cr3t-salt"]).count("[REDACTED]") == 2


def test_window_lines_keep_the_window_and_continuations():
    lines = [
        "continuation before any time\n",
        "2026-11-29T13:59:59.000Z INFO  a - before\n",
        "\tat before.trace\n",
        "2026-11-29T14:00:00.000Z ERROR a - inside checksum=deadbeef\n",
        "\tat inside.trace\n",
        "2026-11-29T14:10:00.000Z INFO  a - after\n",
    ]
    found = window_lines(lines, T0, T0 + 60, secrets=["never"])
    assert found == [
        [T0, "2026-11-29T14:00:00.000Z ERROR a - inside checksum=[REDACTED]"],
        [T0, "\tat inside.trace"],
    ]


def test_window_lines_match_any_is_the_proxy_s_node_filter():
    lines = [
        '1 - - [29/Nov/2026:14:00:00 +0000] "GET /bbb-01/html5client/ HTTP/1.1" 200 1 "-" "-" node=bbb-01.x upstream=a',
        '1 - - [29/Nov/2026:14:00:01 +0000] "GET /bbb-02/html5client/ HTTP/1.1" 200 1 "-" "-" node=bbb-02.x upstream=b',
        '2026/11/29 14:00:02 [error] 1#1: *3 upstream timed out, request: "GET /bbb-01/html5client/x HTTP/1.1"',
    ]
    found = window_lines(lines, T0 - 3600 * 24, T0 + 3600 * 24, match_any=["node=bbb-01.x ", " /bbb-01/"])
    assert [text.split('"')[1] for _t, text in found] == [
        "GET /bbb-01/html5client/ HTTP/1.1",
        "GET /bbb-01/html5client/x HTTP/1.1",
    ]


def _analytics(stamp, code, internal, external):
    data = {"meetingId": internal, "externalMeetingId": external, "logCode": code}
    return f"{stamp} INFO  o.b.api.MeetingService -  --analytics-- data={json.dumps(data)}"


def test_meeting_events_by_external_or_internal_id():
    lines = [
        _analytics("2026-11-29T14:00:00.000Z", "create_meeting", "int1-1", "room"),
        _analytics("2026-11-29T14:30:00.000Z", "meeting_removed_from_running", "int1-1", "room"),
        _analytics("2026-11-29T15:00:00.000Z", "create_meeting", "int2-2", "room"),  # the id reused, still running
        _analytics("2026-11-29T15:00:00.000Z", "create_meeting", "other-3", "other"),
        "2026-11-29T15:00:01.000Z INFO  x - --analytics-- data={not json",
    ]
    found = meeting_events(lines, "room")
    assert found == [
        {"internal": "int1-1", "external": "room", "created": T0, "ended": T0 + 1800},
        {"internal": "int2-2", "external": "room", "created": T0 + 3600, "ended": None},
    ]
    assert meeting_events(lines, "int1") == found[:1]
    assert meeting_events(lines, "nothing") == []


def test_log_window_of_a_window_and_of_a_meeting():
    offset = log_window({"since": "2026-11-29T14:00:00Z", "until": "2026-11-29T15:30:00+01:00"})  # 14:30Z
    assert (offset["until"], offset["margin"]) == (T0 + 1800, 120)
    window = log_window({"since": "2026-11-29T14:00:00Z", "until": "2026-11-29T14:30:00Z", "margin": "60"})
    assert (window["mode"], window["since"], window["until"], window["margin"]) == ("window", T0, T0 + 1800, 60)
    assert window["since_iso"] == "2026-11-29T14:00:00.000Z"
    assert log_window({"meeting_id": " room-42 ", "margin": 120}) == {
        "mode": "meeting",
        "meeting_id": "room-42",
        "margin": 120,
    }


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({}, "Nothing to collect: give -e meeting_id="),
        ({"meeting_id": "", "since": "", "until": ""}, "Nothing to collect"),
        ({"meeting_id": "m", "since": "2026-11-29T14:00Z"}, "either meeting_id or since/until, not both"),
        ({"since": "2026-11-29T14:00Z"}, "until is missing: a window needs both since and until. Fix: add -e until="),
        ({"until": "2026-11-29T14:00Z"}, "since is missing"),
        ({"since": "soon", "until": "2026-11-29T14:00Z"}, "since is 'soon', which is not a time. Fix"),
        ({"since": "2026-11-29T14:00Z", "until": "later"}, "until is 'later', which is not a time"),
        (
            {"since": "2026-11-29T15:00Z", "until": "2026-11-29T14:00Z"},
            r"since \(2026-11-29T15:00:00.000Z\) is not before until",
        ),
        ({"since": "2026-11-29T14:00Z", "until": "2026-11-29T14:00Z"}, "is not before until"),
        ({"meeting_id": "m", "margin": "-5"}, "bbb_logs_margin is '-5'"),
        ({"meeting_id": "m", "margin": "x"}, "bbb_logs_margin is 'x'"),
    ],
)
def test_log_window_refuses_bad_requests_naming_the_variable_and_the_fix(request_, message):
    with pytest.raises(AnsibleFilterError, match=message):
        log_window(request_)


def test_meeting_window_picks_the_latest_meeting_and_widens_it():
    found = {
        "bbb-01": [{"internal": "a", "external": "room", "created": T0, "ended": T0 + 600}],
        "bbb-02": [{"internal": "b", "external": "room", "created": T0 + 3600, "ended": None}],
        "bbb-03": [],
    }
    window = meeting_window(found, "room", margin=60, now=T0 + 4000)
    assert (window["node"], window["since"], window["until"]) == ("bbb-02", T0 + 3540, T0 + 4060)  # running: to now
    assert window["others"] == [
        {"internal": "a", "external": "room", "created": T0, "ended": T0 + 600, "node": "bbb-01"}
    ]
    ended = meeting_window({"bbb-01": found["bbb-01"]}, "room", margin=0, now=T0 + 9999)
    assert (ended["since"], ended["until"], ended["mode"]) == (T0, T0 + 600, "meeting")


def test_meeting_window_names_the_meeting_and_the_nodes_searched():
    with pytest.raises(
        AnsibleFilterError,
        match=r"meeting_id 'gone' was not found in bbb-web's log on any node searched \(bbb-01, bbb-02\). Fix",
    ):
        meeting_window({"bbb-01": [], "bbb-02": []}, "gone", now=T0)


def test_log_bundle_files_timeline_and_manifest():
    window = log_window({"since": "2026-11-29T14:00:00Z", "until": "2026-11-29T15:00:00Z"})
    collected = [
        {
            "host": "bbb-01",
            "role": "node",
            "label": "bbb-01",
            "version": "3.0",
            "sources": [
                {
                    "name": "bbb-web",
                    "origin": "/var/log/bigbluebutton/bbb-web*.log*",
                    "files": ["/x"],
                    "absent": False,
                    "error": "",
                    "lines": [[T0 + 2, "b2 checksum=leak1"], [T0 + 1, "b1"]],
                },
                {
                    "name": "client",
                    "origin": "/var/log/nginx/html5-client.log*",
                    "files": [],
                    "absent": True,
                    "error": "",
                    "lines": [],
                },
            ],
        },
        {
            "host": "proxy",
            "role": "proxy",
            "label": "",
            "version": "",
            "sources": [
                {
                    "name": "proxy-access",
                    "origin": "/p",
                    "files": ["/p"],
                    "lines": [[T0 + 1, "p1 sessionToken=leak2"], [T0 + 3, "p3"]],
                }
            ],
        },
    ]
    bundle = log_bundle(collected, window=window, name="bbb-logs-x", created=T0 + 7200)
    paths = [f["path"] for f in bundle["files"]]
    assert paths == ["proxy/proxy-access.log", "bbb-01/bbb-web.log", "bbb-01/client.log", "timeline.log"]
    files = {f["path"]: f for f in bundle["files"]}
    assert files["bbb-01/bbb-web.log"]["content"] == "b1\nb2 checksum=[REDACTED]\n"  # sorted, redacted again
    assert files["bbb-01/client.log"]["lines"] == 0 and files["bbb-01/client.log"]["absent"]
    timeline = files["timeline.log"]["content"].splitlines()
    assert timeline == [
        "2026-11-29T14:00:01.000Z bbb-01 bbb-web | b1",
        "2026-11-29T14:00:01.000Z proxy proxy-access | p1 sessionToken=[REDACTED]",
        "2026-11-29T14:00:02.000Z bbb-01 bbb-web | b2 checksum=[REDACTED]",
        "2026-11-29T14:00:03.000Z proxy proxy-access | p3",
    ]
    manifest = json.loads(bundle["manifest_json"])
    assert manifest["hosts"] == {
        "bbb-01": {"role": "node", "label": "bbb-01", "version": "3.0"},
        "proxy": {"role": "proxy", "label": "", "version": ""},
    }
    assert (
        manifest["window"]["since_iso"] == "2026-11-29T14:00:00.000Z"
        and manifest["created"] == "2026-11-29T16:00:00.000Z"
    )
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256(files[entry["path"]]["content"].encode()).hexdigest()
        assert entry["lines"] == files[entry["path"]]["content"].count("\n")
    assert "leak1" not in json.dumps(bundle) and "leak2" not in json.dumps(bundle)
    assert os.path.basename(paths[-1]) == "timeline.log"
