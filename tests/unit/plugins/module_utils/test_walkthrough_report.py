# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The browser walk-through's report: a JUnit suite per node and a case per step, HTML pages, the module's summary."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_report import summarize, write_report

RESULTS = {
    "room-a": [
        {"name": "create", "status": "pass", "message": "meeting m", "time": 0.1},
        {"name": "teacher", "status": "fail", "message": "the join led to <elsewhere>", "time": 30.0},
    ]
}


def test_the_report_has_a_suite_per_node_a_case_per_step_and_the_failures(tmp_path):
    (tmp_path / "screenshots").mkdir()
    (tmp_path / "screenshots" / "room-a.lab.test-teacher.png").write_bytes(b"png")
    (tmp_path / "screenshots" / "room-b.lab.test-teacher.png").write_bytes(b"png")
    report = write_report(str(tmp_path), RESULTS, {"room-a": "room-a.lab.test"})
    suite = ET.parse(report["junit"]).getroot().find("testsuite")
    assert suite.get("name") == "room-a" and suite.get("tests") == "2" and suite.get("failures") == "1"
    (failure,) = suite.iter("failure")
    assert failure.get("message") == "the join led to <elsewhere>"
    page = (tmp_path / "index.html").read_text()
    assert "the join led to &lt;elsewhere&gt;" in page and "screenshots/room-a.lab.test-teacher.png" in page
    assert "room-b.lab.test" not in page  # the screenshots of its nodes only
    # and a report per node
    assert report["nodes"]["room-a"] == {
        "junit": str(tmp_path / "room-a.junit.xml"),
        "html": str(tmp_path / "room-a.html"),
    }
    node_page = (tmp_path / "room-a.html").read_text()
    assert "screenshots/room-a.lab.test-teacher.png" in node_page and "the join led to" in node_page
    assert ET.parse(tmp_path / "room-a.junit.xml").getroot().find("testsuite").get("failures") == "1"


def test_the_summary_names_the_first_failure_or_the_steps_passed():
    passed = [{"name": "create", "status": "pass", "message": "ok", "time": 0.0}]
    nodes, summary = summarize(dict(RESULTS, b=passed))
    assert summary == {"room-a": "FAIL at 'teacher': the join led to <elsewhere>", "b": "pass: create"}
    assert nodes["room-a"]["passed"] is False and nodes["b"] == {"passed": True, "steps": passed}
