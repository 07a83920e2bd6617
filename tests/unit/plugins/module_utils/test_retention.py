# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Recording retention: the inventory's values refused or taken, the override file read as the daily job's ``.``
would, and the bbb_node role's model and defaults agreeing with the one table (module_utils/retention.py)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible_collections.bbb.cluster_proxy.plugins.module_utils import retention
from ansible_collections.bbb.cluster_proxy.plugins.plugin_utils.cluster import ClusterError, cluster_nodes

ROLE = Path(__file__).resolve().parents[4] / "roles" / "bbb_node"


def problems(**values):
    return retention.problems("bbb-01", values.get)


def test_null_and_whole_days_are_taken_also_as_text_from_extra_vars():
    assert problems() == []
    assert problems(bbb_node_retention_raw_days=3, bbb_node_retention_log_days="90") == []
    assert problems(bbb_node_retention_published_days=14) == []  # as long as upstream's unpublished default


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"bbb_node_retention_raw_days": -1},
            "host bbb-01: bbb_node_retention_raw_days is -1: a retention is 1 day or more (the daily job would remove"
            " files of the last day). Fix: give a number of days (1 or more), or null for BigBlueButton's default"
            " (5 days)",
        ),
        (
            {"bbb_node_retention_log_days": "two weeks"},
            "host bbb-01: bbb_node_retention_log_days is 'two weeks', not a whole number of days. Fix: give a number"
            " of days (1 or more), or null for BigBlueButton's default (28 days)",
        ),
        (
            {"bbb_node_retention_published_days": True},
            "host bbb-01: bbb_node_retention_published_days is a bool. Fix: give a number of days (1 or more), or"
            " null for BigBlueButton's default (kept forever)",
        ),
        (
            {"bbb_node_retention_published_days": 7},
            "host bbb-01: bbb_node_retention_published_days is 7, shorter than the 14 days the raw files of unmarked"
            " recordings are kept (BigBlueButton's default, bbb_node_retention_unpublished_days unset): published"
            " recordings would go before what nobody asked to record. Fix: set bbb_node_retention_published_days to"
            " 14 or more, or lower bbb_node_retention_unpublished_days",
        ),
        (
            {"bbb_node_retention_published_days": 20, "bbb_node_retention_unpublished_days": 30},
            "host bbb-01: bbb_node_retention_published_days is 20, shorter than the 30 days the raw files of unmarked"
            " recordings are kept: published recordings would go before what nobody asked to record. Fix: set"
            " bbb_node_retention_published_days to 30 or more, or lower bbb_node_retention_unpublished_days",
        ),
    ],
)
def test_nonsense_is_refused_naming_host_variable_and_fix(values, message):
    assert problems(**values) == [message]


def test_the_cluster_refuses_it_before_any_host_changes():
    hostvars = {
        "bbb-01.example.com": {"bbb_node_retention_unpublished_days": 0},
        "bbb-02.example.com": {"bbb_node_retention_published_days": 30},
    }
    with pytest.raises(ClusterError) as raised:
        cluster_nodes(list(hostvars), hostvars, "proxy.example.com")
    assert "host bbb-01.example.com: bbb_node_retention_unpublished_days is 0" in str(raised.value)
    assert "bbb-02" not in str(raised.value)


def test_the_override_file_is_read_as_the_daily_job_sources_it():
    text = "# mine\nhistory=3\nexport log_history='60'\nunrecorded_days=$((7))\nsafemeet_days=7 # other\n"
    assert retention.read_config(text) == {"history": 3, "log_history": 60, "safemeet_days": 7}
    assert retention.effective(text) == {"raw_media": 3, "unpublished": 14, "published_raw": 14, "logs": 60}
    assert retention.effective("bbb_cluster_proxy_published_days=30\n")["published"] == 30
    assert "published" not in retention.effective("")


def test_the_role_model_and_defaults_follow_the_table():
    model = yaml.safe_load((ROLE / "vars/main/model.yml").read_text())
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    specs = yaml.safe_load((ROLE / "meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    mapping = model["__bbb_node_retention"]
    for variable, key, _kind, _default, _what in retention.POLICY:
        assert f"'{key}': {variable}" in mapping, key
        assert defaults[variable] is None
        assert specs[variable]["type"] == "int"
    assert [f["path"] for f in model["__bbb_node_retention_files"]] == [
        retention.CONFIG,
        "/etc/cron.daily/bbb-cluster-proxy-recordings",
    ]
    job = model["__bbb_node_retention_job"]
    assert retention.CONFIG in job and "bbb_cluster_proxy_published_days" in job
    assert job.startswith("#!/bin/sh\n") and not re.search(r"{[{%#]", job)  # nothing Jinja would take for itself
    done = subprocess.run(["sh", "-n"], input=job, text=True, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
