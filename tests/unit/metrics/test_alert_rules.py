# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Prometheus alert rules shipped in extensions/prometheus: promtool check rules, and promtool test rules
(rules_test.yml: every alert fires on one series and stays quiet on a healthy one). promtool comes from Debian's
prometheus package, unpacked (not installed as a service) by tools/setup.sh test; missing, the tests fail."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from ansible_collections.bbb.cluster_proxy.tests import prom_text
from ansible_collections.bbb.cluster_proxy.tests.prerequisites import require

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "extensions/prometheus/bbb-cluster-proxy.rules.yml"
TESTS = Path(__file__).resolve().parent / "rules_test.yml"


def _need_promtool():
    require("metrics", [] if prom_text.promtool() else ["promtool"], prom_text.PROMTOOL_INSTALL)


def test_promtool_check_rules():
    _need_promtool()
    done = prom_text.promtool_run("check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_test_rules():
    _need_promtool()
    done = prom_text.promtool_run("test", "rules", str(TESTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_is_tested_firing_and_quiet():
    alerts = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "alert" in r}
    tests = yaml.safe_load(TESTS.read_text())["tests"]
    firing = {c["alertname"] for t in tests for c in t["alert_rule_test"] if c.get("exp_alerts")}
    quiet = {c["alertname"] for t in tests for c in t["alert_rule_test"] if not c.get("exp_alerts")}
    assert alerts == firing == quiet


def test_rules_name_only_metrics_the_script_writes():
    script = (ROOT / "roles/bbb_metrics/files/bbb_cluster_proxy_metrics.py").read_text()
    used = set(re.findall(r"bbb_cluster_proxy_([a-z0-9_]+)", RULES.read_text()))
    for name in used:
        assert f'"{name}"' in script, f"the rules use bbb_cluster_proxy_{name}, which the script does not write"
