# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""log_collect at production size: a busy node's journal of a day, its large rotated and gzipped
bbb-web logs, the proxy's access log of hundreds of nodes, thousands of meetings. The answer is the one the small lab
gives - exactly the window's lines, exactly the meeting asked for, every secret redacted - in bounded time, and a
large file is read line by line, not held whole.

The sizes are what proves the point in a unit test's seconds (~15 MiB of journal, ~10^5 lines a source); the
expected answers are computed here from the generator's own records, not by the module's functions."""

from __future__ import annotations

import calendar
import gzip
import hashlib
import json
import os
import time
import tracemalloc

import pytest
from ansible.module_utils import basic
from ansible_collections.bbb.cluster_proxy.plugins.module_utils import logs
from ansible_collections.bbb.cluster_proxy.plugins.modules.log_collect import main

DAY = calendar.timegm((2026, 11, 29, 0, 0, 0))
SINCE = DAY + 14 * 3600  # the window: one busy hour
UNTIL = DAY + 15 * 3600
UNITS = ("bbb-graphql-server", "bbb-html5-frontend@1", "bbb-webrtc-sfu", "freeswitch", "bbb-apps-akka")


def _iso(stamp):
    whole = int(stamp)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{round((stamp - whole) * 1e6):06d}+00:00"


def _redacted(line, secret):
    """What the module must return for a generated line (its own rule, not the module's patterns)."""
    if secret and "Bearer" in line:
        return line.split("Authorization: ")[0] + "Authorization: [REDACTED]"
    return line.replace(secret, "[REDACTED]") if secret else line


def _journal(count):
    """(journalctl -o short-iso-precise text of ``count`` lines over the day, [(time, line, secret)])."""
    records, out = [], []
    step = 86400 * 10**6 // count  # microseconds
    for i in range(count):
        micros = i * step
        stamp = float(DAY + micros // 10**6) + float(f"0.{micros % 10**6:06d}")  # as the line's time reads
        secret = f"s3cr3t{i:07d}" if i % 7 == 0 else ""
        said = {0: "sessionToken=", 1: "password=", 2: "checksum=", 3: "Authorization: Bearer "}.get(i % 5)
        said = (f"{said}{secret}" if said else f'"authToken":"{secret}"') if secret else "event"
        line = f"{_iso(stamp)} bbb-01 {UNITS[i % 5]}[{1000 + i % 5}]: user u{i % 311} meeting m{i % 97} {said} ok"
        records.append((stamp, line, secret))
        out.append(line)
        if i % 50 == 0:  # a message of two lines: journalctl indents the second one
            out.append(
                "                                              continued " + (f"password={secret}" if secret else "-")
            )
            records.append((stamp, out[-1], secret))
    return "\n".join(out) + "\n", records


@pytest.mark.at_size
def test_a_busy_days_journal_gives_exactly_the_window_redacted(run_module, monkeypatch):
    text, records = _journal(160_000)
    assert len(text) > 14 * 2**20
    calls = []

    def run_command(self, command, **kwargs):
        calls.append(command)
        return 0, text, ""

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: f"/usr/bin/{name}")
    started = time.monotonic()
    failed, result, out = run_module(
        main, dict(sources=[{"name": "units", "unit": "bbb-*"}], since=SINCE, until=UNTIL), check_mode=True
    )
    elapsed = time.monotonic() - started
    assert not failed, result
    assert calls[0][-4:] == ["--since", f"@{SINCE}", "--until", f"@{UNTIL}"]
    (source,) = result["sources"]
    wanted = [(stamp, _redacted(line, secret)) for stamp, line, secret in records if SINCE <= stamp <= UNTIL]
    assert len(wanted) > 4000 and sum("[REDACTED]" in line for _t, line in wanted) > 500
    assert [tuple(item) for item in source["lines"]] == wanted
    assert "s3cr3t" not in out
    assert elapsed < 30, f"{elapsed:.1f} s for {len(records)} journal lines"


def _web_line(stamp, i, meeting):
    data = {"meetingId": meeting[0], "externalMeetingId": meeting[1], "logCode": "join_api", "user": f"u{i}"}
    return (
        f"{_iso(stamp)[:23]}Z INFO  o.b.api.MeetingService -  --analytics-- data={json.dumps(data)}\n"
        if i % 3 == 0
        else f"{_iso(stamp)[:23]}Z DEBUG o.b.w.c.ApiController - ApiController#join checksum=c{i:08x} x\n"
    )


def _meetings(count):
    """(internal, external) of ``count`` meetings: external ids as integrations give them (numbers), internal ids as
    bbb-web makes them (sha1 of the external id, '-', the creation's milliseconds)."""
    out = []
    for n in range(count):
        external = str(n)
        created = DAY - 86400 * 7 + n * 300
        out.append((hashlib.sha1(f"{external}{n}".encode()).hexdigest() + f"-{created * 1000}", external, created))
    return out


def _bbb_web_logs(tmp_path, meetings, lines_per_file):
    """A week of bbb-web logs: gzipped rotated days and today's file, each with join lines and the meetings'
    create_meeting / meeting_removed_from_running analytics lines. Returns the directory."""
    logs_dir = tmp_path / "log"
    logs_dir.mkdir()
    for day in range(7, -1, -1):
        start = DAY + 86400 * -day
        rows = []
        for i in range(lines_per_file):
            stamp = start + i * 86400.0 / lines_per_file
            rows.append(_web_line(stamp, i, meetings[i % len(meetings)]))
        for internal, external, created in meetings:
            if start <= created < start + 86400:
                for code, at in (("create_meeting", created), ("meeting_removed_from_running", created + 3600)):
                    data = {"meetingId": internal, "externalMeetingId": external, "logCode": code}
                    rows.append(
                        f"{_iso(at)[:23]}Z INFO  o.b.api.MeetingService -  --analytics-- data={json.dumps(data)}\n"
                    )
        rows.sort()
        if day:
            path = logs_dir / f"bbb-web.{time.strftime('%Y-%m-%d', time.gmtime(start))}.log.gz"
            with gzip.open(path, "wt", compresslevel=1) as handle:
                handle.writelines(rows)
        else:
            path = logs_dir / "bbb-web.log"
            path.write_text("".join(rows))
        os.utime(path, (start + 86400, start + 86400))
    return logs_dir


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """2016 meetings (a week, one every 5 minutes) and a week of their bbb-web logs, made once for this file."""
    meetings = _meetings(2016)
    return meetings, _bbb_web_logs(tmp_path_factory.mktemp("week"), meetings, 8_000)


@pytest.mark.at_size
def test_a_meeting_among_thousands_is_the_one_asked_for(week, run_module):
    """External id 42 among 2016 meetings: the internal ids of some others start with 42 (1 in 256), which the prefix
    lookup found too, and the bundle then showed the newest of them. The meeting whose external (or whole internal)
    id it is wins; an internal id's prefix still finds its meeting."""
    meetings, logs_dir = week
    others = [m for m in meetings if m[0].startswith("42") and m[1] != "42"]
    assert others  # the collision the lab's two meetings never show
    sources = [{"name": "bbb-web", "path": str(logs_dir / "bbb-web*.log*"), "meetings": True}]
    internal, external, created = next(m for m in meetings if m[1] == "42")
    want = [{"internal": internal, "external": "42", "created": float(created), "ended": float(created + 3600)}]
    for asked in ("42", internal, internal[:8], internal.split("-")[0]):
        failed, result, _out = run_module(main, dict(sources=sources, meeting_id=asked))
        assert not failed and result["meetings"] == want, asked


@pytest.mark.at_size
def test_large_rotated_and_gzipped_files_give_exactly_the_window_and_are_streamed(week, run_module):
    _meetings_of_the_week, logs_dir = week
    size = sum(p.stat().st_size for p in logs_dir.iterdir())
    since, until = DAY - 86400 - 600, DAY - 86400 + 600  # across the midnight between two gzipped days
    wanted = []
    for path in sorted(logs_dir.iterdir(), key=lambda p: p.stat().st_mtime):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as handle:
            for line in handle:
                stamp = calendar.timegm(time.strptime(line[:19], "%Y-%m-%dT%H:%M:%S")) + float(line[19:23])
                if since <= stamp <= until and path.stat().st_mtime >= since:
                    wanted.append((stamp, line.rstrip("\n")))
    wanted.sort(key=lambda item: item[0])
    assert len(wanted) > 100
    sources = [{"name": "bbb-web", "path": str(logs_dir / "bbb-web*.log*")}]
    tracemalloc.start()
    try:
        started = time.monotonic()
        failed, result, out = run_module(main, dict(sources=sources, since=since, until=until))
        elapsed = time.monotonic() - started
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not failed and result["sources"][0]["error"] == ""
    got = result["sources"][0]["lines"]
    assert [t for t, _l in got] == [t for t, _l in wanted]
    assert [line for _t, line in got] == [
        line if "checksum=" not in line else line.split("checksum=")[0] + "checksum=[REDACTED] x" for _t, line in wanted
    ]
    assert "checksum=c" not in out
    # the files modified since the window's start are read (3 of 8, ~60k lines), but only the window's lines held
    assert len(result["sources"][0]["files"]) == 3
    print(f"peak {peak / 2**20:.2f} MiB, {elapsed:.1f} s, {size / 2**20:.1f} MiB on disk")
    assert peak < 2 * 2**20, f"peak {peak / 2**20:.1f} MiB reading {size / 2**20:.1f} MiB of logs"
    assert elapsed < 30


def test_a_gzip_cut_short_keeps_its_lines_and_names_the_file(tmp_path, run_module):
    """logrotate's compression still running (or a disk that filled): the lines read are kept, the error named."""
    path = tmp_path / "access.log.2.gz"
    with gzip.open(path, "wt") as handle:
        for i in range(5000):
            handle.write(f'1 - - [29/Nov/2026:14:{i // 600:02d}:{i // 10 % 60:02d} +0000] "GET /x{i} HTTP/1.1" 200 5\n')
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    failed, result, _out = run_module(main, dict(sources=[{"name": "a", "path": str(path)}], since=0, until=2e9))
    assert not failed
    (source,) = result["sources"]
    assert source["error"].startswith(f"{path}: ") and 0 < len(source["lines"]) < 5000


@pytest.mark.at_size
def test_hundreds_of_nodes_cost_no_more_per_line_than_one():
    """The proxy's lines of every node (bbb_logs_nodes empty): the test of a line's node= does not grow with the
    number of nodes (it was one substring search per node and line)."""
    nodes = [f"bbb-{n:04d}.example.com" for n in range(1000)]
    lines = [
        f'10.0.0.{i % 250} - - [29/Nov/2026:14:{i // 1000 % 60:02d}:{i % 60:02d} +0000] "GET /bbb-{i % 1001:04d}/html5client/'
        f'x.js HTTP/2.0" 200 5 "-" "Mozilla" node=bbb-{i % 1001:04d}.example.com upstream=10.1.0.1:443 rt=0 urt=0\n'
        for i in range(40_000)
    ]
    since, until = DAY + 14 * 3600, DAY + 15 * 3600

    def timed(match_any):
        started = time.monotonic()
        found = logs.window_lines(lines, since, until, (), match_any)
        return found, time.monotonic() - started

    one, t_one = timed([f"node={nodes[7]} "])
    every, t_every = timed([f"node={n} " for n in nodes])
    assert len(one) == sum(1 for line in lines if f"node={nodes[7]} " in line) > 0
    assert len(every) == sum(1 for line in lines if "node=bbb-1000." not in line)
    assert t_every < 4 * t_one + 1.0, (t_one, t_every)  # 21x before
