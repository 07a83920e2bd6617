# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The test tooling itself: a missing prerequisite fails unless opted out; make test's closing counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.bbb.cluster_proxy.tests.prerequisites import require

ROOT = Path(__file__).resolve().parents[3]
SUMMARY = ROOT / "tools" / "test_summary.py"


def test_a_missing_prerequisite_fails_naming_what_to_install(monkeypatch):
    monkeypatch.delenv("BBB_TEST_SKIP", raising=False)
    with pytest.raises(pytest.fail.Exception, match=r"the nginx suite needs /usr/sbin/nginx.*apt-get install nginx"):
        require("nginx", ["/usr/sbin/nginx"], "apt-get install nginx-light")


@pytest.mark.parametrize("value", ["nginx", "browser,nginx", "all"])
def test_only_the_user_can_leave_a_suite_out(monkeypatch, value):
    monkeypatch.setenv("BBB_TEST_SKIP", value)
    with pytest.raises(pytest.skip.Exception, match=f"nginx suite left out by BBB_TEST_SKIP={value}"):
        require("nginx", ["/usr/sbin/nginx"], "apt-get install nginx-light")


def test_another_suite_left_out_does_not_excuse_this_one(monkeypatch):
    monkeypatch.setenv("BBB_TEST_SKIP", "browser")
    with pytest.raises(pytest.fail.Exception):
        require("nginx", ["/usr/sbin/nginx"], "apt-get install nginx-light")
    require("nginx", [], "apt-get install nginx-light")  # nothing missing: nothing happens


def summary(*args):
    return subprocess.run([sys.executable, str(SUMMARY), *args], capture_output=True, text=True, check=False)


def test_the_closing_lines_count_steps_suites_and_skips(tmp_path):
    assert summary("step", str(tmp_path), "lint", "--", "true").returncode == 0
    failed = summary(
        "step", str(tmp_path), "sanity", "--log", str(tmp_path / "s.log"), "--", "sh", "-c", "echo why; exit 3"
    )
    assert failed.returncode == 3 and "why" in failed.stdout  # the end of the log is shown
    assert summary("skip", str(tmp_path), "matrix", "left out by BBB_TEST_SKIP=matrix").returncode == 0
    (tmp_path / "unit.xml").write_text(
        '<testsuites><testsuite name="unit" time="2"><testcase classname="a" name="ok"/>'
        '<testcase classname="a" name="off"><skipped message="left out"/></testcase></testsuite></testsuites>'
    )
    report = summary("report", str(tmp_path), "--expect", "unit", "step-lint", "molecule-default")
    lines = report.stdout.splitlines()
    assert report.returncode == 1
    assert "  molecule-default             did not run" in report.stdout
    assert "make::matrix: left out by BBB_TEST_SKIP=matrix" in report.stdout and "a::off: left out" in report.stdout
    assert lines[-1] == "total: 2 passed, 2 failed, 2 skipped"  # sanity failed, molecule-default missing


def test_a_green_run_exits_0(tmp_path):
    summary("step", str(tmp_path), "lint", "--", "true")
    report = summary("report", str(tmp_path), "--expect", "step-lint")
    assert report.returncode == 0 and report.stdout.splitlines()[-1] == "total: 1 passed, 0 failed, 0 skipped"
