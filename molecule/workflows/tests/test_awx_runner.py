# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The job templates of playbooks/controller.yml (role bbb_controller's data), run through ansible-runner the way AWX runs them.

AWX checks the project out into a private data dir, writes the inventory to a
file, turns the survey answers into extra vars (integers as numbers,
multiplechoice answers as strings) and runs the template's playbook with
ansible-runner; the execution environment provides the collection. Here the
project is this checkout's playbooks/, the inventory is the lab's, the survey
answers are the surveys' own defaults (plus an operator name where the survey
requires one), and ANSIBLE_COLLECTIONS_PATH stands in for the EE.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml
from lab_runs import HOSTS, INVENTORY, PROXIES, SECRETS, host

ROOT = Path(__file__).resolve().parents[3]
# Where the execution environment would have the collection: the Makefile's collections path.
COLLECTIONS = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")


TEMPLATES = {
    Path(t["playbook"]).stem: t
    for t in yaml.safe_load((ROOT / "roles/bbb_controller/vars/main.yml").read_text())["bbb_controller_job_templates"]
}


def survey_answers(template, **answers):
    """Extra vars as AWX builds them from a survey: the defaults, overridden by ``answers``."""
    found = {}
    for question in template["survey"]:
        value = answers.get(question["variable"], question.get("default", ""))
        if value == "" and not question["required"]:
            continue  # AWX leaves an unanswered optional question out
        if question["type"] == "integer":
            value = int(value)
        elif value == "" and not question["required"]:
            continue  # AWX leaves an unanswered optional question out
        found[question["variable"]] = value
    return found


@pytest.fixture
def job(tmp_path):
    """Run one job template in a fresh private data dir; return (runner, artifacts dir)."""

    def run(name, job_type="run", **answers):
        assert COLLECTIONS, "set ANSIBLE_COLLECTIONS_PATH to a path that holds bbb.cluster_proxy (make does)"
        data = tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}"  # one private data dir per job, as AWX
        shutil.copytree(ROOT / "playbooks", data / "project" / "playbooks")
        shutil.copytree(Path(INVENTORY).parent, data / "inventory")
        (data / "env").mkdir()
        (data / "env" / "extravars").write_text(yaml.safe_dump(survey_answers(TEMPLATES[name], **answers)))
        (data / "env" / "envvars").write_text(
            yaml.safe_dump(
                {
                    "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
                    "ANSIBLE_NOCOLOR": "1",
                    "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                }
            )
        )
        runner = ansible_runner.run(
            private_data_dir=str(data),
            playbook=TEMPLATES[name]["playbook"],
            cmdline="--diff --check" if job_type == "check" else "--diff",
            quiet=True,
        )
        return runner, data / "artifacts"

    return run


def assert_no_secret_in(artifacts):
    for path in artifacts.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            for secret in SECRETS:
                assert secret not in text, f"a node's shared secret is in the job's artifact {path}"


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


def test_acceptance_job_with_survey_answers_as_strings(job):
    runner, artifacts = job("acceptance", bbb_acceptance_lb_attempts="")
    output = runner.stdout.read()
    assert runner.status == "successful", output[-3000:]
    text = " ".join(output.split())
    for name in ("room-a.lab.test", "room-b.lab.test"):
        label = name.split(".", maxsplit=1)[0]
        assert (
            f'"{name}": "pass: teacher, learner and guest joined through https://{PROXIES[0]}/{label}/html5client/'
            in text
        )
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
