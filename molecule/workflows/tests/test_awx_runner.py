# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The job templates of playbooks/controller.yml (role bbb_controller's data), run through ansible-runner the way AWX runs them.

AWX checks the project out into a private data dir, writes the inventory to a
file, turns the survey answers into extra vars (integers as numbers,
multiplechoice answers as strings) and runs the template's playbook with
ansible-runner; the execution environment provides the collection. Here the
project is this checkout's playbooks/, the inventory is the lab's, the survey
answers are the surveys' own defaults (plus an operator name where the survey
requires one). The acceptance job runs in the execution environment's container
(make ee-image: this checkout's collection, Chromium, ansible-runner inside);
the others run on this machine's tool chain, ANSIBLE_COLLECTIONS_PATH standing
in for the EE.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import ansible_runner
import pytest
from lab_runs import HOSTS, PROXIES, host

from .workflows_lab import TEMPLATES, assert_no_secret_in, private_data_dir

# Where the execution environment would have the collection: the Makefile's collections path.
COLLECTIONS = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")


@pytest.fixture
def job(tmp_path):
    """Run one job template in a fresh private data dir, on this machine's tool chain (ANSIBLE_COLLECTIONS_PATH
    stands in for the EE); return (runner, artifacts dir)."""

    def run(name, job_type="run", **answers):
        assert COLLECTIONS, "set ANSIBLE_COLLECTIONS_PATH to a path that holds bbb.cluster_proxy (make does)"
        data = tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}"  # one private data dir per job, as AWX
        envvars = {
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        }
        private_data_dir(data, name, envvars=envvars, **answers)
        runner = ansible_runner.run(
            private_data_dir=str(data),
            playbook=TEMPLATES[name]["playbook"],
            cmdline="--diff --check" if job_type == "check" else "--diff",
            quiet=True,
        )
        return runner, data / "artifacts"

    return run


def test_site_job_with_the_survey_defaults_converges_and_a_check_job_changes_nothing(job):
    runner, artifacts = job("site", bbb_node_restart="true", bbb_node_drain="false")
    assert runner.status == "successful", runner.stdout.read()[-3000:]
    assert_no_secret_in(artifacts)

    runner, artifacts = job("site", job_type="check")
    assert runner.status == "successful", runner.stdout.read()[-3000:]
    assert sum(runner.stats["changed"].values()) == 0, runner.stats
    assert set(runner.stats["ok"]) >= set(HOSTS)
    assert_no_secret_in(artifacts)


def test_drift_job_succeeds_on_the_converged_lab(job):
    runner, artifacts = job("drift")
    assert runner.rc == 0 and runner.status == "successful", runner.stdout.read()[-3000:]
    assert "No drift" in runner.stdout.read()
    assert_no_secret_in(artifacts)


def test_acceptance_job_in_the_execution_environment_walks_through_every_node(ee_acceptance):
    """The acceptance job in the EE's container (ansible-runner, as AWX runs it; conftest.ee_acceptance): the survey's
    answers as strings, the API walk and the browser walk-through (Chromium of the image) pass on every node; no
    secret in the job's artifacts. test_workflows_6 checks what the walk-through saw in the same run."""
    runner, output, report, artifacts = ee_acceptance
    assert runner.status == "successful", output[-3000:]
    command = runner.config.command
    assert command[:2] == ["docker", "run"] and any(arg.startswith("bbb-cluster-proxy-ee:") for arg in command), command
    text = " ".join(output.split())
    for name in ("room-a.lab.test", "room-b.lab.test"):
        label = name.split(".", maxsplit=1)[0]
        assert (
            f'"{name}": "pass: teacher, learner and guest joined through https://{PROXIES[0]}/{label}/html5client/; '
            "browser walk-through: pass:"
        ) in text
    assert (report / "junit.xml").exists() and (report / "index.html").exists()
    assert_no_secret_in(artifacts)


def test_preflight_job_records_the_survey_operator_in_a_timestamped_rollback_point(job):
    runner, artifacts = job("preflight", bbb_rollback_operator="awx-survey-operator")
    assert runner.status == "successful", runner.stdout.read()[-3000:]
    for name in HOSTS:
        found = host(name).run(
            'grep -l \'"operator": "awx-survey-operator"\' /var/backups/bbb-cluster-proxy/*/manifest.json'
        )
        assert found.rc == 0 and "Z/manifest.json" in found.stdout, name
    assert_no_secret_in(artifacts)
