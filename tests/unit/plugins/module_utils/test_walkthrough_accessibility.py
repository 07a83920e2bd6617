# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The walk-through's accessibility step without a browser: axe-playwright-python's Axe replaced by one that answers
what axe-core 4.12 answered on the lab's stand-in page (the shape checked with Chromium), the threshold, the lab's
note, the package missing, and the findings in the JUnit and HTML report."""

from __future__ import annotations

import copy
import html
import sys
import types
import xml.etree.ElementTree as ET

import pytest
from ansible_collections.bbb.cluster_proxy.plugins.module_utils import walkthrough_steps as steps
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_accessibility import (
    INSTALL,
    STAND_IN,
    STAND_IN_NOTE,
    findings_of,
    verdict,
)
from ansible_collections.bbb.cluster_proxy.plugins.module_utils.walkthrough_report import write_report

CLIENT = "https://proxy.lab.test/room-a/html5client/"


def violation(rule, impact, nodes, text):
    return {
        "id": rule,
        "impact": impact,
        "tags": ["wcag2a"],
        "description": text,
        "help": text,
        "helpUrl": f"https://dequeuniversity.com/rules/axe/4.12/{rule}?application=axeAPI",
        "nodes": [
            {"target": [f"#e{i}"], "html": "<x>", "impact": impact, "any": [], "all": [], "none": []}
            for i in range(nodes)
        ],
    }


# What Axe().run(page).response held on the stand-in page (resultTypes violations): its keys, as axe-core returns them.
RESPONSE = {
    "testEngine": {"name": "axe-core", "version": "4.12.1"},
    "url": CLIENT + "?sessionToken=s3cr3tt0k3n",
    "toolOptions": {"resultTypes": ["violations"], "reporter": "v1"},
    "passes": [],
    "incomplete": [],
    "inapplicable": [],
    "violations": [
        violation("region", "moderate", 4, "All page content should be contained by landmarks"),
        violation("html-has-lang", "serious", 1, "<html> element must have a lang attribute"),
        violation("image-alt", "critical", 1, "Images must have alternative text"),
        violation("landmark-one-main", "moderate", 1, "Document should have one main landmark"),
    ],
}


class Page:
    """The teacher's page: whether it is the lab's stand-in (window.bbbLab), and its URL with the session's token."""

    def __init__(self, stand_in=True):
        self.url, self.stand_in = RESPONSE["url"], stand_in

    def evaluate(self, script, arg=None):
        assert script == STAND_IN
        return self.stand_in


@pytest.fixture
def axe(monkeypatch):
    """axe_playwright_python.sync_playwright with an Axe that answers RESPONSE; the runs' (context, options)."""
    runs = []

    class Axe:
        def run(self, page, context=None, options=None):
            runs.append((context, options))
            return types.SimpleNamespace(response=copy.deepcopy(RESPONSE))

    module = types.ModuleType("axe_playwright_python.sync_playwright")
    module.Axe = Axe
    monkeypatch.setitem(sys.modules, "axe_playwright_python", types.ModuleType("axe_playwright_python"))
    monkeypatch.setitem(sys.modules, "axe_playwright_python.sync_playwright", module)
    return runs


def a_walk(tmp_path, threshold=None, stand_in=True):
    params = {"timeout": 0, "media": False, "report_dir": str(tmp_path), "proxy_origin": "https://proxy.lab.test"}
    if threshold is not None:
        params["accessibility_fail_on"] = threshold
    node = {"name": "room-a", "hostname": "room-a.lab.test", "client_url": CLIENT, "capabilities": {"graphql": True}}
    walk = steps.NodeWalk(params, None, node, (None, "m-1", "SUCCESS"))
    walk.page = Page(stand_in)
    return walk


def test_the_findings_by_impact_most_serious_first_without_the_sessions_token():
    findings = findings_of(RESPONSE, RESPONSE["url"], stand_in=False, threshold="none")
    assert findings["engine"] == "axe-core 4.12.1" and findings["url"] == CLIENT
    assert [(v["id"], v["impact"], v["nodes"]) for v in findings["violations"]] == [
        ("image-alt", "critical", 1),
        ("html-has-lang", "serious", 1),
        ("landmark-one-main", "moderate", 1),
        ("region", "moderate", 4),
    ]
    assert findings["counts"] == {"critical": 1, "serious": 1, "moderate": 2, "minor": 0}
    assert findings["elements"] == {"critical": 1, "serious": 1, "moderate": 5, "minor": 0}
    assert findings["violations"][0]["help_url"] == (
        "https://dequeuniversity.com/rules/axe/4.12/image-alt?application=axeAPI"
    )
    assert "s3cr3tt0k3n" not in repr(findings)


