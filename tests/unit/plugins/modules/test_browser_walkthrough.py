# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""browser_walkthrough without a browser: checksums, the lab's name mapping, the report, what it refuses.

The walk-through itself (Chromium against the stand-in client) runs in the workflows Molecule scenario.
"""

from __future__ import annotations

import hashlib
import socket
import xml.etree.ElementTree as ET

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.modules import browser_walkthrough as walkthrough


def test_api_links_carry_bbb_checksums():
    """SHA-256 unless the operator's bbb_cluster_checksum_algorithm says otherwise (the module's checksum_algorithm)."""
    api = walkthrough.Api("https://bbb-01.example.com/bigbluebutton/api/", "s3cret", None)
    link = api.link("join", meetingID="m 1", fullName="Teacher")
    query = "meetingID=m+1&fullName=Teacher"
    assert link == (
        f"https://bbb-01.example.com/bigbluebutton/api/join?{query}"
        f"&checksum={hashlib.sha256(('join' + query + 's3cret').encode()).hexdigest()}"
    )
    assert "s3cret" not in link
    sha1 = walkthrough.Api("https://bbb-01.example.com/bigbluebutton/api", "s3cret", None, "sha1").link(
        "end", meetingID="m"
    )
    assert sha1.endswith(hashlib.sha1(b"endmeetingID=ms3cret").hexdigest())  # noqa: S324 - BBB's checksum


def test_lab_names_resolve_to_the_given_addresses(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", socket.getaddrinfo)  # restored after the test
    walkthrough._resolve_with({"room-a.lab.test": "127.0.0.1"})
    assert socket.getaddrinfo("room-a.lab.test", 443)[0][4][0] == "127.0.0.1"


def test_the_report_has_a_suite_per_node_a_case_per_step_and_the_failures(tmp_path):
    walk = walkthrough.Walk(None, {"report_dir": str(tmp_path), "ca_file": None})
    walk.results = {
        "room-a.lab.test": [
            {"name": "create", "status": "pass", "message": "meeting m", "time": 0.1},
            {"name": "teacher", "status": "fail", "message": "the join led to <elsewhere>", "time": 30.0},
        ]
    }
    (tmp_path / "screenshots" / "room-a.lab.test-teacher.png").write_bytes(b"png")
    report = walk.report()
    suite = ET.parse(report["junit"]).getroot().find("testsuite")
    assert suite.get("name") == "room-a.lab.test" and suite.get("tests") == "2" and suite.get("failures") == "1"
    (failure,) = suite.iter("failure")
    assert failure.get("message") == "the join led to <elsewhere>"
    page = (tmp_path / "index.html").read_text()
    assert "the join led to &lt;elsewhere&gt;" in page and "screenshots/room-a.lab.test-teacher.png" in page
    # and a report per node
    assert report["nodes"]["room-a.lab.test"] == {
        "junit": str(tmp_path / "room-a.lab.test.junit.xml"),
        "html": str(tmp_path / "room-a.lab.test.html"),
    }
    node_page = (tmp_path / "room-a.lab.test.html").read_text()
    assert "screenshots/room-a.lab.test-teacher.png" in node_page and "the join led to" in node_page
    assert ET.parse(tmp_path / "room-a.lab.test.junit.xml").getroot().find("testsuite").get("failures") == "1"


def test_without_playwright_it_fails_with_what_to_install(run_module, monkeypatch):
    monkeypatch.setattr(walkthrough, "HAS_PLAYWRIGHT", False)
    failed, result, _unused = run_module(
        walkthrough.main, {"nodes": [], "proxy_origin": "https://proxy.example.com", "report_dir": "/tmp/x"}
    )
    assert failed and "playwright" in result["msg"] and "playwright install chromium" in result["msg"]


@pytest.mark.parametrize("family", ["2.x", "3.0"])
def test_node_secrets_are_never_returned(run_module, monkeypatch, tmp_path, family):
    monkeypatch.setattr(walkthrough.Walk, "run", lambda self: {"junit": "j", "html": "h"})
    node = {
        "name": "n", "hostname": "n.example.com", "family": family, "client_url": "https://p/n/html5client/",
        "guest_url": "https://p/n/html5client/", "api_url": "https://n.example.com/bigbluebutton/api",
        "api_secret": "node-secret-x",
    }  # fmt: skip
    failed, result, raw = run_module(
        walkthrough.main,
        {"nodes": [node], "proxy_origin": "https://p", "report_dir": str(tmp_path), "chromium": "/bin/true",
         "load_balancer": {"url": "https://lb/bigbluebutton/api", "secret": "lb-secret-x"}},
    )  # fmt: skip
    assert not failed, result
    assert "node-secret-x" not in raw and "lb-secret-x" not in raw
