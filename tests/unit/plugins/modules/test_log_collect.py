# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""log_collect on real files in tmp_path: the window's lines of a file and its rotated copies, redacted on the
host (the node's secret read from its properties, never returned), the proxy's node filter, a meeting's times."""

from __future__ import annotations

import calendar
import gzip
import json
import os

from ansible_collections.bbb.cluster_proxy.plugins.modules.log_collect import main

SECRET = "node-secret-never-leaves"
T0 = calendar.timegm((2026, 11, 29, 14, 0, 0))


def _setup(tmp_path):
    logs = tmp_path / "log"
    logs.mkdir()
    old = logs / "bbb-web.2026-11-28.log.gz"
    with gzip.open(old, "wt") as handle:
        handle.write(
            "2026-11-29T13:59:00.000Z INFO  a - rotated, before\n2026-11-29T14:00:01.000Z INFO  a - rotated, inside\n"
        )
    current = logs / "bbb-web.log"
    data = {"meetingId": "int-1", "externalMeetingId": "room", "logCode": "create_meeting"}
    current.write_text(
        f"2026-11-29T14:00:02.000Z INFO  o.b.api.MeetingService -  --analytics-- data={json.dumps(data)}\n"
        f"2026-11-29T14:00:03.000Z INFO  o.b.api.ParamsProcessorUtil - salt {SECRET} checksum=c0ffee sessionToken=t1\n"
        "\tat continuation.of.the.line.above\n"
        "2026-11-29T15:00:00.000Z INFO  a - after\n"
    )
    stale = logs / "bbb-web.2026-11-01.log"  # last modified before the window: not read
    stale.write_text("2026-11-29T14:00:05.000Z INFO  a - a stale file\n")
    for path in (old, current):
        os.utime(path, (T0 + 3600, T0 + 3600))
    os.utime(stale, (T0 - 86400, T0 - 86400))
    props = tmp_path / "bbb-web.properties"
    props.write_text(f"bigbluebutton.web.serverURL=https://bbb-01\nsecuritySalt={SECRET}\n")
    return logs, props


def test_the_window_redacted_on_the_host(tmp_path, run_module):
    logs, props = _setup(tmp_path)
    failed, result, out = run_module(
        main,
        dict(
            sources=[
                {"name": "bbb-web", "path": str(logs / "bbb-web*.log*"), "meetings": True},
                {"name": "client", "path": str(logs / "html5-client.log*")},
            ],
            since=T0,
            until=T0 + 60,
            secret_files=[str(props), str(tmp_path / "missing.properties")],
        ),
        check_mode=True,
    )
    assert not failed and result["changed"] is False
    assert SECRET not in out and "c0ffee" not in out and "sessionToken=t1" not in out
    web, client = result["sources"]
    assert [text for _t, text in web["lines"]] == [
        "2026-11-29T14:00:01.000Z INFO  a - rotated, inside",
        web["lines"][1][1],
        "2026-11-29T14:00:03.000Z INFO  o.b.api.ParamsProcessorUtil - salt [REDACTED] checksum=[REDACTED] sessionToken=[REDACTED]",
        "\tat continuation.of.the.line.above",
    ]
    assert "create_meeting" in web["lines"][1][1]
    assert [t for t, _text in web["lines"]] == [T0 + 1, T0 + 2, T0 + 3, T0 + 3]
    assert str(logs / "bbb-web.2026-11-01.log") not in web["files"] and len(web["files"]) == 2
    assert client == {
        "name": "client",
        "origin": str(logs / "html5-client.log*"),
        "files": [],
        "absent": True,
        "error": "",
        "lines": [],
    }


def test_the_proxy_s_lines_of_one_node(tmp_path, run_module):
    access = tmp_path / "bbb-cluster-proxy.access.log"
    access.write_text(
        '10.0.0.9 - - [29/Nov/2026:14:00:01 +0000] "GET /bbb-01/html5client/?sessionToken=s1 HTTP/1.1" 200 5 "-" "c" '
        "node=bbb-01.lab upstream=10.0.0.2:443 rt=0.001 urt=0.001 cache=-\n"
        '10.0.0.9 - - [29/Nov/2026:14:00:02 +0000] "GET /bbb-02/html5client/ HTTP/1.1" 200 5 "-" "c" '
        "node=bbb-02.lab upstream=10.0.0.3:443 rt=0.001 urt=0.001 cache=-\n"
    )
    os.utime(access, (T0 + 60, T0 + 60))
    failed, result, out = run_module(
        main,
        dict(
            sources=[{"name": "proxy-access", "path": str(access)}],
            since=T0,
            until=T0 + 60,
            match_any=["node=bbb-01.lab ", " /bbb-01/"],
        ),
    )
    assert not failed
    (lines,) = [s["lines"] for s in result["sources"]]
    assert len(lines) == 1 and "sessionToken=[REDACTED]" in lines[0][1] and "s1 " not in out


def test_the_proxy_s_lines_of_a_node_are_those_it_sent_there(tmp_path, run_module):
    """match: node keeps what went to the node (node=, after nginx normalised /bbb-01/../bbb-02/), path what names it."""
    access = tmp_path / "access.log"
    access.write_text(
        '1 - - [29/Nov/2026:14:00:01 +0000] "GET /bbb-01/html5client/../../bbb-02/html5client/ HTTP/2.0" 200 5 "-" "c" node=bbb-02.lab upstream=b\n'
        '1 - - [29/Nov/2026:14:00:02 +0000] "GET /bbb-01/html5client/ HTTP/2.0" 200 5 "-" "c" node=bbb-01.lab upstream=a\n'
    )
    error = tmp_path / "error.log"
    error.write_text('2026/11/29 14:00:03 [error] 1#1: *1 x, request: "GET /bbb-01/html5client/y HTTP/2.0"\n')
    for path in (access, error):
        os.utime(path, (T0 + 60, T0 + 60))
    failed, result, _out = run_module(
        main,
        dict(
            sources=[
                {"name": "proxy-access", "path": str(access), "match": "node"},
                {"name": "proxy-error", "path": str(error), "match": "path"},
            ],
            nodes=[{"hostname": "bbb-01.lab", "label": "bbb-01", "inventory_hostname": "bbb-01"}],
            since=0,
            until=T0 + 86400 * 365,
        ),
    )
    assert not failed
    got = {s["name"]: [text for _t, text in s["lines"]] for s in result["sources"]}
    assert len(got["proxy-access"]) == 1 and "node=bbb-01.lab " in got["proxy-access"][0]
    assert len(got["proxy-error"]) == 1


def test_a_meeting_s_times(tmp_path, run_module):
    logs, _props = _setup(tmp_path)
    failed, result, _out = run_module(
        main,
        dict(sources=[{"name": "bbb-web", "path": str(logs / "bbb-web*.log*"), "meetings": True}], meeting_id="room"),
    )
    assert not failed and "sources" not in result
    assert result["meetings"] == [{"internal": "int-1", "external": "room", "created": T0 + 2, "ended": None}]


def test_a_source_needs_a_path_or_a_unit(run_module):
    failed, result, _out = run_module(main, dict(sources=[{"name": "x"}]))
    assert failed and "path" in result["msg"] and "unit" in result["msg"]