@pytest.mark.parametrize(
    ("threshold", "failing"),
    [
        ("none", []),
        ("critical", ["image-alt"]),
        ("serious", ["image-alt", "html-has-lang"]),
        ("moderate", ["image-alt", "html-has-lang", "landmark-one-main", "region"]),
        ("minor", ["image-alt", "html-has-lang", "landmark-one-main", "region"]),
    ],
)
def test_the_threshold_fails_at_its_impact_and_above(threshold, failing):
    sentence, over = verdict(findings_of(RESPONSE, CLIENT, stand_in=False, threshold=threshold))
    assert [v["id"] for v in over] == failing
    assert sentence.startswith(
        f"axe-core 4.12.1 on {CLIENT}: 4 violated rule(s) (critical 1, serious 1, moderate 2, minor 0) on 7 element(s): "
        "image-alt, html-has-lang, landmark-one-main, region; "
    )
    if threshold == "none":
        assert sentence.endswith("; report only (threshold none)")
    else:
        assert f"{len(failing)} at or above the threshold {threshold}: image-alt (critical)" in sentence
    assert STAND_IN_NOTE not in sentence


def test_a_page_without_violations():
    findings = findings_of(dict(RESPONSE, violations=[]), CLIENT, stand_in=False, threshold="minor")
    assert verdict(findings) == (
        f"axe-core 4.12.1 on {CLIENT}: no violations; none at or above the threshold minor",
        [],
    )


def test_report_only_passes_with_the_findings_and_the_labs_note(tmp_path, axe):
    walk = a_walk(tmp_path)
    results = []
    assert steps.run_step(results, "accessibility", steps.accessibility, walk) == "pass"
    (result,) = results
    assert result["message"].endswith(f"; report only (threshold none); {STAND_IN_NOTE}")
    assert result["findings"]["stand_in"] is True and len(result["findings"]["violations"]) == 4
    # the walk-through's own note over the screenshots is left out; violations only
    assert axe == [({"exclude": [[steps.NOTE_MARK]]}, {"resultTypes": ["violations"]})]


def test_over_the_threshold_the_step_fails_with_its_findings(tmp_path, axe):
    walk = a_walk(tmp_path, threshold="serious", stand_in=False)
    results = []
    assert steps.run_step(results, "accessibility", steps.accessibility, walk) == "fail"
    (result,) = results
    assert "2 at or above the threshold serious: image-alt (critical), html-has-lang (serious)" in result["message"]
    assert STAND_IN_NOTE not in result["message"] and result["findings"]["threshold"] == "serious"


def test_without_the_package_the_step_fails_with_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "axe_playwright_python.sync_playwright", None)  # import fails
    results = []
    assert steps.run_step(results, "accessibility", steps.accessibility, a_walk(tmp_path)) == "fail"
    assert results[0]["message"].startswith(INSTALL) and "pip install axe-playwright-python" in INSTALL
    assert "findings" not in results[0]


def test_the_report_shows_the_findings_per_node(tmp_path):
    (tmp_path / "screenshots").mkdir()
    (tmp_path / "screenshots" / "room-a.lab.test-learner.png").write_bytes(b"png")
    report_only = findings_of(RESPONSE, CLIENT, stand_in=True, threshold="none")
    failing = findings_of(RESPONSE, CLIENT, stand_in=False, threshold="critical")
    results = {
        "room-a": [
            {"name": "learner", "status": "pass", "message": "the learner is a VIEWER", "time": 1.0},
            {"name": "accessibility", "status": "pass", "message": verdict(report_only)[0], "time": 0.4,
             "findings": report_only},
        ],
        "room-b": [
            {"name": "accessibility", "status": "fail", "message": verdict(failing)[0], "time": 0.4,
             "findings": failing},
        ],
    }  # fmt: skip
    report = write_report(str(tmp_path), results, {"room-a": "room-a.lab.test", "room-b": "room-b.lab.test"})
    suites = {suite.get("name"): suite for suite in ET.parse(report["junit"]).getroot()}
    case = suites["room-a"].find("testcase[@name='accessibility']")
    assert case.find("failure") is None
    out = case.find("system-out").text
    assert (
        "critical image-alt: Images must have alternative text (1 element(s)) https://dequeuniversity.com/rules/" in out
    )
    assert "moderate region: All page content should be contained by landmarks (4 element(s))" in out
    assert out.endswith(STAND_IN_NOTE)
    failed = suites["room-b"].find("testcase[@name='accessibility']")
    assert "1 at or above the threshold critical: image-alt (critical)" in failed.find("failure").get("message")
    assert suites["room-b"].get("failures") == "1"
    page = (tmp_path / "index.html").read_text()
    assert "Accessibility of room-a's client" in page and "Accessibility of room-b's client" in page
    assert page.count(html.escape(STAND_IN_NOTE)) == 2  # room-a's step sentence and its section, not room-b's
    assert "<a href='https://dequeuniversity.com/rules/axe/4.12/image-alt?application=axeAPI'>" in page
    assert "<tr><td>moderate</td><td>2</td><td>5</td></tr>" in page
    assert "<td>region</td><td>moderate</td><td>4</td>" in page
    assert "screenshots/room-a.lab.test-learner.png" in page  # the learner, shown like the other participants
    node_page = (tmp_path / "room-b.html").read_text()
    assert html.escape(STAND_IN_NOTE) not in node_page and "<tr class='fail'><td>image-alt</td>" in node_page
